"""Pipeline structure: task names, refs, params passed to tasks, the DAG, finally, results."""

from __future__ import annotations

from plumbing.dag import LINT_PARTS, PipelineDag, stuck, task_refs
from plumbing.lint.model import d, dicts, l, nm, repeated, s
from plumbing.lint.registry import rule
from plumbing.lint.rules.params import pipeline
from plumbing.lint.rules.steps import DNS1123_LABEL
from plumbing.lint.vars import PREFIX_SHAPED, exprs, param_refs, walk_strings

P = ("Pipeline",)
KNOWN_PREFIXES = ("params", "tasks", "finally", "context", "workspaces", "results")


def all_tasks(u):
    """((section, index), task) for tasks then finally."""
    return u.cached("all_tasks", lambda u: [((sec, i), t) for sec in ("tasks", "finally")
                                            for i, t in dicts(u.spec, sec)])


def names(u, sec) -> set:
    return {nm(t) for _, t in dicts(u.spec, sec) if type(nm(t)) is str}


def value_strings(t):
    """(path, text, isolated-ok) for strings Tekton checks in a pipeline task: params values,
    matrix params and include values, when input and values."""
    for j, p in dicts(t, "params"):
        for sub, text in walk_strings(p.get("value"), ("params", j, "value")):
            yield sub, text, True
    m = d(t.get("matrix"))
    for j, p in dicts(m, "params"):
        for sub, text in walk_strings(p.get("value"), ("matrix", "params", j, "value")):
            yield sub, text, True
    for k, inc in dicts(m, "include"):
        for j, p in dicts(inc, "params"):
            for sub, text in walk_strings(p.get("value"), ("matrix", "include", k, "params", j, "value")):
                yield sub, text, True
    for j, w in dicts(t, "when"):
        if type(w.get("input")) is str:
            yield ("when", j, "input"), w["input"], False
        for k, v in enumerate(l(w.get("values"))):
            if type(v) is str:
                yield ("when", j, "values", k), v, True
        if type(w.get("cel")) is str:
            yield ("when", j, "cel"), w["cel"], False


def dag(u) -> PipelineDag:
    """The pipeline's DAG model (plumbing.dag), built once per unit."""
    return u.cached("dag", lambda u: PipelineDag(u.spec))


def task_ref_uses(u):
    """(task path, sub path, TaskRef) for every task reference in tasks' and finally tasks'
    params, matrix, when and inline steps/sidecars (shared by the DAG and result rules)."""
    return u.cached("task_ref_uses", lambda u: [
        ((n.section, n.index), r.path, r.ref) for n in dag(u).nodes for r in n.refs_in(LINT_PARTS)])


@rule("pipeline-spec-empty", "error", P, tekton="PIPELINE-SPEC-EMPTY,FINALLY-REQUIRES-TASKS",
      doc="""A Pipeline spec with nothing in it is rejected, and so is one with `finally` tasks
    but no `tasks`. (A spec with only params is accepted by Tekton; this rule accepts it too.)""",
      fix="Add tasks.", bad=pipeline("finally: [{name: a, taskRef: {name: t}}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}}]"))
def spec_empty(u):
    if not any(v not in (None, [], {}, "") for v in u.spec.values()):
        yield (), "the Pipeline spec is empty"
    elif l(u.spec.get("finally")) and not l(u.spec.get("tasks")):
        yield ("finally",), "finally tasks need at least one task in tasks"


@rule("pipeline-task-name-format", "error", P, tekton="PIPELINE-TASK-NAME-FORMAT", doc="""Every
    pipeline task (tasks and finally) needs a name that is a DNS-1123 label: lower-case letters,
    digits and `-`, at most 63 characters.""", fix="Rename the task, e.g. `build_image` -> `build-image`.",
      bad=pipeline("tasks: [{name: Build_Image, taskRef: {name: t}}]"),
      good=pipeline("tasks: [{name: build-image, taskRef: {name: t}}]"))
def task_name_format(u):
    for path, t in all_tasks(u):
        n = nm(t)
        if not n:
            yield path, "pipeline task needs a name"
        elif type(n) is not str or not DNS1123_LABEL.match(n) or len(n) > 63:
            yield path + ("name",), f"task name {n!r} is not a DNS-1123 label (lower-case " \
                                    "letters, digits and '-', at most 63 characters)"


