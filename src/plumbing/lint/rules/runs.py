"""TaskRun and PipelineRun specs."""

from __future__ import annotations

from plumbing.dag import task_refs
from plumbing.lint.model import d, dicts, nm, repeated
from plumbing.lint.registry import rule
from plumbing.lint.rules.decode import parse_duration
from plumbing.lint.vars import walk_strings

R = ("TaskRun", "PipelineRun")


def run(kind: str, body: str, version: str = "v1") -> str:
    return f"apiVersion: tekton.dev/{version}\nkind: {kind}\nmetadata: {{name: r}}\nspec:\n" + \
        "\n".join("  " + line for line in body.strip("\n").splitlines()) + "\n"


@rule("run-ref-or-spec", "error", R, tekton="TASKRUN-REF-OR-SPEC,PIPELINERUN-REF-OR-SPEC", doc="""A
    TaskRun needs exactly one of taskRef and taskSpec; a PipelineRun exactly one of pipelineRef and
    pipelineSpec.""", fix="Keep one of them.",
      bad=run("TaskRun", "params: []"), good=run("TaskRun", "taskRef: {name: t}"))
def ref_or_spec(u):
    a, b = ("taskRef", "taskSpec") if u.kind == "TaskRun" else ("pipelineRef", "pipelineSpec")
    has = [k for k in (a, b) if u.spec.get(k) is not None]
    if not has:
        yield (), f"a {u.kind} needs {a} or {b}"
    elif len(has) == 2:
        yield (b,), f"a {u.kind} has both {a} and {b}; keep one"


@rule("run-param-duplicate", "error", R, tekton="RUN-PARAM-DUP", doc="""A run's params must have
    unique names, compared case-insensitively.""", fix="Remove the duplicate.",
      bad=run("TaskRun", "taskRef: {name: t}\nparams: [{name: a, value: x}, {name: A, value: y}]"),
      good=run("TaskRun", "taskRef: {name: t}\nparams: [{name: a, value: x}]"))
def param_dup(u):
    for j, n in repeated(dicts(u.spec, "params"), fold=str.lower):
        yield ("params", j, "name"), f"param {n!r} is passed twice"


def _spec_lists(u):
    if u.kind == "TaskRun":
        yield (), u.spec
    for j, trs in dicts(u.spec, "taskRunSpecs"):
        yield ("taskRunSpecs", j), trs


@rule("run-step-specs", "error", R, tekton="RUN-STEPSPECS,RUN-COMPUTE-RESOURCES-EXCLUSIVE", doc="""
    stepSpecs and sidecarSpecs entries each need a name, unique case-insensitively; and
    task-level computeResources cannot be combined with stepSpecs computeResources.""",
      fix="Name every entry once; set compute resources at one level.",
      bad=run("TaskRun", "taskRef: {name: t}\nstepSpecs: [{computeResources: {}}]"),
      good=run("TaskRun", "taskRef: {name: t}\nstepSpecs: [{name: s, computeResources: {}}]"))
def step_specs(u):
    for base, sp in _spec_lists(u):
        for key in ("stepSpecs", "sidecarSpecs"):
            seen = set()
            for j, x in dicts(sp, key):
                n = nm(x)
                if not n or type(n) is not str:
                    yield base + (key, j), f"{key} entries need a name"
                    continue
                if n.lower() in seen:
                    yield base + (key, j, "name"), f"{n!r} appears twice in {key}"
                seen.add(n.lower())
        if sp.get("computeResources") and any(x.get("computeResources") for _, x in dicts(sp, "stepSpecs")):
            yield base + ("computeResources",), "computeResources cannot be set both here and in stepSpecs"


TASKRUN_STATUS = ("", "TaskRunCancelled", "TaskRunPending")
PIPELINERUN_STATUS = ("", "PipelineRunPending", "Cancelled", "CancelledRunFinally", "StoppedRunFinally")


@rule("run-status", "error", R, tekton="TASKRUN-STATUS,PIPELINERUN-STATUS", doc="""spec.status
    may only be set to TaskRunCancelled or TaskRunPending (TaskRun), PipelineRunPending, Cancelled,
    CancelledRunFinally or StoppedRunFinally (PipelineRun); a TaskRun's statusMessage needs a
    status.""", fix="Use one of the listed values.",
      bad=run("PipelineRun", "pipelineRef: {name: p}\nstatus: Canceled"),
      good=run("PipelineRun", "pipelineRef: {name: p}\nstatus: Cancelled"))
