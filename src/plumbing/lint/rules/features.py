"""Features behind Tekton feature flags the cluster has not turned on. The flags in effect are
the cluster's (plumbing.tekton_flags: its feature-flags ConfigMap over Tekton v1.15's defaults),
overridden by `feature-flags:` in .plumbing-lint.yaml."""

from __future__ import annotations

from plumbing.lint.model import dicts, l
from plumbing.lint.registry import rule
from plumbing.lint.rules.steps import task
from plumbing.lint.vars import exprs, walk_strings
from plumbing.tekton_flags import cluster_flags, enabled

_ARTIFACT_PREFIXES = ("step.artifacts.path", "artifacts.path")
ALPHA, ENUM, CEL, ARTIFACTS = "enable-api-fields", "enable-param-enum", "enable-cel-in-whenexpression", "enable-artifacts"
_MESSAGE = {ALPHA: "enable-api-fields: alpha", ENUM: "enable-param-enum: true",
            CEL: "enable-cel-in-whenexpression: true", ARTIFACTS: "enable-artifacts: true"}


def _artifact_ref(e: str) -> bool:
    parts = e.strip().split(".")
    if e.strip() in _ARTIFACT_PREFIXES:
        return True
    return len(parts) >= 3 and parts[0] in ("steps", "tasks") and parts[2] in ("inputs", "outputs")


def _artifact_refs(value, path):
    """Paths of strings under `value` holding an artifact reference."""
    for sub, text in walk_strings(value, path):
        if any(_artifact_ref(e) for e in exprs(text)):
            yield sub


def flags_of(u) -> dict:
    """The feature flags this run lints with."""
    flags = getattr(u.lintset, "flags", None)
    return flags if flags is not None else cluster_flags()


@rule("feature-flag-required", "warning", ("Task", "Pipeline", "TaskRun", "StepAction"),
      tekton="PIPELINE-TASK-PIPELINEREF-ALPHA,PARAM-ENUM,STEP-WINDOWS-SCRIPT-ALPHA,STEP-STDIO-CONFIG-ALPHA,"
             "WHEN-CEL,STEP-ARTIFACT-REF,PIPELINE-ARTIFACT-FLAG,TASKRUN-DEBUG",
      doc="""Features that need a feature flag the cluster has not turned on, so the object is
    rejected there: pipelineRef/pipelineSpec in a pipeline task, `#!win` scripts,
    stdoutConfig/stderrConfig and TaskRun `debug` (enable-api-fields: alpha); param `enum`
    (enable-param-enum); `cel` in when (enable-cel-in-whenexpression); artifact references
    `$(steps.x.outputs.y)`, `$(tasks.x.inputs.y)`, `$(step.artifacts.path)` (enable-artifacts).
    The flags are the cluster's: the feature-flags ConfigMap the Pulumi program applies
    (plumbing.tekton_flags), Tekton v1.15's defaults for the rest, and `feature-flags:` in
    .plumbing-lint.yaml on top. A feature whose flag is on is not reported. A warning, because
    linted YAML may be meant for another cluster.""", fix="""Turn the flag on in the cluster's
    feature-flags ConfigMap (plumbing.tekton_flags), or set it under `feature-flags:` in
    .plumbing-lint.yaml when the YAML is for a cluster that has it.""",
      bad=task("params: [{name: a, enum: [x, y]}]\nsteps: [{name: s, image: alpine}]"),
      good=task("params: [{name: a}]\nsteps: [{name: s, image: alpine}]"))
def feature_flags(u):
    flags = flags_of(u)
    for path, flag, what in _CHECKS[u.kind](u):
        if not enabled(flags, flag):
            yield path, f"{what} {_MESSAGE[flag]}"


def _param_enums(u):
    for i, p in dicts(u.spec, "params"):
        if "enum" in p:
            yield ("params", i, "enum"), ENUM, "param enum needs"


def _task(u):
    yield from _param_enums(u)
    for i, st in dicts(u.spec, "steps"):
        yield from _step(i, st)


def _step(i: int, st: dict):
    script = st.get("script")
    if type(script) is str and script.strip().startswith("#!win"):
        yield ("steps", i, "script"), ALPHA, "#!win scripts need"
    for k in ("stdoutConfig", "stderrConfig"):
        if k in st:
            yield ("steps", i, k), ALPHA, f"{k} needs"
    for j, w in enumerate(l(st.get("when"))):
        if type(w) is dict and "cel" in w:
            yield ("steps", i, "when", j, "cel"), CEL, "cel needs"
    for k in ("script", "command", "args", "env"):
        v = st.get(k)
        if v is None or (type(v) is str and "puts." not in v and "artifacts" not in v):
            continue
        for sub in _artifact_refs(v, ("steps", i, k)):
            yield sub, ARTIFACTS, "artifact references need"


def _pipeline(u):
    yield from _param_enums(u)
    for sec in ("tasks", "finally"):
        for i, t in dicts(u.spec, sec):
            for k in ("pipelineRef", "pipelineSpec"):
                if t.get(k) is not None:
                    yield (sec, i, k), ALPHA, f"{k} in a pipeline task needs"
            for j, w in enumerate(l(t.get("when"))):
                if type(w) is dict and "cel" in w:
                    yield (sec, i, "when", j, "cel"), CEL, "cel needs"
            for j, p in dicts(t, "params"):
                for sub in _artifact_refs(p.get("value"), (sec, i, "params", j, "value")):
                    yield sub, ARTIFACTS, "artifact references need"


def _taskrun(u):
    if u.spec.get("debug") is not None:
        yield ("debug",), ALPHA, "debug needs"


_CHECKS = {"Task": _task, "Pipeline": _pipeline, "StepAction": _param_enums, "TaskRun": _taskrun}
