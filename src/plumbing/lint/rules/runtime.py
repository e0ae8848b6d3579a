"""What Tekton only finds when a run executes (phase R in the reference table), checked where the
linted files say enough. Warnings: the objects are accepted, the run fails."""

from __future__ import annotations

from plumbing.lint.model import d, dicts, nm
from plumbing.lint.registry import rule
from plumbing.lint.rules.params import pipeline
from plumbing.lint.rules.runs import run
from plumbing.lint.rules.steps import task
from plumbing.lint.vars import param_refs, walk_strings


def _target_spec(u, key, kind):
    """The spec a run executes: inline, or the named object in the linted set."""
    inline = u.spec.get(key + "Spec")
    if type(inline) is dict:
        return inline
    ref = u.spec.get(key + "Ref")
    if type(ref) is dict and u.lintset is not None and not ref.get("resolver"):
        obj = u.lintset.named(kind, ref.get("name"), u.obj.display)
        if obj is not None:
            return d(obj.data.get("spec"))
    return None


@rule("taskrunspecs-unknown-task", "warning", "PipelineRun", tekton="RT-TASKRUNSPECS-UNKNOWN-TASK",
      doc="""taskRunSpecs[].pipelineTaskName must name a task or finally task of the Pipeline
    (inline, or in the linted set); the run fails otherwise.""", fix="Fix the task name.",
      bad=run("PipelineRun", "pipelineSpec:\n  tasks: [{name: a, taskRef: {name: t}}]\ntaskRunSpecs: [{pipelineTaskName: b}]"),
      good=run("PipelineRun", "pipelineSpec:\n  tasks: [{name: a, taskRef: {name: t}}]\ntaskRunSpecs: [{pipelineTaskName: a}]"))
def taskrunspecs_unknown(u):
    spec = _target_spec(u, "pipeline", "Pipeline")
    if spec is None:
        return
    known = {nm(t) for sec in ("tasks", "finally") for _, t in dicts(spec, sec)}
    for j, trs in dicts(u.spec, "taskRunSpecs"):
        n = trs.get("pipelineTaskName")
        if n not in known:
            yield ("taskRunSpecs", j, "pipelineTaskName"), f"the Pipeline has no task {n!r}"


@rule("step-specs-unknown", "warning", "TaskRun", tekton="RT-STEPSPEC-UNKNOWN", doc="""A TaskRun's
    stepSpecs and sidecarSpecs must name steps and sidecars of its Task (inline, or in the linted
    set).""", fix="Fix the step or sidecar name.",
      bad=run("TaskRun", "taskSpec:\n  steps: [{name: build, image: alpine}]\nstepSpecs: [{name: biuld, computeResources: {}}]"),
      good=run("TaskRun", "taskSpec:\n  steps: [{name: build, image: alpine}]\nstepSpecs: [{name: build, computeResources: {}}]"))
def step_specs_unknown(u):
    spec = _target_spec(u, "task", "Task")
    if spec is None:
        return
    for key, holder in (("stepSpecs", "steps"), ("sidecarSpecs", "sidecars")):
        known = {nm(x) for _, x in dicts(spec, holder)}
        for j, x in dicts(u.spec, key):
            n = nm(x)
            if n is not None and n not in known:
                yield (key, j, "name"), f"the Task has no {holder[:-1]} {n!r}"


@rule("taskrun-one-pvc", "warning", "TaskRun", tekton="RT-WS-ONE-PVC", doc="""With the default
    coschedule=workspaces, a TaskRun may bind at most one persistentVolumeClaim or
    volumeClaimTemplate workspace (its pod can only be placed with one volume).""",
      fix="Share one volume through subPath, or use emptyDir for scratch space.",
      bad=run("TaskRun", "taskRef: {name: t}\nworkspaces:\n  - {name: a, persistentVolumeClaim: {claimName: x}}\n"
                         "  - {name: b, persistentVolumeClaim: {claimName: y}}"),
      good=run("TaskRun", "taskRef: {name: t}\nworkspaces:\n  - {name: a, persistentVolumeClaim: {claimName: x}}\n"
                          "  - {name: b, emptyDir: {}}"))
def one_pvc(u):
    pvcs = [(j, b) for j, b in dicts(u.spec, "workspaces")
            if b.get("persistentVolumeClaim") is not None or b.get("volumeClaimTemplate") is not None]
    claims = {str(d(b.get("persistentVolumeClaim")).get("claimName")) if b.get("persistentVolumeClaim")
              is not None else f"template-{j}" for j, b in pvcs}
    if len(claims) > 1:
        yield ("workspaces", pvcs[1][0]), "more than one PVC workspace in one TaskRun " \
                                          "(coschedule=workspaces allows one)"