def status(u):
    allowed = TASKRUN_STATUS if u.kind == "TaskRun" else PIPELINERUN_STATUS
    v = u.spec.get("status")
    if v is not None and v not in allowed:
        yield ("status",), f"status {v!r} must be one of {', '.join(x for x in allowed if x)}"
    if u.kind == "TaskRun" and u.spec.get("statusMessage") and not v:
        yield ("statusMessage",), "statusMessage needs status"


@rule("taskrun-retries", "error", "TaskRun", tekton="TASKRUN-RETRIES", doc="""A TaskRun's retries
    must not be negative.""", fix="Use 0 or more.",
      bad=run("TaskRun", "taskRef: {name: t}\nretries: -1"), good=run("TaskRun", "taskRef: {name: t}\nretries: 1"))
def retries(u):
    v = u.spec.get("retries")
    if type(v) is int and v < 0:
        yield ("retries",), "retries must not be negative"


@rule("pipelinerun-param-result-ref", "error", "PipelineRun", tekton="PIPELINERUN-PARAM-NO-RESULT-REFS",
      doc="""A PipelineRun's params cannot reference task results: there are no tasks yet when
    they are resolved.""", fix="Pass the result between tasks inside the Pipeline.",
      bad=run("PipelineRun", "pipelineRef: {name: p}\nparams: [{name: a, value: $(tasks.b.results.c)}]"),
      good=run("PipelineRun", "pipelineRef: {name: p}\nparams: [{name: a, value: c}]"))
def param_result_ref(u):
    for j, p in dicts(u.spec, "params"):
        for sub, text in walk_strings(p.get("value"), ("params", j, "value")):
            if any(r.what == "results" for r in task_refs(text)):
                yield sub, "PipelineRun params cannot reference task results"


@rule("pipelinerun-timeouts", "error", "PipelineRun", tekton="PIPELINERUN-TIMEOUTS-BOUNDS,"
                                                             "PIPELINERUN-TASKRUNSPEC-TIMEOUT,B1-PR-TIMEOUT-VS-TIMEOUTS",
      doc="""With P = timeouts.pipeline (60m when omitted) and P not 0: timeouts.tasks and
    timeouts.finally must each be at most P, together at most P, and not 0; a taskRunSpecs timeout
    must not exceed timeouts.tasks (else P). In v1beta1, spec.timeout and spec.timeouts exclude
    each other.""", fix="Raise timeouts.pipeline, or lower the others.",
      bad=run("PipelineRun", "pipelineRef: {name: p}\ntimeouts: {pipeline: 1h, tasks: 2h}"),
      good=run("PipelineRun", "pipelineRef: {name: p}\ntimeouts: {pipeline: 2h, tasks: 1h}"))
def timeouts(u):
    if u.spec.get("timeout") is not None and u.spec.get("timeouts") is not None:
        yield ("timeout",), "spec.timeout and spec.timeouts cannot both be set"
    t = d(u.spec.get("timeouts"))
    raw_p = t.get("pipeline")
    p = parse_duration(raw_p) if raw_p is not None else 3600.0
    tasks, fin = _duration_of(t, "tasks"), _duration_of(t, "finally")
    if p is not None and p > 0:
        yield from _within_pipeline(t, p, raw_p, tasks, fin)
    bound = tasks if tasks is not None else p
    for j, trs in dicts(u.spec, "taskRunSpecs"):
        v = _duration_of(trs, "timeout")
        if v is not None and bound and v > bound:
            yield ("taskRunSpecs", j, "timeout"), "taskRunSpecs timeout exceeds the pipeline's task timeout"


def _duration_of(m: dict, key: str):
    return parse_duration(m.get(key)) if m.get(key) is not None else None


def _within_pipeline(t: dict, p: float, raw_p, tasks, fin):
    """timeouts.tasks and timeouts.finally against a non-zero timeouts.pipeline."""
    for key, v in (("tasks", tasks), ("finally", fin)):
        if v is None:
            continue
        if v == 0:
            yield ("timeouts", key), f"timeouts.{key} cannot be 0 (no timeout) when the pipeline has a timeout"
        elif v > p:
            yield ("timeouts", key), f"timeouts.{key} ({t.get(key)}) exceeds timeouts.pipeline ({raw_p or '60m'})"
    if tasks is not None and fin is not None and tasks + fin > p and tasks <= p and fin <= p:
        yield ("timeouts",), "timeouts.tasks + timeouts.finally exceeds timeouts.pipeline"
