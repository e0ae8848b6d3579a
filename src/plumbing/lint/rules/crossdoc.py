"""Cross-document checks within the linted set: a reference to a Task or Pipeline that is in the
set must bind what it requires, and task-result references must name declared results. Tekton
finds these only at run time, so they are warnings."""

from __future__ import annotations

from plumbing.dag import task_refs
from plumbing.lint.model import d, dicts, nm, param_type
from plumbing.lint.registry import rule
from plumbing.lint.rules.pipeline import all_tasks, task_ref_uses
from plumbing.lint.vars import walk_strings

TASK = """
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build}
spec:
  params: [{name: url}, {name: depth, default: '1'}]
  workspaces: [{name: source}, {name: cache, optional: true}]
  results: [{name: digest}]
  steps: [{name: s, image: alpine, script: 'echo $(params.url) > $(results.digest.path)'}]
---
"""


def _target(u, ref, kind="Task"):
    """The Task (or Pipeline) in the linted set a local ref points at, else None."""
    if u.lintset is None or type(ref) is not dict or ref.get("resolver") or ref.get("params"):
        return None
    if ref.get("kind") not in (None, "", kind) or ref.get("apiVersion"):
        return None
    return u.lintset.named(kind, nm(ref), u.obj.display)


def _callers(u):
    """(path, caller mapping, target spec) for every local ref in this unit."""
    if u.kind == "Pipeline":
        for path, t in all_tasks(u):
            obj = _target(u, t.get("taskRef"))
            if obj is not None:
                yield path, t, d(obj.data.get("spec")), "Task", obj.name
    elif u.kind in ("TaskRun", "PipelineRun"):
        kind = "Task" if u.kind == "TaskRun" else "Pipeline"
        key = kind[0].lower() + kind[1:] + "Ref"
        obj = _target(u, u.spec.get(key), kind)
        if obj is not None:
            yield (key,), u.spec, d(obj.data.get("spec")), kind, obj.name


@rule("ref-required-param-missing", "warning", ("Pipeline", "TaskRun", "PipelineRun"),
      tekton="RT-PARAM-MISSING", cross=True, doc="""A pipeline task, TaskRun or PipelineRun that
    references a Task or Pipeline in the linted set must pass every param the target declares
    without a default (matrix params count). Tekton fails the run when it starts.""",
      fix="Pass the param, or give it a default in the Task.",
      bad=TASK + "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n"
                 "  workspaces: [{name: ws}]\n"
                 "  tasks: [{name: a, taskRef: {name: build}, workspaces: [{name: source, workspace: ws}]}]\n",
      good=TASK + "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n"
                  "  workspaces: [{name: ws}]\n"
                  "  tasks: [{name: a, taskRef: {name: build}, params: [{name: url, value: x}],"
                  " workspaces: [{name: source, workspace: ws}]}]\n")
def required_params(u):
    for path, caller, spec, kind, name in _callers(u):
        given = {nm(p) for _, p in dicts(caller, "params")}
        m = d(caller.get("matrix"))
        given |= {nm(p) for _, p in dicts(m, "params")}
        for _, inc in dicts(m, "include"):
            given |= {nm(p) for _, p in dicts(inc, "params")}
        for _, p in dicts(spec, "params"):
            if "default" not in p and nm(p) not in given:
                yield path, f"{kind} {name!r} needs param {p.get('name')!r}, which is not passed"


@rule("ref-workspace-missing", "warning", ("Pipeline", "TaskRun", "PipelineRun"),
      tekton="RT-WS-TASKRUN-BINDINGS,RT-WS-PIPELINERUN-MISSING", cross=True, doc="""A pipeline task,
    TaskRun or PipelineRun that references a Task or Pipeline in the linted set must bind every
    workspace the target declares as not optional. Tekton fails the run when it starts.""",
      fix="Bind the workspace, or mark it optional in the Task.",
      bad=TASK + "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n"
                 "  tasks: [{name: a, taskRef: {name: build}, params: [{name: url, value: x}]}]\n",
      good=TASK + "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n"
                  "  workspaces: [{name: ws}]\n"
                  "  tasks: [{name: a, taskRef: {name: build}, params: [{name: url, value: x}],"
                  " workspaces: [{name: source, workspace: ws}]}]\n")