@rule("pipeline-task-name-duplicate", "error", P, tekton="PIPELINE-TASK-NAME-DUP", doc="""Pipeline
    task names must be unique across tasks and finally.""", fix="Rename one of the tasks.",
      bad=pipeline("tasks: [{name: a, taskRef: {name: t}}]\nfinally: [{name: a, taskRef: {name: t}}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}}]\nfinally: [{name: b, taskRef: {name: t}}]"))
def task_name_dup(u):
    for path, n in repeated(all_tasks(u), empty=False):
        yield path + ("name",), f"task name {n!r} is used twice"


@rule("pipeline-task-ref-or-spec", "error", P, tekton="PIPELINE-TASK-REF-OR-SPEC", doc="""A
    pipeline task needs exactly one of taskRef, taskSpec (or, with alpha features,
    pipelineRef/pipelineSpec).""", fix="Keep one of them.",
      bad=pipeline("tasks: [{name: a}]"), good=pipeline("tasks: [{name: a, taskRef: {name: t}}]"))
def ref_or_spec(u):
    for path, t in all_tasks(u):
        have = [k for k in ("taskRef", "taskSpec", "pipelineRef", "pipelineSpec") if t.get(k) is not None]
        if not have:
            yield path, f"task {s(t.get('name'))!r} needs taskRef or taskSpec"
        elif len(have) > 1:
            yield path + (have[1],), f"task {s(t.get('name'))!r} has {' and '.join(have)}; keep one"


@rule("pipeline-task-embedded-kind", "error", P, tekton="PIPELINE-TASK-EMBEDDED-APIVERSION-KIND,PIPELINE-CUSTOM-TASK",
      doc="""An embedded taskSpec with steps must not set apiVersion or kind; and a custom task
    (taskRef or taskSpec with a kind other than Task, or with an apiVersion) needs both kind and an
    apiVersion of the form group/version.""",
      fix="Remove apiVersion/kind from the taskSpec, or complete the custom task reference.",
      bad=pipeline("tasks: [{name: a, taskRef: {apiVersion: example.dev/v1, name: x}}]"),
      good=pipeline("tasks: [{name: a, taskRef: {apiVersion: example.dev/v1, kind: Wait, name: x}}]"))
def embedded_kind(u):
    for path, t in all_tasks(u):
        ts = t.get("taskSpec")
        if type(ts) is dict and ts.get("steps") and (ts.get("apiVersion") or ts.get("kind")):
            yield path + ("taskSpec",), "a taskSpec with steps must not set apiVersion or kind"
        for key in ("taskRef", "taskSpec"):
            ref = t.get(key)
            if type(ref) is not dict or (key == "taskSpec" and ref.get("steps")):
                continue
            kind, api = ref.get("kind"), ref.get("apiVersion")
            if kind == "ClusterTask" and not api:
                continue  # removed-cluster-task says it better
            if kind not in (None, "", "Task") or api:
                if not kind:
                    yield path + (key,), "a custom task needs a kind"
                if not api:
                    yield path + (key,), "a custom task needs an apiVersion"
                elif type(api) is not str or api.count("/") != 1 or api.startswith("/") or api.endswith("/"):
                    yield path + (key, "apiVersion"), f"apiVersion {api!r} must be group/version"


@rule("pipeline-task-on-error", "error", P, tekton="PIPELINE-TASK-ONERROR", doc="""A pipeline
    task's onError is `continue` or `stopAndFail` (or a `$(params...)` reference), and
    `continue` cannot be combined with retries.""", fix="Fix the value, or drop retries.",
      bad=pipeline("tasks: [{name: a, taskRef: {name: t}, onError: continue, retries: 2}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}, onError: continue}]"))
def task_on_error(u):
    for path, t in all_tasks(u):
        v = t.get("onError")
        if v is None or (type(v) is str and v.startswith("$(params")):
            continue
        if v not in ("continue", "stopAndFail"):
            yield path + ("onError",), f"onError {v!r} must be 'continue' or 'stopAndFail'"
        elif v == "continue" and type(t.get("retries")) is int and t["retries"] > 0:
            yield path + ("onError",), "onError: continue cannot be combined with retries"


