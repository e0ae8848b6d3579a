"""Param declarations (Task and Pipeline) and param/context references inside a Task."""

from __future__ import annotations

import re

from plumbing.lint.model import d, dicts, l, nm, param_type, repeated, value_shape
from plumbing.lint.registry import rule
from plumbing.lint.rules.steps import task
from plumbing.lint.vars import exprs, param_refs, walk_strings

PARAM_NAME = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9.-]*$")
OBJECT_NAME = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9-]*$")
TYPES = ("string", "array", "object")


def pipeline(body: str) -> str:
    return "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n" + "\n".join(
        "  " + line for line in body.strip("\n").splitlines()) + "\n"


STEP = "steps: [{name: s, image: alpine, script: 'echo $(params.%s)'}]"


@rule("param-type-invalid", "error", ("Task", "Pipeline", "StepAction"), tekton="PARAM-TYPE-INVALID,PARAM-TYPE-INFERENCE",
      doc="""A param's type must be string, array or object. When `type` is omitted Tekton infers
    it first: object when `properties` is set, string without a default, else the default's shape
    (a list -> array, a mapping -> object, anything else -> string).""",
      fix="Use type string, array or object.",
      bad=task("params: [{name: a, type: list}]\n" + STEP % "a"),
      good=task("params: [{name: a, type: string}]\n" + STEP % "a"))
def param_type_invalid(u):
    for i, p in dicts(u.spec, "params"):
        t = param_type(p)
        if t not in TYPES:
            yield ("params", i, "type"), f"param type {t!r} must be string, array or object"


@rule("param-default-type-mismatch", "error", ("Task", "Pipeline", "StepAction"),
      tekton="PARAM-DEFAULT-TYPE-MISMATCH", doc="""A param's default must have the declared type's
    shape: a list for array, a mapping for object, anything else (strings, and also unquoted
    booleans and numbers, which Tekton keeps as text) for string.""",
      fix="Change the default or the type.",
      bad=task("params: [{name: a, type: array, default: x}]\nsteps: [{name: s, image: alpine, args: ['$(params.a[*])']}]"),
      good=task("params: [{name: a, type: array, default: [x]}]\nsteps: [{name: s, image: alpine, args: ['$(params.a[*])']}]"))
def param_default_mismatch(u):
    for i, p in dicts(u.spec, "params"):
        if p.get("default") is None:
            continue
        t = param_type(p)
        shape = value_shape(p["default"])
        if t in TYPES and shape != t:
            yield ("params", i, "default"), f"default is {'an' if shape[0] in 'ao' else 'a'} " \
                                            f"{shape} but the param is declared {t}"


@rule("param-object-properties", "error", ("Task", "Pipeline", "StepAction"),
      tekton="PARAM-OBJECT-PROPERTIES-TYPE,PARAM-OBJECT-PROPERTIES-MISSING", doc="""An object
    param needs `properties`, and every property's type must be string (an omitted type means
    string). Tekton skips the missing-properties check for a Pipeline's own params unless the
    Pipeline has an embedded taskSpec; so does this rule.""",
      fix="Declare the keys under properties, each with type string.",
      bad=task("params: [{name: o, type: object}]\nsteps: [{name: s, image: alpine}]"),
      good=task("params: [{name: o, type: object, properties: {url: {type: string}}}]\nsteps: [{name: s, image: alpine}]"))
def param_object_props(u):
    check_missing = u.kind != "Pipeline" or any(
        type(t.get("taskSpec")) is dict for sec in ("tasks", "finally") for _, t in dicts(u.spec, sec))
    for i, p in dicts(u.spec, "params"):
        if param_type(p) != "object":
            continue
        props = p.get("properties")
        if props is None:
            if check_missing:
                yield ("params", i), f"object param {p.get('name')!r} needs properties"
            continue
        for k, v in d(props).items():
            t = d(v).get("type") or "string"
            if t != "string":
                yield ("params", i, "properties", k), f"property {k!r} has type {t!r}; object " \
                                                      "properties must be strings"


