"""Strict decode (phase D): Tekton's webhooks decode with unknown fields disallowed, typed
fields must have the right JSON type, and durations must parse with Go's time.ParseDuration."""

from __future__ import annotations

import re

from plumbing.lint.registry import rule

# Field tables. A value is: "str", "int", "bool", "strs" (list of strings), "any" (not checked,
# e.g. Kubernetes core types), "pv" (a ParamValue: string, list or map, lenient), "dur"
# (a Go duration string), ("list", TABLE) or ("map", TABLE).
S, INT, B, SL, A, PV, DUR = "str", "int", "bool", "strs", "any", "pv", "dur"

PARAM = {"name": S, "value": PV}
PARAM_SPEC = {"name": S, "type": S, "description": S, "properties": A, "default": PV, "enum": SL}
REF = {"name": S, "kind": S, "apiVersion": S, "resolver": S, "params": ("list", PARAM)}
STEP_REF = {"name": S, "resolver": S, "params": ("list", PARAM)}
WHEN = {"input": S, "operator": S, "values": SL, "cel": S}
WS_USAGE = {"name": S, "mountPath": S}
RESULT = {"name": S, "type": S, "properties": A, "description": S, "value": PV}
STEP_RESULT = {"name": S, "type": S, "properties": A, "description": S}
OUTPUT = {"path": S}
CONTAINER_BASE = {"image": S, "command": SL, "args": SL, "workingDir": S, "envFrom": A, "env": A,
                  "volumeMounts": A, "volumeDevices": A, "imagePullPolicy": S,
                  "securityContext": A}
STEP_V1 = {**CONTAINER_BASE, "name": S, "computeResources": A, "script": S, "timeout": DUR,
           "workspaces": ("list", WS_USAGE), "onError": S, "stdoutConfig": ("map", OUTPUT),
           "stderrConfig": ("map", OUTPUT), "results": ("list", STEP_RESULT),
           "params": ("list", PARAM), "ref": ("map", STEP_REF), "when": ("list", WHEN),
           "displayName": S}
CONTAINER_EXTRA = {"ports": A, "livenessProbe": A, "readinessProbe": A, "startupProbe": A,
                   "lifecycle": A, "terminationMessagePath": S, "terminationMessagePolicy": S,
                   "stdin": B, "stdinOnce": B, "tty": B, "resizePolicy": A, "restartPolicy": S}
STEP_V1B1 = {**STEP_V1, **CONTAINER_EXTRA, "resources": A}
TEMPLATE_V1 = {**CONTAINER_BASE, "computeResources": A}
TEMPLATE_V1B1 = {**TEMPLATE_V1, **CONTAINER_EXTRA, "name": S, "resources": A}
SIDECAR_V1 = {**CONTAINER_BASE, **CONTAINER_EXTRA, "name": S, "computeResources": A, "script": S,
              "workspaces": ("list", WS_USAGE)}
SIDECAR_V1B1 = {**SIDECAR_V1, "resources": A}
TASK_WS = {"name": S, "description": S, "mountPath": S, "readOnly": B, "optional": B}


def _task_spec(v1b1: bool) -> dict:
    t = {"params": ("list", PARAM_SPEC), "displayName": S, "description": S,
         "steps": ("list", STEP_V1B1 if v1b1 else STEP_V1), "volumes": A,
         "stepTemplate": ("map", TEMPLATE_V1B1 if v1b1 else TEMPLATE_V1),
         "sidecars": ("list", SIDECAR_V1B1 if v1b1 else SIDECAR_V1),
         "workspaces": ("list", TASK_WS), "results": ("list", RESULT)}
    if v1b1:
        t["resources"] = A
    return t


TASK_V1, TASK_V1B1 = _task_spec(False), _task_spec(True)
EMBEDDED_V1 = {**TASK_V1, "apiVersion": S, "kind": S, "metadata": A, "spec": A}
EMBEDDED_V1B1 = {**TASK_V1B1, "apiVersion": S, "kind": S, "metadata": A, "spec": A}
WS_BINDING = {"name": S, "subPath": S, "volumeClaimTemplate": A, "persistentVolumeClaim": A,
              "emptyDir": A, "configMap": A, "secret": A, "projected": A, "csi": A}