def required_workspaces(u):
    for path, caller, spec, kind, name in _callers(u):
        bound = {nm(b) for _, b in dicts(caller, "workspaces")}
        for _, w in dicts(spec, "workspaces"):
            if not w.get("optional") and nm(w) not in bound:
                yield path, f"{kind} {name!r} needs workspace {w.get('name')!r}, which is not bound"


@rule("task-result-undeclared", "warning", "Pipeline", tekton="RT-RESULT-UNDECLARED", cross=True,
      doc="""`$(tasks.<t>.results.<r>)` (in task params, when, matrix, inline specs and Pipeline
    results) must name a result the Task of `<t>` declares, when that Task is embedded or in the
    linted set. Tekton finds out only when the run resolves the reference.""",
      fix="Fix the result name, or declare the result in the Task.",
      bad=TASK + "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  workspaces: [{name: ws}]\n  tasks:\n"
                 "    - {name: a, taskRef: {name: build}, params: [{name: url, value: x}],"
                 " workspaces: [{name: source, workspace: ws}]}\n"
                 "  results: [{name: d, value: $(tasks.a.results.digets)}]\n",
      good=TASK + "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  workspaces: [{name: ws}]\n  tasks:\n"
                  "    - {name: a, taskRef: {name: build}, params: [{name: url, value: x}],"
                 " workspaces: [{name: source, workspace: ws}]}\n"
                  "  results: [{name: d, value: $(tasks.a.results.digest)}]\n")
def result_undeclared(u):
    results = {}
    for _, t in all_tasks(u):
        spec = None
        if type(t.get("taskSpec")) is dict and t["taskSpec"].get("steps") is not None:
            spec = t["taskSpec"]
        else:
            obj = _target(u, t.get("taskRef"))
            if obj is not None:
                spec = d(obj.data.get("spec"))
        if spec is not None and type(nm(t)) is str:
            results[t["name"]] = {nm(r) for _, r in dicts(spec, "results")}
    if not results:
        return
    uses = [(path + sub, r) for path, sub, r in task_ref_uses(u)]
    for i, res in dicts(u.spec, "results"):
        for path, text in walk_strings(res.get("value"), ("results", i, "value")):
            uses.extend((path, r) for r in task_refs(text))
    for path, r in uses:
        if r.what == "results" and r.task in results and r.result not in results[r.task]:
            yield path, f"$({r.expr}): task {r.task!r} declares no result {r.result!r}"


@rule("ref-param-type-mismatch", "warning", ("Pipeline", "TaskRun", "PipelineRun"),
      tekton="RT-PARAM-TYPE-MISMATCH,RT-PARAM-OBJECT-KEYS", cross=True, doc="""A param passed to a
    Task or Pipeline in the linted set must have the declared type's shape (a list for array, a
    mapping for object, else a string; a string holding a `$(...)` reference may feed any type),
    and an object value must give every declared key. Tekton fails the run when it starts.""",
      fix="Pass a value of the declared type.",
      bad=TASK + "apiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata: {name: r}\nspec:\n  taskRef: {name: build}\n"
                 "  params: [{name: url, value: [a, b]}]\n  workspaces: [{name: source, emptyDir: {}}]\n",
      good=TASK + "apiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata: {name: r}\nspec:\n  taskRef: {name: build}\n"
                  "  params: [{name: url, value: a}]\n  workspaces: [{name: source, emptyDir: {}}]\n")
def param_type_mismatch(u):
    from plumbing.lint.model import value_shape

    for path, caller, spec, kind, name in _callers(u):
        declared = {nm(p): p for _, p in dicts(spec, "params")}
        base = path[:-1] if path and path[-1] in ("taskRef", "pipelineRef") else path
        for j, p in dicts(caller, "params"):
            target = declared.get(nm(p))
            if target is None or "value" not in p:
                continue
            value = p["value"]
            want, shape = param_type(target), value_shape(value)
            if shape == "string" and type(value) is str and "$(" in value:
                continue
            if want in ("string", "array", "object") and shape != want:
                yield base + ("params", j, "value"), f"{kind} {name!r} declares {nm(p)!r} " \
                                                     f"as {want}, but a{'n' if shape[0] in 'ao' else ''} " \
                                                     f"{shape} is passed"
            elif want == "object" and shape == "object":
                missing = sorted(set(d(target.get("properties"))) - set(value))
                if missing:
                    yield base + ("params", j, "value"), f"{kind} {name!r} needs key(s) " \
                                                         f"{', '.join(missing)} in {nm(p)!r}"