@rule("param-duplicate", "error", ("Task", "Pipeline", "StepAction"), tekton="PARAM-DUP", doc="""Param names
    must be unique (case-sensitive) within a Task or Pipeline.""", fix="Remove or rename one.",
      bad=task("params: [{name: a}, {name: a}]\n" + STEP % "a"),
      good=task("params: [{name: a}, {name: b}]\n" + STEP % "a"))
def param_dup(u):
    for i, n in repeated(dicts(u.spec, "params")):
        yield ("params", i, "name"), f"param {n!r} is declared twice"


@rule("param-name-format", "error", ("Task", "StepAction"), tekton="PARAM-NAME-FORMAT", doc="""Task param names
    start with a letter or `_` and contain letters, digits, `_`, `-` and `.`; object param names
    and their property keys may not contain dots. Tekton does not check Pipeline param names.""",
      fix="Rename the param.", bad=task("params: [{name: 1st}]\nsteps: [{name: s, image: alpine}]"),
      good=task("params: [{name: first}]\nsteps: [{name: s, image: alpine}]"))
def param_name_format(u):
    for i, p in dicts(u.spec, "params"):
        n = nm(p)
        if type(n) is not str:
            yield ("params", i), "param needs a name"
            continue
        if param_type(p) == "object":
            if not OBJECT_NAME.match(n):
                yield ("params", i, "name"), f"object param name {n!r} is invalid (letters, " \
                                             "digits, '_' and '-', not starting with a digit)"
            for k in d(p.get("properties")):
                if type(k) is not str or not OBJECT_NAME.match(k):
                    yield ("params", i, "properties", k), f"property key {k!r} is invalid"
        elif not PARAM_NAME.match(n):
            yield ("params", i, "name"), f"param name {n!r} is invalid (letters, digits, '_', " \
                                         "'-' and '.', not starting with a digit)"


@rule("param-value-missing", "error", ("Pipeline", "TaskRun", "PipelineRun"),
      tekton="DECODE-PARAM-VALUE-MISSING", doc="""Params passed to a pipeline task, a matrix, a
    run or a resolver need both `name` and `value`; the v1 CRDs require them.""",
      fix="Add the value (an empty string is a value).",
      bad=pipeline("tasks: [{name: a, taskRef: {name: t}, params: [{name: x}]}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: t}, params: [{name: x, value: ''}]}]"))
def param_value_missing(u):
    lists = []
    if u.kind == "Pipeline":
        for sec in ("tasks", "finally"):
            for i, t in dicts(u.spec, sec):
                lists.append(((sec, i, "params"), t.get("params")))
                lists.append(((sec, i, "matrix", "params"), d(t.get("matrix")).get("params")))
                for j, inc in dicts(t.get("matrix"), "include"):
                    lists.append(((sec, i, "matrix", "include", j, "params"), inc.get("params")))
                for key in ("taskRef", "pipelineRef"):
                    lists.append(((sec, i, key, "params"), d(t.get(key)).get("params")))
    else:
        lists.append((("params",), u.spec.get("params")))
        for key in ("taskRef", "pipelineRef"):
            lists.append(((key, "params"), d(u.spec.get(key)).get("params")))
    for path, items in lists:
        for j, p in enumerate(l(items)):
            if type(p) is not dict:
                continue
            if "name" not in p:
                yield path + (j,), "param needs a name"
            elif "value" not in p or p.get("value") is None:
                yield path + (j,), f"param {p.get('name')!r} needs a value"


# --- references inside a Task's steps -----------------------------------------------------

def checked_fields(u):
    """(path, text, is_list_item) for the step fields Tekton checks references in."""
    return u.cached("checked_fields", lambda u: list(_checked_fields(u)))


def _checked_fields(u):
    holders = [((), u.spec)] if u.kind == "StepAction" else [
        (("steps", i), st) for i, st in dicts(u.spec, "steps")]
    for base, st in holders:
        for k in ("name", "image", "workingDir", "script", "onError"):
            v = st.get(k)
            if type(v) is str and "$(" in v:
                yield base + (k,), v, False
        for k in ("command", "args"):
            for j, v in enumerate(l(st.get(k))):
                if type(v) is str and "$(" in v:
                    yield base + (k, j), v, True
        for j, e in dicts(st, "env"):
            v = e.get("value")
            if type(v) is str and "$(" in v:
                yield base + ("env", j, "value"), v, False
        for j, vm in dicts(st, "volumeMounts"):
            for k in ("name", "mountPath", "subPath"):
                v = vm.get(k)
                if type(v) is str and "$(" in v:
                    yield base + ("volumeMounts", j, k), v, False