PT_WS = {"name": S, "workspace": S, "subPath": S}
MATRIX = {"params": ("list", PARAM), "include": ("list", {"name": S, "params": ("list", PARAM)})}


def _pipeline_spec(v1b1: bool) -> dict:
    ref = {**REF, "bundle": S} if v1b1 else REF
    pt = {"name": S, "displayName": S, "description": S, "taskRef": ("map", ref),
          "taskSpec": ("map", EMBEDDED_V1B1 if v1b1 else EMBEDDED_V1), "when": ("list", WHEN),
          "runAfter": SL, "retries": INT, "params": ("list", PARAM), "matrix": ("map", MATRIX),
          "workspaces": ("list", PT_WS), "timeout": DUR, "pipelineRef": ("map", ref),
          "pipelineSpec": A, "onError": S}
    if v1b1:
        pt["resources"] = A
    spec = {"displayName": S, "description": S, "tasks": ("list", pt), "finally": ("list", pt),
            "params": ("list", PARAM_SPEC),
            "workspaces": ("list", {"name": S, "description": S, "optional": B}),
            "results": ("list", {"name": S, "type": S, "description": S, "value": PV})}
    if v1b1:
        spec["resources"] = A
    return spec


PIPELINE_V1, PIPELINE_V1B1 = _pipeline_spec(False), _pipeline_spec(True)
STEP_SPEC = {"name": S, "computeResources": A}
TASKRUN_V1 = {"debug": A, "params": ("list", PARAM), "serviceAccountName": S,
              "taskRef": ("map", REF), "taskSpec": ("map", TASK_V1), "status": S,
              "statusMessage": S, "retries": INT, "timeout": DUR, "podTemplate": A,
              "workspaces": ("list", WS_BINDING), "stepSpecs": ("list", STEP_SPEC),
              "sidecarSpecs": ("list", STEP_SPEC), "computeResources": A, "managedBy": S}
TASKRUN_V1B1 = {**TASKRUN_V1, "taskRef": ("map", {**REF, "bundle": S}),
                "taskSpec": ("map", TASK_V1B1), "resources": A, "stepOverrides": A,
                "sidecarOverrides": A}
TRS_V1 = {"pipelineTaskName": S, "serviceAccountName": S, "podTemplate": A,
          "stepSpecs": ("list", STEP_SPEC), "sidecarSpecs": ("list", STEP_SPEC), "metadata": A,
          "computeResources": A, "timeout": DUR}
TRS_V1B1 = {"pipelineTaskName": S, "taskServiceAccountName": S, "taskPodTemplate": A,
            "stepOverrides": A, "sidecarOverrides": A, "metadata": A, "computeResources": A,
            "timeout": DUR}
TIMEOUTS = {"pipeline": DUR, "tasks": DUR, "finally": DUR}
PIPELINERUN_V1 = {"pipelineRef": ("map", REF), "pipelineSpec": ("map", PIPELINE_V1),
                  "params": ("list", PARAM), "status": S, "timeouts": ("map", TIMEOUTS),
                  "taskRunTemplate": ("map", {"podTemplate": A, "serviceAccountName": S}),
                  "workspaces": ("list", WS_BINDING), "taskRunSpecs": ("list", TRS_V1),
                  "managedBy": S}
PIPELINERUN_V1B1 = {"pipelineRef": ("map", {**REF, "bundle": S}),
                    "pipelineSpec": ("map", PIPELINE_V1B1), "params": ("list", PARAM),
                    "status": S, "timeouts": ("map", TIMEOUTS), "timeout": DUR,
                    "serviceAccountName": S, "podTemplate": A, "resources": A,
                    "workspaces": ("list", WS_BINDING), "taskRunSpecs": ("list", TRS_V1B1),
                    "managedBy": S}
STEPACTION = {"description": S, "image": S, "command": SL, "args": SL, "env": A, "script": S,
              "workingDir": S, "params": ("list", PARAM_SPEC),
              "results": ("list", STEP_RESULT), "securityContext": A, "volumeMounts": A}

