"""Matrix fan-out on pipeline tasks."""

from __future__ import annotations

from plumbing.dag import task_refs
from plumbing.lint.model import d, dicts, l, nm
from plumbing.lint.registry import rule
from plumbing.lint.rules.params import pipeline
from plumbing.lint.rules.pipeline import all_tasks
from plumbing.lint.vars import walk_strings

MAX_COMBINATIONS = 256
M = "tasks: [{name: a, taskRef: {name: t}, matrix: {params: [%s]}}]"


@rule("matrix-combinations", "error", "Pipeline", tekton="MATRIX-MAX-COMBINATIONS", doc="""A matrix
    may fan out to at most 256 combinations (default-max-matrix-combinations-count): the product of
    the matrix params' lengths plus the include entries that add a combination. Only literal lists
    are counted.""", fix="Split the matrix over several tasks.",
      bad=pipeline(M % "{name: x, value: [%s]}, {name: y, value: [%s]}" % (
          ",".join(str(i) for i in range(17)), ",".join(str(i) for i in range(17)))),
      good=pipeline(M % "{name: x, value: ['1', '2']}"))
def combinations(u):
    for path, t in all_tasks(u):
        m = d(t.get("matrix"))
        if not m:
            continue
        total, known = 1, False
        names = set()
        for _, p in dicts(m, "params"):
            names.add(nm(p))
            if type(p.get("value")) is list:
                total *= len(p["value"])
                known = True
        extra = sum(1 for _, inc in dicts(m, "include")
                    if not any(nm(p) in names for _, p in dicts(inc, "params")))
        if not known:
            total = 0
        if total + extra > MAX_COMBINATIONS:
            yield path + ("matrix",), f"the matrix fans out to {total + extra} combinations; " \
                                      f"at most {MAX_COMBINATIONS} are allowed"


@rule("matrix-param-duplicate", "error", "Pipeline", tekton="MATRIX-PARAM-DUP,MATRIX-PARAM-IN-BOTH",
      doc="""A param name appears once in matrix.params, once in each include entry, and not both
    in the task's params and its matrix.""", fix="Remove the duplicate.",
      bad="apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  tasks:\n    - name: a\n"
          "      taskRef: {name: t}\n      params: [{name: x, value: '1'}]\n"
          "      matrix: {params: [{name: x, value: ['1', '2']}]}\n",
      good="apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  tasks:\n    - name: a\n"
           "      taskRef: {name: t}\n      params: [{name: y, value: '1'}]\n"
           "      matrix: {params: [{name: x, value: ['1', '2']}]}\n")
def param_dup(u):
    for path, t in all_tasks(u):
        m = t.get("matrix")
        if type(m) is not dict:
            continue
        plain = {nm(p) for _, p in dicts(t, "params")}
        groups = [(("matrix", "params"), l(m.get("params")))]
        for k, inc in dicts(m, "include"):
            groups.append((("matrix", "include", k, "params"), l(inc.get("params"))))
        for sub, items in groups:
            seen = set()
            for j, p in enumerate(items):
                n = nm(p) if type(p) is dict else None
                if type(n) is not str:
                    continue
                if n in seen:
                    yield path + sub + (j, "name"), f"matrix param {n!r} appears twice"
                elif n in plain:
                    yield path + sub + (j, "name"), f"param {n!r} is in both params and matrix"
                seen.add(n)


@rule("matrix-result-consume", "error", "Pipeline", tekton="MATRIX-RESULT-CONSUME,MATRIX-RESULT-STRING", doc="""The
    results of a matrixed task are arrays of every combination's result, so other tasks may only
    consume them whole, as `$(tasks.<t>.results.<r>[*])`; and a consumed result must be declared
    a string (checked when the matrixed task's spec is inline).""",
      fix="Use $(tasks.<t>.results.<r>[*]) and declare the receiving param as an array.",
      bad="apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  tasks:\n"
          "    - {name: a, taskRef: {name: t}, matrix: {params: [{name: x, value: ['1']}]}}\n"
          "    - {name: b, taskRef: {name: t}, params: [{name: r, value: $(tasks.a.results.out)}]}\n",
      good="apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  tasks:\n"
           "    - {name: a, taskRef: {name: t}, matrix: {params: [{name: x, value: ['1']}]}}\n"
           "    - {name: b, taskRef: {name: t}, params: [{name: r, value: '$(tasks.a.results.out[*])'}]}\n")
def result_consume(u):
    matrixed = {nm(t) for _, t in all_tasks(u) if d(t.get("matrix"))}
    if not matrixed:
        return
    inline_types = {(nm(t), nm(r)): r.get("type") or "" for _, t in all_tasks(u)
                    if nm(t) in matrixed for _, r in dicts(t.get("taskSpec"), "results")}
    for path, t in all_tasks(u):
        for j, p in dicts(t, "params"):
            for sub, text in walk_strings(p.get("value"), ("params", j, "value")):
                for r in task_refs(text):
                    if r.what != "results" or r.task not in matrixed:
                        continue
                    if not r.whole:
                        yield path + sub, f"$({r.expr}): {r.task!r} is matrixed; use " \
                                          f"$(tasks.{r.task}.results.{r.result}[*])"
                    elif inline_types.get((r.task, r.result), "string") not in ("", "string"):
                        yield path + sub, f"$({r.expr}): results of a matrixed task must be " \
                                          "strings"