def _refs(u):
    return u.cached("param_refs", _compute_refs)


def _compute_refs(u):
    types = u.param_types()
    return [(path, text, item, r, types) for path, text, item in checked_fields(u)
            for r in param_refs(text)]


@rule("task-param-undeclared", "error", ("Task", "StepAction"),
      tekton="TASK-PARAM-UNDEFINED,PIPELINE-TASK-SPEC-VALID,TASKRUN-INLINE-PARAMS,PIPELINERUN-INLINE-PARAMS", doc="""Every
    `$(params.<name>)` (also `[0]`, `[*]`, `.key` and bracket forms) in a step's name, image,
    workingDir, script, command, args, env value, volumeMounts or onError must name a declared
    param (for an embedded taskSpec, also the Pipeline's or run's params and the params the
    pipeline task passes, matrix params included, as Tekton's appendPipelineTaskParams adds
    them; in tasks and finally alike). Tekton rejects the Task otherwise; other places are
    covered by param-undeclared-unchecked.""",
      fix="Declare the param under spec.params, or fix the name.",
      bad=task("params: [{name: url}]\n" + STEP % "uri"),
      good=task("params: [{name: url}]\n" + STEP % "url") + "---\n" + pipeline("""
tasks:
  - name: build
    params: [{name: msg, value: hi}]
    matrix:
      params: [{name: os, value: [linux, darwin]}]
    taskSpec:
      steps: [{name: s, image: alpine, script: 'echo $(params.msg) $(params.os)'}]
finally:
  - name: report
    params: [{name: msg, value: done}]
    taskSpec:
      steps: [{name: s, image: alpine, script: 'echo $(params.msg)'}]
"""))
def task_param_undeclared(u):
    for path, _, _, r, types in _refs(u):
        if r.error is None and r.name not in types:
            yield path, f"$({r.expr}) refers to param {r.name!r}, which is not declared"


@rule("task-param-ref-syntax", "error", ("Task", "StepAction"), tekton="TASK-PARAM-REF-SYNTAX", doc="""Dot notation
    allows at most two components after `params.` (a param and an object key); a param whose name
    contains dots must be written `$(params['a.b'])`.""",
      fix="Use bracket notation for names with dots.",
      bad=task("params: [{name: a.b.c}]\n" + STEP % "a.b.c"),
      good=task("params: [{name: a.b.c}]\nsteps: [{name: s, image: alpine, script: \"echo $(params['a.b.c'])\"}]"))
def task_param_syntax(u):
    for path, _, _, r, _types in _refs(u):
        if r.error:
            yield path, f"$({r.expr}): {r.error}"


@rule("task-param-object-key", "error", ("Task", "StepAction"), tekton="TASK-PARAM-OBJECT-KEY-UNDEFINED",
      doc="""`$(params.<obj>.<key>)` must name a key declared in the object param's properties.""",
      fix="Add the key to properties, or fix the key.",
      bad=task("params: [{name: o, properties: {url: {}}}]\n" + STEP % "o.uri"),
      good=task("params: [{name: o, properties: {url: {}}}]\n" + STEP % "o.url"))
def task_param_object_key(u):
    params = u.params()
    for path, _, _, r, types in _refs(u):
        if r.error or r.key is None or types.get(r.name) != "object":
            continue
        props = d(params.get(r.name, {}).get("properties"))
        if r.name in params and r.key not in props:
            yield path, f"$({r.expr}): object param {r.name!r} has no key {r.key!r}"


@rule("task-param-object-whole", "error", ("Task", "StepAction"), tekton="TASK-PARAM-OBJECT-WHOLE", doc="""A whole
    object param (`$(params.obj)` or `$(params.obj[*])`) cannot be used in a step; use its keys,
    `$(params.obj.key)`.""", fix="Reference one key at a time.",
      bad=task("params: [{name: o, properties: {url: {}}}]\n" + STEP % "o"),
      good=task("params: [{name: o, properties: {url: {}}}]\n" + STEP % "o.url"))
