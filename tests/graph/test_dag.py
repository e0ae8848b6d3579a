"""The one pipeline DAG model (plumbing.dag) that `plumbing graph` draws and `plumbing lint` checks."""

from __future__ import annotations

import pytest

from plumbing import dag
from plumbing import graph as g


def spec(tasks, final=()):
    return {"tasks": list(tasks), "finally": list(final)}


def test_references_keep_their_part_and_path():
    model = dag.PipelineDag(spec([
        {"name": "a"},
        {"name": "b", "runAfter": ["a"],
         "params": [{"name": "x", "value": "$(tasks.a.results.digest)"}],
         "matrix": {"params": [{"name": "m", "value": ["$(tasks.a.results.list[*])"]}]},
         "when": [{"input": "$(tasks.a.results.ok)", "operator": "in", "values": ["true"]}],
         "workspaces": [{"name": "w", "subPath": "$(tasks.a.results.dir)"}],
         "taskSpec": {"steps": [{"name": "s", "script": "echo $(tasks.a.results.tag)"}]}},
    ], [{"name": "f", "params": [{"name": "s", "value": "$(tasks.a.status)"}]}]))
    b = model.nodes[1]
    assert [(r.part, r.path, r.ref.result) for r in b.refs] == [
        ("params", ("params", 0, "value"), "digest"),
        ("matrix", ("matrix", "params", 0, "value", 0), "list"),
        ("when", ("when", 0, "input"), "ok"),
        ("workspaces", ("workspaces", 0, "subPath"), "dir"),
        ("taskSpec", ("taskSpec", "steps", 0, "script"), "tag"),
    ]
    assert b.refs[1].ref.whole
    assert [n.name for n in model.finally_tasks] == ["f"]
    assert model.finally_tasks[0].refs[0].ref.what == "status"
    # lint follows inline steps but not workspaces; the graph draws workspaces but not steps
    assert model.deps(dag.LINT_PARTS) == {"a": [], "b": ["a", "a", "a", "a", "a"]}
    assert [r.ref.result for r in b.refs_in(dag.GRAPH_PARTS)] == ["digest", "list", "ok", "dir"]


@pytest.mark.parametrize("text, expected", [
    ("$(tasks.a.results.r)", [("tasks", "a", "results", "r", False)]),
    ("$(tasks.a.results.r[*])", [("tasks", "a", "results", "r", True)]),
    ("$(tasks.a.results.o.key)", [("tasks", "a", "results", "o", False)]),
    ("$(finally.f.results.r)", [("finally", "f", "results", "r", False)]),
    ("$(tasks.status)", [("tasks", "", "status", None, False)]),
    ("$(tasks.a.reason)", [("tasks", "a", "reason", None, False)]),
    ("sh -c '$(echo $(tasks.a.results.r))'", [("tasks", "a", "results", "r", False)]),
    ("$(params.x) $(tasks.a.outputs.x)", []),
    (3, []),
])
def test_task_refs(text, expected):
    assert [tuple(r)[:5] for r in dag.task_refs(text)] == expected


def test_cycles_and_what_is_stuck_behind_them():
    preds = {"a": ["c"], "b": ["a"], "c": ["b"], "d": ["c"], "e": []}
    assert dag.find_cycle(preds, list(preds)) == ["a", "c", "b", "a"]
    assert dag.stuck(preds) == {"a", "b", "c", "d"}
    assert dag.stuck({"a": ["a"]}) == {"a"}
    assert dag.find_cycle({"a": [], "b": ["a"]}, ["a", "b"]) is None
    assert dag.ranks({"a": [], "b": ["a"], "c": ["a", "b"]}) == {"a": 0, "b": 1, "c": 2}


def test_graph_and_lint_report_the_same_cycle():
    from plumbing.lint.engine import lint_paths

    doc = {"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "p"},
           "spec": spec([{"name": "a", "taskRef": {"name": "t"}, "runAfter": ["b"]},
                         {"name": "b", "taskRef": {"name": "t"},
                          "params": [{"name": "x", "value": "$(tasks.a.results.r)"}]}])}
    with pytest.raises(g.GraphError, match=r"the tasks form a cycle: a -> b -> a"):
        g.build_graph(doc)
    import io

    import yaml

    result = lint_paths(["-"], stdin=io.StringIO(yaml.safe_dump(doc)))
    assert sorted(f.message for f in result.findings if f.rule == "dag-cycle") == [
        "cycle detected; task 'a' depends on 'b'", "cycle detected; task 'b' depends on 'a'"]