@rule("pipeline-task-param-duplicate", "error", P, tekton="PIPELINE-TASK-PARAM-DUP", doc="""A param
    may be passed to a pipeline task only once.""", fix="Remove the duplicate.",
      bad=pipeline("tasks: [{name: a, taskRef: {name: t}, params: [{name: x, value: '1'}, {name: x, value: '2'}]}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}, params: [{name: x, value: '1'}]}]"))
def task_param_dup(u):
    for path, t in all_tasks(u):
        for j, n in repeated(dicts(t, "params")):
            yield path + ("params", j, "name"), f"param {n!r} is passed twice"


def _param_uses(u):
    return u.cached("pipeline_param_uses", _compute_param_uses)


def _compute_param_uses(u):
    types = u.param_types()
    return [(path + sub, text, iso, r, types) for path, t in all_tasks(u)
            for sub, text, iso in value_strings(t) if "$(" in text for r in param_refs(text)]


@rule("pipeline-param-undeclared", "error", P, tekton="PIPELINE-PARAM-UNDEFINED,WHEN-PARAM-REFS,MATRIX-PARAM-REFS",
      doc="""`$(params.<name>)` in a pipeline task's params, matrix or when expressions must name a
    declared Pipeline param (or, for an inline pipelineSpec, a PipelineRun param).""",
      fix="Declare the param under spec.params, or fix its name.",
      bad=pipeline("params: [{name: url}]\ntasks: [{name: a, taskRef: {name: t}, params: [{name: u, value: $(params.uri)}]}]"),
      good=pipeline("params: [{name: url}]\ntasks: [{name: a, taskRef: {name: t}, params: [{name: u, value: $(params.url)}]}]"))
def pipeline_param_undeclared(u):
    for path, _, _, r, types in _param_uses(u):
        if r.error is None and r.name not in types:
            yield path, f"$({r.expr}) refers to param {r.name!r}, which the Pipeline does not declare"


@rule("pipeline-param-usage", "error", P, tekton="PIPELINE-PARAM-UNDEFINED", doc="""A whole array
    or object Pipeline param (`$(params.a[*])`) may only be a param value on its own, not part of
    a longer string or a when input; `$(params.obj.key)` must name a declared key; dot notation
    takes at most two components.""", fix="Pass the whole value on its own, or one element or key.",
      bad=pipeline("params: [{name: a, type: array}]\n"
                   "tasks: [{name: x, taskRef: {name: t}, params: [{name: u, value: 'go $(params.a[*])'}]}]"),
      good=pipeline("params: [{name: a, type: array}]\n"
                    "tasks: [{name: x, taskRef: {name: t}, params: [{name: u, value: '$(params.a[*])'}]}]"))
def pipeline_param_usage(u):
    declared = u.params()
    for path, text, iso, r, types in _param_uses(u):
        if r.error:
            yield path, f"$({r.expr}): {r.error}"
            continue
        t = types.get(r.name)
        if t == "object" and r.key is not None:
            props = d(declared.get(r.name, {}).get("properties"))
            if r.name in declared and props and r.key not in props:
                yield path, f"$({r.expr}): object param {r.name!r} has no key {r.key!r}"
        elif t in ("array", "object") and r.key is None and r.index in (None, "*"):
            if not (iso and text.strip() == f"$({r.expr})"):
                yield path, f"$({r.expr}) uses the whole {t} param {r.name!r} inside a " \
                            "string; it may only be a value on its own"


@rule("pipeline-variable-prefix", "error", P, tekton="PIPELINE-VAR-PREFIX", doc="""Since Tekton
    v1.14, every `$(name)`-shaped expression in a pipeline task's params, matrix or when must start
    with params, tasks, finally, context, workspaces or results. Shell command substitution such as
    `$(date)` is rejected there.""", fix="Use `${VAR}` or backticks for the shell, or escape it with `$$(`.",
      bad=pipeline("tasks: [{name: a, taskRef: {name: t}, params: [{name: d, value: 'v-$(date)'}]}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}, params: [{name: d, value: 'v-${DATE}'}]}]"))