def task_param_object_whole(u):
    for path, _, _, r, types in _refs(u):
        if r.error is None and r.key is None and types.get(r.name) == "object":
            yield path, f"$({r.expr}) uses the whole object param {r.name!r}; use its keys"


@rule("task-param-array-placement", "error", ("Task", "StepAction"), tekton="TASK-PARAM-ARRAY-PLACEMENT", doc="""A
    whole array param (`$(params.a)` or `$(params.a[*])`) may only be used as a complete item of
    `command` or `args`, where it expands to several items; anywhere else (script, image, env
    value, or inside a longer args string) it is rejected. An indexed `$(params.a[0])` is fine
    anywhere.""", fix="""Put `$(params.a[*])` alone in an args item and read the arguments in the
    script ("$@"), or use `$(params.a[0])`.""",
      bad=task("params: [{name: a, type: array}]\n" + STEP % "a[*]"),
      good=task("params: [{name: a, type: array}]\n"
                "steps: [{name: s, image: alpine, args: ['$(params.a[*])'], script: 'echo \"$@\"'}]"))
def task_param_array(u):
    for path, text, item, r, types in _refs(u):
        if r.error or types.get(r.name) != "array" or r.key is not None:
            continue
        if r.index not in (None, "*"):
            continue
        if item and text == f"$({r.expr})":
            continue
        where = "inside a longer string" if item else f"in {path[-1] if type(path[-1]) is str else path[-2]}"
        yield path, f"$({r.expr}) expands the whole array param {r.name!r}, which is only " \
                    f"allowed as a complete command/args item, not {where}"


CONTEXT = {"taskRun": ("name", "namespace", "uid"), "task": ("name", "retry-count")}


@rule("task-context-unknown", "error", ("Task", "StepAction"), tekton="TASK-CONTEXT-UNDEFINED", doc="""A Task may
    use `$(context.taskRun.name|namespace|uid)` and `$(context.task.name|retry-count)`; other
    names under context.taskRun and context.task are rejected.""",
      fix="Use one of the listed context variables.",
      bad=task("steps: [{name: s, image: alpine, script: 'echo $(context.taskRun.id)'}]"),
      good=task("steps: [{name: s, image: alpine, script: 'echo $(context.taskRun.uid)'}]"))
def task_context(u):
    for path, text, _ in checked_fields(u):
        for e in exprs(text):
            parts = e.strip().split(".")
            if len(parts) >= 2 and parts[0] == "context" and parts[1] in CONTEXT:
                if len(parts) != 3 or parts[2] not in CONTEXT[parts[1]]:
                    yield path, f"$({e}) is not a context variable; known: " + ", ".join(
                        f"context.{parts[1]}.{x}" for x in CONTEXT[parts[1]])


@rule("param-undeclared-unchecked", "warning", "Task", doc="""A `$(params.<name>)` naming no
    declared param in a place Tekton does not validate (sidecars, stepTemplate, volumes,
    workspaces, results, env valueFrom, step when). Tekton accepts the Task, but the text is left
    unsubstituted (or fails) at run time.""", stricter="""Tekton does not check these places at
    all (quirk 2 of the reference table).""", fix="Declare the param or fix its name.",
      bad=task("params: [{name: key}]\nsteps:\n  - name: s\n    image: alpine\n"
               "    env: [{name: K, valueFrom: {secretKeyRef: {name: s, key: $(params.kee)}}}]"),
      good=task("params: [{name: key}]\nsteps:\n  - name: s\n    image: alpine\n"
                "    env: [{name: K, valueFrom: {secretKeyRef: {name: s, key: $(params.key)}}}]"))
def param_unchecked(u):
    types = None
    checked = None
    for key in ("steps", "sidecars", "stepTemplate", "volumes", "workspaces", "results"):
        for path, text in walk_strings(u.spec.get(key), (key,)):
            if "$(params" not in text or path[-1] == "description":
                continue
            if checked is None:
                checked = {p for p, _, _ in checked_fields(u)}
                types = u.param_types()
            if path in checked:
                continue
            for r in param_refs(text):
                if r.error is None and r.name not in types:
                    yield path, f"$({r.expr}) refers to param {r.name!r}, which is not declared"