SPECS = {
    ("Task", "v1"): TASK_V1, ("Task", "v1beta1"): TASK_V1B1, ("ClusterTask", "v1beta1"): TASK_V1B1,
    ("Pipeline", "v1"): PIPELINE_V1, ("Pipeline", "v1beta1"): PIPELINE_V1B1,
    ("TaskRun", "v1"): TASKRUN_V1, ("TaskRun", "v1beta1"): TASKRUN_V1B1,
    ("PipelineRun", "v1"): PIPELINERUN_V1, ("PipelineRun", "v1beta1"): PIPELINERUN_V1B1,
    ("StepAction", "v1alpha1"): STEPACTION, ("StepAction", "v1beta1"): STEPACTION,
}
TOP = {"apiVersion": S, "kind": S, "metadata": "meta", "spec": A, "status": A}
# handled by the removed-features rules, not reported twice as unknown fields
REMOVED_FIELDS = {"resources", "conditions", "bundle"}



def _removed_here(k, table) -> bool:
    if k == "resources":
        return "steps" in table or "tasks" in table or "taskRef" in table or "pipelineRef" in table
    if k == "conditions":
        return "taskRef" in table
    return "resolver" in table  # bundle


_TYPE_NAMES = {S: "a string", INT: "an integer", B: "a boolean", SL: "a list of strings"}


def _check_value(kind, v):
    if kind == S:
        return type(v) is str
    if kind == INT:
        return type(v) is int
    if kind == B:
        return type(v) is bool
    if kind == SL:
        return type(v) is list and all(type(x) is str for x in v)
    if kind == DUR:
        return type(v) is str
    return True


def _walk(data, table, path, out, removed_ok):
    for k, v in data.items():
        sub = table.get(k)
        if sub is None:
            sub = _unknown(k, table, path, out, removed_ok)
        if sub is None or v is None:
            continue
        if type(sub) is tuple:
            _walk_nested(k, v, sub, path, out, removed_ok)
        elif sub == "meta":
            if type(v) is not dict:
                out.append(("type", path + (k,), "metadata must be a mapping"))
        elif sub == DUR:
            _check_duration(k, v, path, out)
        elif not _check_value(sub, v):
            out.append(("type", path + (k,), f"{k} must be {_TYPE_NAMES[sub]}, not "
                                             f"{type(v).__name__} {v!r}"[:160]))


def _unknown(k, table, path, out, removed_ok):
    """Report a field the table does not have; return the field it decodes as, if any. Inside a
    PipelineRun's pipelineSpec the CRD keeps unknown fields and the webhook decodes with Go's
    encoding/json, which matches names case-insensitively: `mountpath` is `mountPath` there."""
    if path[:2] == ("spec", "pipelineSpec") and type(k) is str:
        match = next((f for f in table if type(f) is str and f.lower() == k.lower()), None)
        if match is not None:
            out.append(("case", path + (k,), f"field {k!r} is decoded as {match!r} (Tekton matches "
                                             f"field names case-insensitively here); write {match!r}"))
            return table[match]
    if not (removed_ok and k in REMOVED_FIELDS and _removed_here(k, table)):
        out.append(("unknown", path + (k,), f"unknown field {k!r}"))
    return None


def _walk_nested(k, v, sub, path, out, removed_ok):
    """A field holding a list of mappings or a mapping, checked against its table."""
    shape, inner = sub
    if shape != "list":
        if type(v) is not dict:
            out.append(("type", path + (k,), f"{k} must be a mapping"))
        else:
            _walk(v, inner, path + (k,), out, removed_ok)
        return
    if type(v) is not list:
        out.append(("type", path + (k,), f"{k} must be a list"))
        return
    for i, item in enumerate(v):
        if type(item) is dict:
            _walk(item, inner, path + (k, i), out, removed_ok)
        elif item is not None:
            out.append(("type", path + (k, i), f"{k}[{i}] must be a mapping"))


