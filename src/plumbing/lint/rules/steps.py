"""Steps, sidecars, stepTemplate and volumes of a Task (and of every embedded taskSpec)."""

from __future__ import annotations

import posixpath
import re

from plumbing.lint.model import d, dicts, l, nm, repeated, s
from plumbing.lint.registry import rule
from plumbing.lint.vars import exprs

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def task(body: str) -> str:
    """A v1 Task fixture around an indented `spec` body."""
    return "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n" + "\n".join(
        "  " + line for line in body.strip("\n").splitlines()) + "\n"


def steps(u):
    for i, st in dicts(u.spec, "steps"):
        yield ("steps", i), st


@rule("task-steps-required", "error", "Task", tekton="TASK-STEPS-REQUIRED", doc="""A Task (and every
    embedded taskSpec) needs at least one step: 'missing field(s): steps'.""",
      fix="Add a step, or remove the Task.", bad=task("description: nothing"),
      good=task("steps: [{name: s, image: alpine}]"))
def steps_required(u):
    if not l(u.spec.get("steps")):
        yield ("steps",), "a Task needs at least one step"


@rule("step-name-format", "error", "Task", tekton="STEP-NAME-FORMAT", doc="""A step name is
    optional, but when set it must be a DNS-1123 label: lower-case letters, digits and `-`, at
    most 63 characters.""", fix="Rename the step, e.g. `Build_Image` -> `build-image`.",
      bad=task("steps: [{name: Build_Image, image: alpine}]"),
      good=task("steps: [{name: build-image, image: alpine}]"))
def step_name_format(u):
    for path, st in steps(u):
        n = nm(st)
        if n in (None, ""):
            continue
        if type(n) is not str or not DNS1123_LABEL.match(n) or len(n) > 63:
            yield path + ("name",), f"step name {n!r} is not a DNS-1123 label (lower-case " \
                                    "letters, digits and '-', at most 63 characters)"


@rule("step-name-duplicate", "error", "Task", tekton="STEP-NAME-DUP", doc="""Step names must be
    unique within a Task (unnamed steps are fine).""", fix="Rename one of the steps.",
      bad=task("steps: [{name: a, image: alpine}, {name: a, image: alpine}]"),
      good=task("steps: [{name: a, image: alpine}, {name: b, image: alpine}]"))
def step_name_dup(u):
    for path, n in repeated(steps(u), empty=False):
        yield path + ("name",), f"step name {n!r} is used by an earlier step"


@rule("step-image-required", "error", "Task", tekton="STEP-IMAGE-REQUIRED", doc="""A step without
    `ref` must have an image, its own or one from `stepTemplate`.""",
      fix="Add `image:` to the step or to stepTemplate.",
      bad=task("steps: [{name: s, script: echo hi}]"),
      good=task("stepTemplate: {image: alpine}\nsteps: [{name: s, script: echo hi}]"))
def step_image(u):
    if d(u.spec.get("stepTemplate")).get("image"):
        return
    for path, st in steps(u):
        if not st.get("image") and "ref" not in st:
            yield path, f"step {s(st.get('name')) or path[1]} has no image"


@rule("step-script-with-command", "error", "Task", tekton="STEP-SCRIPT-COMMAND", doc="""A step may
    have `script` or `command`, not both (Tekton runs the script as the command). `args` with
    `script` is fine: they become the script's arguments.""",
      fix="Drop `command` and put the interpreter in the script's shebang line.",
      bad=task("steps: [{name: s, image: alpine, command: [sh], script: echo hi}]"),
      good=task("steps: [{name: s, image: alpine, script: echo hi}]"))
def step_script_command(u):
    for path, st in steps(u):
        if st.get("script") and st.get("command"):
            yield path + ("command",), "a step cannot have both script and command"


_REF_CONFLICTS = ("image", "command", "args", "script", "workingDir", "env", "volumeMounts",
                  "results")


@rule("step-ref-conflict", "error", "Task", tekton="STEP-REF-CONFLICT", doc="""A step that uses a
    StepAction (`ref`) takes its image, command, args, script, workingDir, env, volumeMounts and
    results from the StepAction; setting any of them on the step is rejected.""",
      fix="Move the field into the StepAction, or pass a param.",
      bad=task("steps: [{name: s, ref: {name: git-clone}, image: alpine}]"),
      good=task("steps: [{name: s, ref: {name: git-clone}}]"))
def step_ref_conflict(u):
    for path, st in steps(u):
        if "ref" in st:
            for k in _REF_CONFLICTS:
                if k in st:
                    yield path + (k,), f"{k} cannot be set on a step that uses ref (a StepAction)"


@rule("step-params-without-ref", "error", "Task", tekton="STEP-PARAMS-WITHOUT-REF", doc="""`params`
    on a step are passed to its StepAction, so they need `ref`.""",
      fix="Remove the step's params, or add the StepAction `ref`.",
      bad=task("steps: [{name: s, image: alpine, params: [{name: a, value: b}]}]"),
      good=task("steps: [{name: s, ref: {name: act}, params: [{name: a, value: b}]}]"))
