"""Every shipped project in both modes: golden files, and every document valid Tekton v1.

Refresh the golden files after an intended change with `pytest --update-golden`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tekton_schemas import assert_valid, assert_valid_run, crd_schema

from plumbing.config import load_repo
from plumbing.release.plan import make_plan
from plumbing.release.rendering import render_release, write_release

SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "release"
PROJECTS = ["chains", "cli", "dashboard", "operator", "pipeline", "triggers"]
YAML_FILES = ["pipelinerun.yaml", "pipeline.yaml", "tasks.yaml", "config.yaml"]


def render(repo_root, project, mode, out: Path):
    from datetime import date

    repo = load_repo(repo_root)
    kwargs = {"revision": SHA, "day": date(2026, 11, 24)}
    if mode == "full":
        kwargs = {"revision": SHA, "version": "v1.2.3", "previous": "v1.2.2"}
    rendered = render_release(repo, make_plan(repo, project, mode, **kwargs))
    write_release(repo, rendered, out)
    return rendered


@pytest.mark.parametrize("mode", ["nightly", "full"])
@pytest.mark.parametrize("project", PROJECTS)
def test_golden(repo_root, tmp_path, request, project, mode):
    render(repo_root, project, mode, tmp_path)
    golden = GOLDEN / f"{project}-{mode}"
    if request.config.getoption("--update-golden"):
        golden.mkdir(parents=True, exist_ok=True)
        for name in YAML_FILES:
            (golden / name).write_text((tmp_path / name).read_text())
    for name in YAML_FILES:
        assert (golden / name).is_file(), f"no golden file {golden / name}; run pytest --update-golden"
        assert (tmp_path / name).read_text() == (golden / name).read_text(), (
            f"{project} {mode}: {name} differs from {golden / name}; if intended, run pytest --update-golden")


@pytest.fixture
def crd_schemas(shared):
    return {kind: crd_schema(shared, kind) for kind in ("Task", "Pipeline", "PipelineRun")}


@pytest.mark.parametrize("mode", ["nightly", "full"])
@pytest.mark.parametrize("project", PROJECTS)
def test_every_document_is_valid_tekton_v1(repo_root, tmp_path, shared, crd_schemas, project, mode):
    render(repo_root, project, mode, tmp_path)
    seen = []
    for name in ["pipelinerun.yaml", "pipeline.yaml", "tasks.yaml"]:
        for doc in yaml.safe_load_all((tmp_path / name).read_text()):
            assert doc["apiVersion"] == "tekton.dev/v1"
            assert_valid(crd_schemas[doc["kind"]], doc, f"{name} {doc['kind']}")
            seen.append(doc["kind"])
            if doc["kind"] == "PipelineRun":
                assert_valid_run(shared, doc)
    assert seen.count("PipelineRun") == 1 and seen.count("Pipeline") == 1 and seen.count("Task") >= 6


def test_strict_schema_catches_an_unknown_field(crd_schemas):
    bad = {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": "x"},
           "spec": {"steps": [{"name": "a", "image": "i", "subpath": "typo"}]}}
    with pytest.raises(AssertionError, match="subpath"):
        assert_valid(crd_schemas["Task"], bad, "bad")