@rule("param-array-index", "warning", ("Task", "Pipeline"), tekton="RT-PARAM-ARRAY-INDEX",
      doc="""`$(params.a[i])` needs the array to have more than i items; when the param's default
    is too short, a run that does not pass a longer array fails.""",
      fix="Pass a long enough array, lengthen the default, or use a smaller index.",
      bad=task("params: [{name: a, type: array, default: [x]}]\nsteps: [{name: s, image: alpine, args: ['$(params.a[1])']}]"),
      good=task("params: [{name: a, type: array, default: [x, y]}]\nsteps: [{name: s, image: alpine, args: ['$(params.a[1])']}]"))
def array_index(u):
    lengths = {n: len(p["default"]) for n, p in u.params().items()
               if type(p.get("default")) is list}
    if not lengths:
        return
    keys = ("steps", "sidecars", "stepTemplate", "volumes") if u.kind == "Task" else ("tasks", "finally")
    for key in keys:
        for path, text in walk_strings(u.spec.get(key), (key,)):
            if "[" not in text:
                continue
            for r in param_refs(text):
                if r.index and r.index.isdigit() and r.name in lengths and int(r.index) >= lengths[r.name]:
                    yield path, f"$({r.expr}): the default of {r.name!r} has only " \
                                f"{lengths[r.name]} item(s)"


@rule("workspace-optional-mismatch", "warning", "Pipeline", tekton="RT-WS-OPTIONAL-MISMATCH",
      cross=True, doc="""An optional Pipeline workspace may not be bound to a workspace the Task
    requires (not optional); the run fails when the optional workspace is left out. Checked for
    inline taskSpecs and Tasks in the linted set.""",
      fix="Make the Pipeline workspace required, or the Task's workspace optional.",
      bad=pipeline("workspaces: [{name: w, optional: true}]\ntasks:\n  - name: a\n    workspaces: [{name: src, workspace: w}]\n"
                   "    taskSpec:\n      workspaces: [{name: src}]\n      steps: [{name: s, image: alpine}]"),
      good=pipeline("workspaces: [{name: w, optional: true}]\ntasks:\n  - name: a\n    workspaces: [{name: src, workspace: w}]\n"
                    "    taskSpec:\n      workspaces: [{name: src, optional: true}]\n      steps: [{name: s, image: alpine}]"))
def optional_mismatch(u):
    optional = {nm(w) for _, w in dicts(u.spec, "workspaces") if w.get("optional") is True}
    if not optional:
        return
    for sec in ("tasks", "finally"):
        for i, t in dicts(u.spec, sec):
            spec = t.get("taskSpec") if type(t.get("taskSpec")) is dict else None
            ref = t.get("taskRef")
            if spec is None and type(ref) is dict and u.lintset is not None and not ref.get("resolver"):
                obj = u.lintset.named("Task", ref.get("name"), u.obj.display)
                spec = d(obj.data.get("spec")) if obj is not None else None
            if spec is None:
                continue
            required = {nm(w) for _, w in dicts(spec, "workspaces") if w.get("optional") is not True}
            for j, b in dicts(t, "workspaces"):
                target = b.get("workspace") or nm(b)
                if target in optional and nm(b) in required:
                    yield (sec, i, "workspaces", j), f"optional workspace {target!r} is bound to " \
                                                     f"the Task's required workspace {nm(b)!r}"


@rule("stepaction-params", "warning", "Task", tekton="RT-STEPACTION-PARAMS", cross=True,
      doc="""A step that uses a StepAction in the linted set must pass every StepAction param
    without a default, and no param the StepAction does not declare.""",
      fix="Pass the StepAction's params exactly.",
      bad="apiVersion: tekton.dev/v1beta1\nkind: StepAction\nmetadata: {name: act}\nspec:\n  params: [{name: url}]\n"
          "  image: alpine\n  script: echo $(params.url)\n---\n"
          + task("steps: [{name: s, ref: {name: act}, params: [{name: uri, value: x}]}]"),
      good="apiVersion: tekton.dev/v1beta1\nkind: StepAction\nmetadata: {name: act}\nspec:\n  params: [{name: url}]\n"
           "  image: alpine\n  script: echo $(params.url)\n---\n"
           + task("steps: [{name: s, ref: {name: act}, params: [{name: url, value: x}]}]"))
def stepaction_params(u):
    if u.lintset is None:
        return
    for i, st in dicts(u.spec, "steps"):
        ref = st.get("ref")
        if type(ref) is not dict or ref.get("resolver"):
            continue
        obj = u.lintset.named("StepAction", ref.get("name"), u.obj.display)
        if obj is None:
            continue
        declared = {nm(p): p for _, p in dicts(d(obj.data.get("spec")), "params")}
        given = {}
        for j, p in dicts(st, "params"):
            given[nm(p)] = j
            if nm(p) not in declared:
                yield ("steps", i, "params", j, "name"), f"StepAction {obj.name!r} has no param {nm(p)!r}"
        for n, p in declared.items():
            if "default" not in p and n not in given:
                yield ("steps", i, "ref"), f"StepAction {obj.name!r} needs param {n!r}"