def _check_duration(k, v, path, out):
    if type(v) is not str:
        out.append(("type", path + (k,), f"{k} must be a duration string like '1h30m'"))
    elif not _duration_ok(v):
        out.append(("duration", path + (k,),
                    f"{k}: {v!r} is not a Go duration (e.g. '1h30m', '90s', '0')"))
    elif v.startswith("-") and (parse_duration(v) or 0) < 0:
        # a pipeline task's timeout has no admission check: the run fails when it starts
        pipeline_task = len(path) >= 2 and type(path[-1]) is int and path[-2] in ("tasks", "finally")
        out.append(("task-timeout" if pipeline_task else "duration", path + (k,),
                    f"{k}: {v!r} must not be negative"))


_DURATION = re.compile(r"^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$")


def _duration_ok(text: str) -> bool:
    return bool(_DURATION.match(text))


def parse_duration(text) -> float | None:
    """Seconds for a Go duration string, None when it does not parse."""
    if type(text) is not str or not _DURATION.match(text):
        return None
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    total = 0.0
    for num, _, unit in re.findall(r"([0-9]*\.?[0-9]*)()(ns|us|µs|μs|ms|s|m|h)", body):
        total += float(num or 0) * units[unit]
    return sign * total


def decode_problems(obj) -> list:
    cached = obj.__dict__.get("_decode")
    if cached is not None:
        return cached
    out: list = []
    table = SPECS.get((obj.kind, obj.version))
    data = obj.data
    _walk(data, TOP, (), out, True)
    spec = data.get("spec")
    if table is not None and type(spec) is dict:
        _walk(spec, table, ("spec",), out, True)
    if obj.kind == "PipelineRun" and table is not None and type(spec) is dict:
        # tasks[].pipelineSpec is schemaless in the table; nothing more here
        pass
    obj.__dict__["_decode"] = out
    return out


@rule("unknown-field", "error", "Object", tekton="DECODE-UNKNOWN-FIELD", doc="""Tekton's webhooks
    decode every object with unknown fields disallowed, and the v1 CRDs are structural, so a field
    the Go type does not have is rejected at `kubectl apply` (`json: unknown field "x"`). Inside
    embedded specs only the webhook catches it. Typical causes: `subpath` for `subPath`,
    `resources` for `computeResources` on a v1 step, `podTemplate` on a v1 PipelineRun (it moved
    to `taskRunTemplate.podTemplate`). Kubernetes core types (env, volumes, podTemplate contents)
    are not checked field by field. Inside a PipelineRun's `pipelineSpec` a name differing only in
    case is accepted by Tekton (field-name-case warns).""", fix="""Fix the spelling or move the field to where the
    API version has it.""",
    bad="""
    apiVersion: tekton.dev/v1
    kind: Task
    metadata: {name: t}
    spec:
      steps:
        - name: s
          image: alpine
          workingdir: /src
    """, good="""
    apiVersion: tekton.dev/v1
    kind: Task
    metadata: {name: t}
    spec:
      steps:
        - name: s
          image: alpine
          workingDir: /src
    ---
    # inside a PipelineRun's pipelineSpec Tekton decodes names case-insensitively
    apiVersion: tekton.dev/v1
    kind: PipelineRun
    metadata: {name: r}
    spec:
      pipelineSpec:
        tasks:
          - name: a
            taskSpec:
              steps:
                - name: s
                  image: alpine
                  workingdir: /src
                  script: make
                  volumeMounts: [{name: v, mountpath: /cache}]
              volumes: [{name: v, emptyDir: {}}]
    """)
def unknown_field(u):
    for what, path, msg in decode_problems(u.obj):
        if what == "unknown":
            yield path, msg


@rule("field-type", "error", "Object", tekton="DECODE-TYPE", doc="""Typed fields must have the
    right JSON type: strings (an unquoted `8080` or `true` in `args`, `command` or a name is a
    number or a boolean, and the Go decoder rejects it), integers (`retries`), lists
    (`runAfter`, `command`, `args`, `steps`, `params`) and mappings. Param values, defaults and
    result values are lenient (anything that is not a list or a mapping is kept as a string) and
    are not checked.""", fix="Quote scalars that must be strings; use lists where lists are expected.",
    bad="""
    apiVersion: tekton.dev/v1
    kind: Task
    metadata: {name: t}
    spec:
      steps:
        - name: s
          image: alpine
          args: [--port, 8080]
    """, good="""
    apiVersion: tekton.dev/v1
    kind: Task
    metadata: {name: t}
    spec:
      steps:
        - name: s
          image: alpine
          args: [--port, "8080"]
    """)