def step_params_ref(u):
    for path, st in steps(u):
        if st.get("params") and "ref" not in st:
            yield path + ("params",), "step params are only allowed with ref (a StepAction)"


@rule("step-on-error-value", "error", "Task", tekton="STEP-ONERROR-VALUE", doc="""A step's onError
    must be `continue` or `stopAndFail` (or a `$(params...)` reference).""",
      fix="Use onError: continue (keep going) or stopAndFail (the default).",
      bad=task("steps: [{name: s, image: alpine, onError: ignore}]"),
      good=task("steps: [{name: s, image: alpine, onError: continue}]"))
def step_on_error(u):
    for path, st in steps(u):
        v = st.get("onError")
        if v is None or (type(v) is str and v.startswith("$(params")):
            continue
        if v not in ("continue", "stopAndFail"):
            yield path + ("onError",), f"onError {v!r} must be 'continue' or 'stopAndFail'"


def _mount_lists(u):
    yield from steps(u)
    tmpl = u.spec.get("stepTemplate")
    if type(tmpl) is dict:
        yield ("stepTemplate",), tmpl
    for i, sc in dicts(u.spec, "sidecars"):
        yield ("sidecars", i), sc


@rule("volume-mount-reserved", "error", "Task",
      tekton="STEP-VOLUMEMOUNT-RESERVED-PATH,STEP-VOLUMEMOUNT-RESERVED-NAME", doc="""Tekton owns
    /tekton/ (except /tekton/home) and volume names starting with `tekton-internal-`; a step
    mounting there is rejected.""", fix="Mount somewhere else, e.g. /workspace/<name>.",
      bad=task("steps: [{name: s, image: alpine, volumeMounts: [{name: v, mountPath: /tekton/results}]}]\n"
               "volumes: [{name: v, emptyDir: {}}]"),
      good=task("steps: [{name: s, image: alpine, volumeMounts: [{name: v, mountPath: /cache}]}]\n"
                "volumes: [{name: v, emptyDir: {}}]"))
def volume_mount_reserved(u):
    for path, st in _mount_lists(u):
        if path[0] == "sidecars":
            continue
        for j, vm in dicts(st, "volumeMounts"):
            mp = vm.get("mountPath")
            if type(mp) is str and mp:
                clean = posixpath.normpath(mp)
                if clean.startswith("/tekton/") and not clean.startswith("/tekton/home"):
                    yield path + ("volumeMounts", j, "mountPath"), \
                        f"mountPath {mp!r} is under /tekton/, which Tekton reserves"
            n = nm(vm)
            if type(n) is str and n.startswith("tekton-internal-"):
                yield path + ("volumeMounts", j, "name"), \
                    f"volume name {n!r} uses the reserved prefix tekton-internal-"


_STEP_RESULT = re.compile(r"^steps\.[^.]+\.results\.")
_NO_STEP_RESULT_FIELDS = ("name", "image", "script", "imagePullPolicy", "workingDir")


@rule("step-result-ref-placement", "error", "Task", tekton="STEP-RESULT-REF-PLACEMENT", doc="""A
    `$(steps.<step>.results.<name>)` reference is substituted only in env, command and args of a
    later step; in name, image, script, imagePullPolicy, workingDir, envFrom, volumeMounts or
    volumeDevices it is rejected.""", fix="""Pass the value through an env variable and use that
    in the script.""",
      bad=task("steps:\n  - {name: a, image: alpine, results: [{name: r}], script: echo}\n"
               "  - {name: b, image: alpine, script: 'echo $(steps.a.results.r)'}"),
      good=task("steps:\n  - {name: a, image: alpine, results: [{name: r}], script: echo}\n  - name: b\n    image: alpine\n"
                "    env: [{name: R, value: $(steps.a.results.r)}]\n    script: echo $R"))
def step_result_placement(u):
    for path, st in steps(u):
        for k in _NO_STEP_RESULT_FIELDS:
            for e in exprs(st.get(k)):
                if _STEP_RESULT.match(e):
                    yield path + (k,), f"$({e}) is not allowed in {k}; use env, command or args"
        for k in ("envFrom", "volumeMounts", "volumeDevices"):
            from plumbing.lint.vars import walk_strings
            for sub, text in walk_strings(st.get(k), (k,)):
                for e in exprs(text):
                    if _STEP_RESULT.match(e):
                        yield path + sub, f"$({e}) is not allowed in {k}"


@rule("sidecar-reserved-name", "error", "Task", tekton="SIDECAR-RESERVED-NAME", doc="""The sidecar
    name `tekton-log-results` is reserved by Tekton.""", fix="Rename the sidecar.",
      bad=task("steps: [{name: s, image: alpine}]\nsidecars: [{name: tekton-log-results, image: alpine}]"),
      good=task("steps: [{name: s, image: alpine}]\nsidecars: [{name: logs, image: alpine}]"))
