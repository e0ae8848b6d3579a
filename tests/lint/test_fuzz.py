"""Random Tekton-like documents, and random mutations of corpus documents, never make the linter
raise or hit a rule bug (an `internal-error` finding)."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plumbing.lint.engine import lint_paths
from plumbing.lint.registry import all_rules

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
all_rules()

KEYS = ["apiVersion", "kind", "metadata", "name", "spec", "steps", "params", "tasks", "finally",
        "taskRef", "taskSpec", "pipelineRef", "pipelineSpec", "workspaces", "results", "value",
        "default", "type", "properties", "when", "input", "operator", "values", "matrix",
        "include", "runAfter", "script", "command", "args", "image", "env", "volumeMounts",
        "mountPath", "ref", "resolver", "timeout", "timeouts", "retries", "onError", "sidecars",
        "stepTemplate", "taskRunSpecs", "stepSpecs", "status", "optional", "workspace", "kind"]
STRINGS = st.sampled_from(["", "a", "x.y", "$(params.a)", "$(params.a[*])", "$(params.o.k)",
                           "$(params['a.b'])", "$(tasks.a.results.r)", "$(tasks.a.status)",
                           "$(context.taskRun.name)", "$(results.r.path)", "tekton.dev/v1",
                           "tekton.dev/v1beta1", "Task", "Pipeline", "TaskRun", "PipelineRun",
                           "StepAction", "ClusterTask", "in", "notin", "continue", "1h", "-1s",
                           "$(steps.s.results.r)", "/tekton/x", "array", "object", "string"])
SCALARS = st.one_of(STRINGS, st.integers(-3, 300), st.booleans(), st.none(), st.text(max_size=5))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=25)
DOCS = st.fixed_dictionaries(
    {"apiVersion": st.sampled_from(["tekton.dev/v1", "tekton.dev/v1beta1", "tekton.dev/v1alpha1"]),
     "kind": st.sampled_from(["Task", "Pipeline", "TaskRun", "PipelineRun", "StepAction",
                              "ClusterTask", "Condition"])},
    optional={"metadata": VALUES, "spec": VALUES})


def lint_docs(tmp_path, docs):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    result = lint_paths([str(path)])
    assert [f.format() for f in result.findings if f.rule == "internal-error"] == []
    return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(DOCS, min_size=1, max_size=3))
def test_random_documents(tmp_path, docs):
    lint_docs(tmp_path, docs)


def _corpus_docs():
    out = []
    for name in ("pipeline-release/release-pipeline.yaml", "pipeline-release/publish.yaml"):
        p = SHARED / "corpus" / name
        if p.is_file():
            out.extend(d for d in yaml.safe_load_all(p.read_text()) if isinstance(d, dict))
    return out or [{"apiVersion": "tekton.dev/v1", "kind": "Task", "spec": {"steps": []}}]


CORPUS = _corpus_docs()


def _paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, path + (i,))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_corpus_documents(tmp_path, data):
    import copy

    doc = copy.deepcopy(data.draw(st.sampled_from(CORPUS)))
    for _ in range(data.draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        target = data.draw(st.sampled_from(paths))
        parent = doc
        for k in target[:-1]:
            parent = parent[k]
        if data.draw(st.booleans()):
            parent[target[-1]] = data.draw(VALUES)
        elif isinstance(parent, dict):
            del parent[target[-1]]
        else:
            parent.pop(target[-1])
    lint_docs(tmp_path, [doc])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="ab:-[]{}#&*!|>'\"\n %$()\t", max_size=60))
def test_random_text(tmp_path, text):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    result = lint_paths([str(path)])
    assert all(f.line >= 1 and f.column >= 1 for f in result.findings)


ODD_INPUTS = {
    "deep.yaml": "a: " + "[" * 3000 + "]" * 3000 + "\n",
    "recursive.yaml": "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec: &a {steps: [*a]}\n",
    "alias.yaml": "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n"
                  "  steps: [&s {name: a, image: x}, {<<: *s, name: b}]\n  sidecars: [*s, *s]\n",
    "nul.yaml": "apiVersion: tekton.dev/v1\nkind: Task\nspec:\n  steps:\n    - image: \0\n",
    "tags.yaml": "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: !!binary aGk=}\n"
                 "spec: {steps: [{image: 2001-12-14, name: !custom x}]}\n",
    "keys.yaml": "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n"
                 "  tasks: [{? [a]: b, name: x}]\n",
    "empty.yaml": "",
    "scalar.yaml": "just a string\n---\n- a list\n---\n~\n",
}


def test_odd_inputs_are_findings_not_crashes(tmp_path):
    for name, text in ODD_INPUTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = lint_paths([str(tmp_path)])
    assert result.files == len(ODD_INPUTS)
    assert [f.format() for f in result.findings if f.rule == "internal-error"] == []
    by_file = {}
    for f in result.findings:
        by_file.setdefault(Path(f.path).name, set()).add(f.rule)
    assert by_file["deep.yaml"] == {"yaml-syntax"}
    assert by_file["recursive.yaml"] == {"yaml-syntax"}
    assert by_file["nul.yaml"] == {"yaml-syntax"}
    assert "alias.yaml" not in by_file
    assert "empty.yaml" not in by_file and "scalar.yaml" not in by_file
