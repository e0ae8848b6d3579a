"""Features behind feature flags that are off in a default Tekton v1.15 install."""

from __future__ import annotations

from plumbing.lint.model import dicts, l
from plumbing.lint.registry import rule
from plumbing.lint.rules.steps import task
from plumbing.lint.vars import exprs, walk_strings

_ARTIFACT_PREFIXES = ("step.artifacts.path", "artifacts.path")


def _artifact_ref(e: str) -> bool:
    parts = e.strip().split(".")
    if e.strip() in _ARTIFACT_PREFIXES:
        return True
    return len(parts) >= 3 and parts[0] in ("steps", "tasks") and parts[2] in ("inputs", "outputs")


@rule("feature-flag-required", "warning", ("Task", "Pipeline", "TaskRun", "StepAction"),
      tekton="PIPELINE-TASK-PIPELINEREF-ALPHA,PARAM-ENUM,STEP-WINDOWS-SCRIPT-ALPHA,STEP-STDIO-CONFIG-ALPHA,WHEN-CEL,STEP-ARTIFACT-REF,PIPELINE-ARTIFACT-FLAG,TASKRUN-DEBUG",
      doc="""Features that need a feature flag a default install leaves off, so the object is
    rejected unless the cluster turned the flag on: pipelineRef/pipelineSpec in a pipeline task,
    `#!win` scripts, stdoutConfig/stderrConfig and TaskRun `debug` (enable-api-fields: alpha);
    param `enum` (enable-param-enum); `cel` in when (enable-cel-in-whenexpression); artifact
    references `$(steps.x.outputs.y)`, `$(tasks.x.inputs.y)`, `$(step.artifacts.path)`
    (enable-artifacts). A warning, not an error, because the flags are the cluster's choice (the
    real Tekton release pipeline uses `cel`, and the dogfooding cluster turns it on); make it an
    error in .plumbing-lint.yaml for a cluster with default flags.""", fix="""Turn the flag on in the cluster's feature-flags ConfigMap, or
    silence this rule in .plumbing-lint.yaml for a cluster that has it.""",
      bad=task("params: [{name: a, enum: [x, y]}]\nsteps: [{name: s, image: alpine}]"),
      good=task("params: [{name: a}]\nsteps: [{name: s, image: alpine}]"))
def feature_flags(u):
    if u.kind in ("Task", "Pipeline", "StepAction"):
        for i, p in dicts(u.spec, "params"):
            if "enum" in p:
                yield ("params", i, "enum"), "param enum needs enable-param-enum: true"
    if u.kind == "Task":
        for i, st in dicts(u.spec, "steps"):
            script = st.get("script")
            if type(script) is str and script.strip().startswith("#!win"):
                yield ("steps", i, "script"), "#!win scripts need enable-api-fields: alpha"
            for k in ("stdoutConfig", "stderrConfig"):
                if k in st:
                    yield ("steps", i, k), f"{k} needs enable-api-fields: alpha"
            for j, w in enumerate(l(st.get("when"))):
                if type(w) is dict and "cel" in w:
                    yield ("steps", i, "when", j, "cel"), "cel needs enable-cel-in-whenexpression: true"
            for k in ("script", "command", "args", "env"):
                v = st.get(k)
                if v is None or (type(v) is str and "puts." not in v and "artifacts" not in v):
                    continue
                for sub, text in walk_strings(v, ("steps", i, k)):
                    if any(_artifact_ref(e) for e in exprs(text)):
                        yield sub, "artifact references need enable-artifacts: true"
    if u.kind == "Pipeline":
        for sec in ("tasks", "finally"):
            for i, t in dicts(u.spec, sec):
                for k in ("pipelineRef", "pipelineSpec"):
                    if t.get(k) is not None:
                        yield (sec, i, k), f"{k} in a pipeline task needs enable-api-fields: alpha"
                for j, w in enumerate(l(t.get("when"))):
                    if type(w) is dict and "cel" in w:
                        yield (sec, i, "when", j, "cel"), "cel needs enable-cel-in-whenexpression: true"
                for j, p in dicts(t, "params"):
                    for sub, text in walk_strings(p.get("value"), (sec, i, "params", j, "value")):
                        if any(_artifact_ref(e) for e in exprs(text)):
                            yield sub, "artifact references need enable-artifacts: true"
    if u.kind == "TaskRun" and u.spec.get("debug") is not None:
        yield ("debug",), "debug needs enable-api-fields: alpha"