def sidecar_reserved(u):
    for i, sc in dicts(u.spec, "sidecars"):
        if nm(sc) == "tekton-log-results":
            yield ("sidecars", i, "name"), "the sidecar name tekton-log-results is reserved"


@rule("sidecar-image-required", "error", "Task", tekton="SIDECAR-IMAGE-REQUIRED,B1-SIDECAR-LAX",
      versions=("v1",), doc="""In tekton.dev/v1 every sidecar needs an image (v1beta1 does not
    check it, but the pod would not start).""", fix="Add `image:` to the sidecar.",
      bad=task("steps: [{name: s, image: alpine}]\nsidecars: [{name: db, script: sleep 1}]"),
      good=task("steps: [{name: s, image: alpine}]\nsidecars: [{name: db, image: postgres}]"))
def sidecar_image(u):
    for i, sc in dicts(u.spec, "sidecars"):
        if not sc.get("image"):
            yield ("sidecars", i), f"sidecar {s(sc.get('name')) or i} has no image"


@rule("sidecar-script-with-command", "error", "Task", tekton="SIDECAR-SCRIPT-COMMAND",
      versions=("v1",), doc="""In tekton.dev/v1 a sidecar may have `script` or `command`, not
    both.""", fix="Drop `command`; use a shebang line in the script.",
      bad=task("steps: [{name: s, image: alpine}]\nsidecars: [{name: db, image: alpine, command: [sh], script: sleep 1}]"),
      good=task("steps: [{name: s, image: alpine}]\nsidecars: [{name: db, image: alpine, script: sleep 1}]"))
def sidecar_script_command(u):
    for i, sc in dicts(u.spec, "sidecars"):
        if sc.get("script") and sc.get("command"):
            yield ("sidecars", i, "command"), "a sidecar cannot have both script and command"


@rule("volume-duplicate", "error", "Task", tekton="TASK-VOLUME-DUP", doc="""Volume names must be
    unique within a Task.""", fix="Rename or merge the volumes.",
      bad=task("steps: [{name: s, image: alpine}]\nvolumes: [{name: v, emptyDir: {}}, {name: v, emptyDir: {}}]"),
      good=task("steps: [{name: s, image: alpine}]\nvolumes: [{name: v, emptyDir: {}}, {name: w, emptyDir: {}}]"))
def volume_dup(u):
    for i, n in repeated(dicts(u.spec, "volumes")):
        yield ("volumes", i, "name"), f"volume {n!r} is declared twice"


def stepaction(body: str) -> str:
    return "apiVersion: tekton.dev/v1beta1\nkind: StepAction\nmetadata: {name: a}\nspec:\n" + \
        "\n".join("  " + line for line in body.strip("\n").splitlines()) + "\n"


@rule("stepaction-image-required", "error", "StepAction", tekton="STEP-IMAGE-REQUIRED",
      doc="""A StepAction must have an image.""", fix="Add `image:`.",
      bad=stepaction("script: echo hi"), good=stepaction("image: alpine\nscript: echo hi"))
def stepaction_image(u):
    if not u.spec.get("image"):
        yield (), "a StepAction needs an image"


@rule("stepaction-script-with-command", "error", "StepAction", tekton="STEP-SCRIPT-COMMAND",
      doc="""A StepAction may have `script` or `command`, not both.""",
      fix="Drop `command`; use a shebang line in the script.",
      bad=stepaction("image: alpine\ncommand: [sh]\nscript: echo hi"),
      good=stepaction("image: alpine\nscript: echo hi"))
def stepaction_script_command(u):
    if u.spec.get("script") and u.spec.get("command"):
        yield ("command",), "a StepAction cannot have both script and command"


_MERGE_KEYS = {"env": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
               "ports": "containerPort", "envFrom": None}


@rule("step-template-merge", "error", "Task", tekton="TASK-STEPTEMPLATE-MERGE", doc="""With a
    stepTemplate, Tekton merges every step onto it with a strategic merge patch before validating,
    and the merge fails when a list entry lacks its merge key: env entries need `name`,
    volumeMounts `mountPath`, volumeDevices `devicePath`, ports `containerPort`.""",
      fix="Give every such entry its key.",
      bad=task("stepTemplate: {env: [{name: A, value: '1'}]}\nsteps: [{name: s, image: alpine, env: [{value: '2'}]}]"),
      good=task("stepTemplate: {env: [{name: A, value: '1'}]}\nsteps: [{name: s, image: alpine, env: [{name: B, value: '2'}]}]"))
def step_template_merge(u):
    tmpl = u.spec.get("stepTemplate")
    if type(tmpl) is not dict:
        return
    holders = [(("stepTemplate",), tmpl)] + [(("steps", i), st) for i, st in dicts(u.spec, "steps")]
    for path, st in holders:
        for key, merge_key in _MERGE_KEYS.items():
            if merge_key is None:
                continue
            for j, item in enumerate(l(st.get(key))):
                if type(item) is dict and item.get(merge_key) in (None, ""):
                    yield path + (key, j), f"{key} entry without {merge_key}: merging the step " \
                                           "with stepTemplate fails"