def field_type(u):
    for what, path, msg in decode_problems(u.obj):
        if what == "type":
            yield path, msg


@rule("duration-format", "error", "Object", tekton="DECODE-DURATION,STEP-TIMEOUT-NEGATIVE,"
                                                   "TASKRUN-TIMEOUT,PIPELINERUN-TIMEOUTS-NONNEG",
      doc="""`timeout` (steps, pipeline tasks, TaskRuns, taskRunSpecs) and
    `timeouts.{pipeline,tasks,finally}` are decoded with Go's time.ParseDuration: `1h30m`, `90s`
    and `0` parse; `1 hour`, `90` and `1d` do not, and the object is rejected. Negative
    timeouts are rejected by validation.""",
      fix="Write the duration as Go does, e.g. `1h30m`, or `0` for no timeout.",
      bad="""
    apiVersion: tekton.dev/v1
    kind: TaskRun
    metadata: {name: r}
    spec:
      taskRef: {name: t}
      timeout: 1d
    """, good="""
    apiVersion: tekton.dev/v1
    kind: TaskRun
    metadata: {name: r}
    spec:
      taskRef: {name: t}
      timeout: 24h
    ---
    # a negative pipeline-task timeout passes admission (pipeline-task-timeout-negative warns)
    apiVersion: tekton.dev/v1
    kind: Pipeline
    metadata: {name: p}
    spec:
      tasks:
        - {name: a, taskRef: {name: t}, timeout: -1h}
    """)
def duration_format(u):
    for what, path, msg in decode_problems(u.obj):
        if what == "duration":
            yield path, msg


@rule("pipeline-task-timeout-negative", "warning", "Object", tekton="DECODE-DURATION",
      doc="""A negative pipeline-task `timeout` is accepted on create (no admission rule checks
    it), but the run fails when it reaches the task.""",
      fix="Give the task a positive timeout, or `0` for none.",
      bad="""
    apiVersion: tekton.dev/v1
    kind: Pipeline
    metadata: {name: p}
    spec:
      tasks:
        - {name: a, taskRef: {name: t}, timeout: -1h}
    """, good="""
    apiVersion: tekton.dev/v1
    kind: Pipeline
    metadata: {name: p}
    spec:
      tasks:
        - {name: a, taskRef: {name: t}, timeout: 1h}
    """)
def task_timeout_negative(u):
    for what, path, msg in decode_problems(u.obj):
        if what == "task-timeout":
            yield path, msg


@rule("field-name-case", "warning", "Object", tekton="DECODE-UNKNOWN-FIELD",
      doc="""Inside a PipelineRun's `pipelineSpec` the CRD keeps unknown fields and Tekton's
    webhook decodes with Go's encoding/json, which matches field names case-insensitively: a
    field differing from a known one only in case (`workingdir`, `mountpath`) is accepted and
    used as the known field. Elsewhere the same spelling is an unknown-field error.""",
      fix="Write the field as the API spells it.",
      bad="""
    apiVersion: tekton.dev/v1
    kind: PipelineRun
    metadata: {name: r}
    spec:
      pipelineSpec:
        tasks:
          - name: a
            taskSpec:
              steps: [{name: s, image: alpine, workingdir: /src, script: make}]
    """, good="""
    apiVersion: tekton.dev/v1
    kind: PipelineRun
    metadata: {name: r}
    spec:
      pipelineSpec:
        tasks:
          - name: a
            taskSpec:
              steps: [{name: s, image: alpine, workingDir: /src, script: make}]
    """)
def field_name_case(u):
    for what, path, msg in decode_problems(u.obj):
        if what == "case":
            yield path, msg
