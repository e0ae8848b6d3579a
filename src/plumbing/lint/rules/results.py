"""Task results and step results: declarations and references."""

from __future__ import annotations

import re

from plumbing.lint.model import d, dicts, nm
from plumbing.lint.registry import rule
from plumbing.lint.rules.steps import DNS1123_LABEL, task
from plumbing.lint.vars import exprs

RESULT_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
RESULT_TYPES = ("", "string", "array", "object")
_RESULT_REF = re.compile(r"^results\.([^.\[]+|\[['\"][^'\"]+['\"]\])\.path$")
_STEP_RESULT_REF = re.compile(r"^step\.results\.([^.]+)\.path$")
_RESULT_VALUE = re.compile(r"^\$\(steps\.([^.]+)\.results\.([^.)]+)\)$")


def _decls(u):
    for i, r in dicts(u.spec, "results"):
        yield ("results", i), r
    for i, st in dicts(u.spec, "steps"):
        for j, r in dicts(st, "results"):
            yield ("steps", i, "results", j), r


@rule("result-name-format", "error", ("Task", "StepAction"), tekton="RESULT-NAME-FORMAT,STEP-RESULTS-DECL",
      doc="""Result names (Task, step and StepAction results) contain letters, digits, `-`, `_`
    and `.`, and start and end with a letter or digit.""", fix="Rename the result.",
      bad=task("results: [{name: -x}]\nsteps: [{name: s, image: alpine}]"),
      good=task("results: [{name: x}]\nsteps: [{name: s, image: alpine}]"))
def result_name(u):
    for path, r in _decls(u):
        n = nm(r)
        if type(n) is not str or not RESULT_NAME.match(n):
            yield path + ("name",), f"result name {n!r} is invalid"


@rule("result-type", "error", ("Task", "StepAction"), tekton="RESULT-TYPE,RESULT-OBJECT-PROPERTIES,STEP-RESULTS-DECL",
      doc="""A result's type is string (the default), array or object; an object result needs
    `properties`, each of type string.""", fix="Fix the type, or declare the properties.",
      bad=task("results: [{name: x, type: list}]\nsteps: [{name: s, image: alpine}]"),
      good=task("results: [{name: x, type: array}]\nsteps: [{name: s, image: alpine}]"))
def result_type(u):
    for path, r in _decls(u):
        t = r.get("type") or ""
        if t not in RESULT_TYPES:
            yield path + ("type",), f"result type {t!r} must be string, array or object"
        elif t == "object":
            props = r.get("properties")
            if type(props) is not dict or not props:
                yield path, f"object result {r.get('name')!r} needs properties"
            else:
                for k, v in props.items():
                    if (d(v).get("type") or "string") != "string":
                        yield path + ("properties", k), f"property {k!r} must be of type string"


@rule("result-value", "error", "Task", tekton="RESULT-VALUE", doc="""A Task result's `value` (used
    to surface a step's result) must be exactly `$(steps.<step>.results.<result>)`.""",
      fix="Write the value as $(steps.<step>.results.<result>).",
      bad=task("results: [{name: x, value: 'abc'}]\nsteps: [{name: s, image: alpine, results: [{name: y}]}]"),
      good=task("results: [{name: x, value: $(steps.s.results.y)}]\nsteps: [{name: s, image: alpine, results: [{name: y}]}]"))
def result_value(u):
    for i, r in dicts(u.spec, "results"):
        if "value" not in r or r["value"] is None:
            continue
        v = r["value"]
        m = _RESULT_VALUE.match(v) if type(v) is str else None
        if not m or not DNS1123_LABEL.match(m.group(1)) or not RESULT_NAME.match(m.group(2)):
            yield ("results", i, "value"), f"value {v!r} must be $(steps.<step>.results.<result>)"


@rule("task-result-ref-undeclared", "error", "Task", tekton="TASK-RESULT-REF-UNDECLARED", doc="""In
    a step's script, `$(results.<name>.path)` must name a result the Task declares.""",
      fix="Declare the result under spec.results, or fix the name.",
      bad=task("results: [{name: digest}]\nsteps: [{name: s, image: alpine, script: 'echo x > $(results.digset.path)'}]"),
      good=task("results: [{name: digest}]\nsteps: [{name: s, image: alpine, script: 'echo x > $(results.digest.path)'}]"))
def task_result_ref(u):
    declared = {nm(r) for _, r in dicts(u.spec, "results")}
    for i, st in dicts(u.spec, "steps"):
        for e in exprs(st.get("script")):
            m = _RESULT_REF.match(e.strip())
            if m:
                name = m.group(1).strip("[]'\"")
                if name not in declared:
                    yield ("steps", i, "script"), f"$({e}): the Task declares no result {name!r}"


@rule("step-result-ref-undeclared", "error", "Task", tekton="STEP-RESULTS-REF-UNDECLARED", doc="""In
    the script of a step that declares results, `$(step.results.<name>.path)` must name one of
    them.""", fix="Declare the result in the step's results.",
      bad=task("steps: [{name: s, image: alpine, results: [{name: a}], script: 'echo > $(step.results.b.path)'}]"),
      good=task("steps: [{name: s, image: alpine, results: [{name: a}], script: 'echo > $(step.results.a.path)'}]"))
def step_result_ref(u):
    for i, st in dicts(u.spec, "steps"):
        if not st.get("results"):
            continue
        declared = {nm(r) for _, r in dicts(st, "results")}
        for e in exprs(st.get("script")):
            m = _STEP_RESULT_REF.match(e.strip())
            if m and m.group(1) not in declared:
                yield ("steps", i, "script"), f"$({e}): the step declares no result {m.group(1)!r}"


@rule("result-ref-undeclared-unchecked", "warning", "Task", doc="""`$(results.<name>.path)` outside
    a step's script (args, command, env values, workingDir) must also name a declared result;
    Tekton only checks scripts, and the path would point at a result nobody reads.""",
      stricter="Tekton checks result references only in script (quirk 3).",
      fix="Declare the result under spec.results, or fix the name.",
      bad=task("results: [{name: digest}]\nsteps: [{name: s, image: alpine, args: ['--out=$(results.digets.path)']}]"),
      good=task("results: [{name: digest}]\nsteps: [{name: s, image: alpine, args: ['--out=$(results.digest.path)']}]"))
def result_ref_unchecked(u):
    from plumbing.lint.vars import walk_strings

    declared = {nm(r) for _, r in dicts(u.spec, "results")}
    for i, st in dicts(u.spec, "steps"):
        for k in ("args", "command", "env", "workingDir"):
            for path, text in walk_strings(st.get(k), ("steps", i, k)):
                if "$(results." not in text:
                    continue
                for e in exprs(text):
                    m = _RESULT_REF.match(e.strip())
                    if m:
                        name = m.group(1).strip("[]'\"")
                        if name not in declared:
                            yield path, f"$({e}): the Task declares no result {name!r}"
