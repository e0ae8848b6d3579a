"""Tekton's v1 CRD schemas (from ../shared/corpus/crds) as strict validators for tests.

The CRDs' structural schemas prune unknown fields; Tekton's webhook rejects them. The schemas
here forbid them, as the webhook does, so a misspelt field fails a test.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import jsonschema
import yaml

FILES = {"Task": "300-task.yaml", "Pipeline": "300-pipeline.yaml", "PipelineRun": "300-pipelinerun.yaml"}


def _strict(schema):
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (node.get("type") == "object" and "properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


@functools.cache
def crd_schema(shared: Path, kind: str) -> dict:
    """The strict openAPIV3Schema of `kind` at tekton.dev/v1."""
    crd = yaml.safe_load((shared / "corpus" / "crds" / FILES[kind]).read_text())
    v1 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    return _strict(v1["schema"]["openAPIV3Schema"])


def assert_valid(schema: dict, doc, where: str) -> None:
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, f"{where}: " + "; ".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors[:5])


def assert_valid_run(shared: Path, run: dict) -> None:
    """A PipelineRun, its embedded pipelineSpec and every embedded taskSpec."""
    assert_valid(crd_schema(shared, "PipelineRun"), run, "PipelineRun")
    spec = run["spec"]["pipelineSpec"]
    assert_valid(crd_schema(shared, "Pipeline")["properties"]["spec"], spec, "embedded pipelineSpec")
    for pt in spec.get("tasks", []) + spec.get("finally", []):
        assert_valid(crd_schema(shared, "Task")["properties"]["spec"], pt["taskSpec"], f"taskSpec of {pt['name']}")