def variable_prefix(u):
    for path, t in all_tasks(u):
        for sub, text, _ in value_strings(t):
            if sub[-1] == "cel":
                continue
            for e in exprs(text):
                if PREFIX_SHAPED.match(e) and e.split(".")[0].split("[")[0] not in KNOWN_PREFIXES:
                    yield path + sub, f"$({e}) is not a Tekton variable (known prefixes: " \
                                      f"{', '.join(KNOWN_PREFIXES)})"


PIPELINE_CONTEXT = {"pipelineRun": ("name", "namespace", "uid"), "pipeline": ("name",),
                    "pipelineTask": ("retries",)}


@rule("pipeline-context-unknown", "error", P, tekton="PIPELINE-CONTEXT-UNDEFINED", doc="""In a
    pipeline task's params, the context variables are `$(context.pipelineRun.name|namespace|uid)`,
    `$(context.pipeline.name)` and `$(context.pipelineTask.retries)`.""", stricter="""Tekton only
    examines the last pipeline task's params (quirk 1); this rule reports the others too, as
    warnings.""", fix="Use one of the listed context variables.",
      bad=pipeline("tasks: [{name: a, taskRef: {name: t}, params: [{name: n, value: $(context.pipelineRun.id)}]}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}, params: [{name: n, value: $(context.pipelineRun.uid)}]}]"))
def pipeline_context(u):
    tasks = list(dicts(u.spec, "tasks"))
    last = tasks[-1][0] if tasks else None
    for path, t in all_tasks(u):
        for j, p in dicts(t, "params"):
            for sub, text in walk_strings(p.get("value"), ("params", j, "value")):
                for e in exprs(text):
                    parts = e.strip().split(".")
                    if len(parts) >= 2 and parts[0] == "context" and parts[1] in PIPELINE_CONTEXT:
                        if len(parts) != 3 or parts[2] not in PIPELINE_CONTEXT[parts[1]]:
                            sev = "error" if path == ("tasks", last) else "warning"
                            yield path + sub, f"$({e}) is not a pipeline context variable", sev


@rule("pipeline-status-ref", "error", P, tekton="PIPELINE-EXEC-STATUS-IN-DAG,PIPELINE-EXEC-STATUS-UNKNOWN-TASK",
      doc="""Execution status (`$(tasks.<t>.status)`, `$(tasks.<t>.reason)`, `$(tasks.status)`) is
    only available to finally tasks, and must name a task in `tasks`.""",
      fix="Move the task that needs the status into finally.",
      bad=pipeline("tasks:\n  - {name: a, taskRef: {name: t}}\n"
                   "  - {name: b, taskRef: {name: t}, params: [{name: s, value: $(tasks.a.status)}]}"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}}]\n"
                    "finally: [{name: b, taskRef: {name: t}, params: [{name: s, value: $(tasks.a.status)}]}]"))
def status_ref(u):
    dag = names(u, "tasks")
    for path, t in all_tasks(u):
        for sub, text, _ in value_strings(t):
            for r in task_refs(text):
                if r.scope != "tasks" or r.what not in ("status", "reason"):
                    continue
                if path[0] == "tasks":
                    yield path + sub, f"$({r.expr}) is only available in finally tasks"
                elif r.task and r.task not in dag:
                    yield path + sub, f"$({r.expr}) names {r.task!r}, which is not a task in tasks"


@rule("pipeline-result-value", "error", P, tekton="PIPELINE-RESULT-VALUE", doc="""A Pipeline
    result's value must hold at least one reference, and only task-result references
    `$(tasks.<t>.results.<r>)` (or `$(finally.<t>.results.<r>)`) to tasks that exist.""",
      fix="Point the value at a task's result.",
      bad=pipeline("tasks: [{name: a, taskRef: {name: t}}]\nresults: [{name: r, value: $(tasks.b.results.x)}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}}]\nresults: [{name: r, value: $(tasks.a.results.x)}]"))
def result_value(u):
    dag, fin = names(u, "tasks"), names(u, "finally")
    for i, r in dicts(u.spec, "results"):
        if "value" not in r or r.get("value") is None:
            yield ("results", i), f"pipeline result {r.get('name')!r} needs a value"
            continue
        found = 0
        for sub, text in walk_strings(r["value"], ("results", i, "value")):
            es = exprs(text)
            refs = task_refs(text)
            found += len(es)
            if len(refs) != len(es) or any(x.what != "results" for x in refs):
                yield sub, "a pipeline result value may only reference task results"
                continue
            for x in refs:
                pool = dag if x.scope == "tasks" else fin
                if x.task not in pool:
                    yield sub, f"$({x.expr}) names {x.task!r}, which is not in {x.scope}"
        if not found:
            yield ("results", i, "value"), "a pipeline result value must reference a task result"


