"""The DAG of a Pipeline's tasks: the one model `plumbing graph` draws and `plumbing lint` checks.

Nodes are the pipeline tasks (`tasks`, then `finally`, apart). Edges come from `runAfter` and
from references to another task's results or status (`$(tasks.X.results.Y)`,
`$(tasks.X.status)`) in a task's params, matrix, `when` expressions, workspaces and inline
taskSpec steps/sidecars; every reference keeps the part it was found in and its path, so each
consumer picks the parts it needs and reports positions. Ordering and cycle detection use the
stdlib `graphlib`.

The model never raises on odd input (lint runs it on anything); `plumbing graph` validates the
spec before building it. Only `re` and `graphlib` are imported: `release nightly` draws a graph
on every run.
"""

from __future__ import annotations

import re
from graphlib import CycleError, TopologicalSorter
from typing import NamedTuple

# Same shape as lint.vars.VAR: `$(` then no parentheses or `$` up to `)`, so a nested shell
# `$(echo $(tasks.a.results.b))` still yields the inner reference.
_VAR = re.compile(r"\$\(([^()$]*)\)")
_INDEX = re.compile(r"^(.*?)\[(\d+|\*)\]$")

# Where a pipeline task can hold references, in the order they are collected.
PARTS = ("params", "matrix", "when", "workspaces", "taskSpec")
# What each consumer reads: the graph draws what Tekton resolves before a task starts; lint
# also follows inline steps and sidecars (a reference there needs the task to have run too).
GRAPH_PARTS = frozenset({"params", "matrix", "when", "workspaces"})
LINT_PARTS = frozenset({"params", "matrix", "when", "taskSpec"})


class TaskRef(NamedTuple):
    """$(tasks.T.results.R...), $(finally.T.results.R...), $(tasks.T.status|reason)."""
    scope: str       # "tasks" or "finally"
    task: str
    what: str        # "results", "status", "reason"; "status" with task "" for $(tasks.status)
    result: str | None
    whole: bool      # [*]
    expr: str


def _task_ref(e: str) -> TaskRef | None:
    scope, _, rest = e.partition(".")
    parts = rest.split(".")
    if scope == "tasks" and parts == ["status"]:
        return TaskRef(scope, "", "status", None, False, e)
    if len(parts) >= 3 and parts[1] == "results":
        res = _INDEX.sub(r"\1", parts[2]) if "[" in parts[2] else parts[2]
        return TaskRef(scope, parts[0], "results", res, rest.endswith("[*]"), e)
    if len(parts) == 2 and parts[1] in ("status", "reason"):
        return TaskRef(scope, parts[0], parts[1], None, False, e)
    return None


def task_refs(text) -> list[TaskRef]:
    """Every task reference in `text` (empty when `text` is not a string)."""
    if type(text) is not str or "$(" not in text:
        return []
    out = []
    for e in _VAR.findall(text):
        e = e.strip()
        if e.startswith(("tasks.", "finally.")):
            r = _task_ref(e)
            if r is not None:
                out.append(r)
    return out


class Ref(NamedTuple):
    """One reference found in a pipeline task."""
    part: str        # one of PARTS
    path: tuple      # inside the pipeline task, e.g. ("params", 0, "value")
    ref: TaskRef


def _strings(data, path):
    """(path, string) for every string value under `data` that may hold a task reference."""
    t = type(data)
    if t is str:
        if "$(tasks." in data or "$(finally." in data:
            yield path, data
    elif t is dict:
        for k, v in data.items():
            yield from _strings(v, path + (k,))
    elif t is list:
        for i, v in enumerate(data):
            yield from _strings(v, path + (i,))


class Node:
    """One pipeline task: where it is, what it runs after, what it references."""
    __slots__ = ("name", "section", "index", "task", "run_after", "refs")

    def __init__(self, section: str, index: int, task: dict):
        name = task.get("name")
        self.name = name if type(name) is str else None
        self.section, self.index, self.task = section, index, task
        ra = task.get("runAfter")
        self.run_after: list = ra if type(ra) is list else []
        self.refs: list[Ref] = []
        for part in PARTS:
            value = task.get(part)
            if part == "taskSpec":  # only what runs: steps and sidecars
                if type(value) is not dict:
                    continue
                for key in ("steps", "sidecars"):
                    self._collect(part, value.get(key), (part, key))
            elif value is not None:
                self._collect(part, value, (part,))

    def _collect(self, part, value, path):
        for sub, text in _strings(value, path):
            self.refs.extend(Ref(part, sub, r) for r in task_refs(text))

    @property
    def final(self) -> bool:
        return self.section == "finally"

    def refs_in(self, parts) -> list[Ref]:
        return [r for r in self.refs if r.part in parts]


class PipelineDag:
    """The tasks of a Pipeline spec and their dependencies."""

    def __init__(self, spec):
        spec = spec if type(spec) is dict else {}
        self.nodes: list[Node] = []
        for section in ("tasks", "finally"):
            items = spec.get(section)
            for i, t in enumerate(items if type(items) is list else []):
                if type(t) is dict:
                    self.nodes.append(Node(section, i, t))

    @property
    def tasks(self) -> list[Node]:
        return [n for n in self.nodes if not n.final]

    @property
    def finally_tasks(self) -> list[Node]:
        return [n for n in self.nodes if n.final]

    def deps(self, parts=LINT_PARTS) -> dict[str, list[str]]:
        """Each task in `tasks` (unnamed ones as `#<index>`) -> the names it depends on, in
        order: runAfter entries, then results it reads in `parts` (`$(finally...)` gives None)."""
        out: dict[str, list] = {}
        for n in self.tasks:
            deps = out.setdefault(n.name or f"#{n.index}", [])
            deps.extend(a for a in n.run_after if type(a) is str)
            deps.extend(r.ref.task if r.ref.scope == "tasks" else None
                        for r in n.refs_in(parts) if r.ref.what == "results")
        return out


def _sorter(preds: dict) -> TopologicalSorter:
    ts = TopologicalSorter()
    for n, ps in preds.items():
        ts.add(n, *ps)
    return ts


def stuck(preds: dict) -> set:
    """The nodes of `preds` (node -> its predecessors) that cannot be ordered: on a cycle or
    behind one; empty without a cycle."""
    ts = _sorter(preds)
    try:
        ts.prepare()
        return set()
    except CycleError:
        pass  # the sorter still hands out every node not blocked by a cycle
    done = set()
    while ready := ts.get_ready():
        done.update(ready)
        ts.done(*ready)
    return set(preds) - done


def find_cycle(preds: dict, order: list) -> list | None:
    """One cycle as [a, b, ..., a], each node depending on the next, starting at the node
    earliest in `order`; None without a cycle."""
    try:
        _sorter(preds).prepare()
        return None
    except CycleError as exc:
        cycle = list(reversed(exc.args[1]))[:-1]  # graphlib lists it successor-first
    rank = {n: i for i, n in enumerate(order)}
    first = min(range(len(cycle)), key=lambda i: rank.get(cycle[i], len(rank)))
    cycle = cycle[first:] + cycle[:first]
    return cycle + [cycle[0]]


def ranks(preds: dict) -> dict:
    """Longest-path rank of every node of an acyclic `preds`, from 0."""
    rank: dict = {}
    for n in _sorter(preds).static_order():
        rank[n] = max((rank[p] + 1 for p in preds.get(n, ())), default=0)
    return rank