@rule("dag-task-missing", "error", P, tekton="DAG-RUNAFTER-MISSING,DAG-RESULT-REF-MISSING-TASK,"
                                             "FINALLY-RESULT-REF,PIPELINE-RESULT-REF-TO-CHILD-PIPELINE",
      doc="""runAfter entries and `$(tasks.<t>.results.<r>)` references must name a task in
    `tasks` (a finally task is 'not present' for the DAG, and finally tasks may not use each
    other's results); and results of a pipeline task that runs a child pipeline (pipelineRef or
    pipelineSpec) cannot be referenced.""", fix="Fix the task name, or move the task into tasks.",
      bad=pipeline("tasks:\n  - {name: a, taskRef: {name: t}}\n  - {name: b, taskRef: {name: t}, runAfter: [c]}"),
      good=pipeline("tasks:\n  - {name: a, taskRef: {name: t}}\n  - {name: b, taskRef: {name: t}, runAfter: [a]}"))
def dag_missing(u):
    dag = names(u, "tasks")
    children = {nm(t) for _, t in all_tasks(u)
                if t.get("pipelineRef") is not None or t.get("pipelineSpec") is not None}
    for i, t in dicts(u.spec, "tasks"):
        for k, a in enumerate(l(t.get("runAfter"))):
            if type(a) is str and a not in dag:
                yield ("tasks", i, "runAfter", k), f"runAfter {a!r} is not a task in tasks"
    for path, sub, r in task_ref_uses(u):
        if r.what != "results":
            continue
        if r.scope == "finally" or r.task not in dag:
            if path[0] == "tasks":
                yield path + sub, f"$({r.expr}) names {r.task!r}, which is not a task in tasks"
            else:
                yield path + sub, f"$({r.expr}): finally tasks may only use results of tasks in tasks"
        elif r.task in children:
            yield path + sub, f"$({r.expr}): {r.task!r} runs a child pipeline; its results " \
                              "cannot be referenced"


@rule("dag-cycle", "error", P, tekton="DAG-CYCLE", doc="""The tasks' dependencies (runAfter and
    result references) must not form a cycle; a task depending on itself is a cycle too.""",
      fix="Remove one of the dependencies in the cycle.",
      bad=pipeline("tasks:\n  - {name: a, taskRef: {name: t}, runAfter: [b]}\n  - {name: b, taskRef: {name: t}, runAfter: [a]}"),
      good=pipeline("tasks:\n  - {name: a, taskRef: {name: t}}\n  - {name: b, taskRef: {name: t}, runAfter: [a]}"))
def dag_cycle(u):
    deps = dag(u).deps(LINT_PARTS)
    graph = {n: {x for x in ds if x in deps} for n, ds in deps.items()}
    blocked = stuck(graph)  # whatever cannot be ordered is on or behind a cycle
    if not blocked:
        return
    index = {nm(t): i for i, t in dicts(u.spec, "tasks")}
    for n in blocked:
        on_cycle = [x for x in graph[n] if x in blocked]
        if on_cycle and n in index:
            yield ("tasks", index[n], "name"), f"cycle detected; task {n!r} depends on " \
                                               f"{sorted(on_cycle)[0]!r}"


@rule("finally-run-after", "error", P, tekton="FINALLY-NO-RUNAFTER", doc="""finally tasks run after
    all tasks and cannot have runAfter.""", fix="Remove runAfter from the finally task.",
      bad=pipeline("tasks: [{name: a, taskRef: {name: t}}]\nfinally: [{name: b, taskRef: {name: t}, runAfter: [a]}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}}]\nfinally: [{name: b, taskRef: {name: t}}]"))
def finally_run_after(u):
    for i, t in dicts(u.spec, "finally"):
        if l(t.get("runAfter")):
            yield ("finally", i, "runAfter"), "finally tasks cannot have runAfter"
