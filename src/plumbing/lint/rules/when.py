"""`when` expressions on pipeline tasks, finally tasks and steps."""

from __future__ import annotations

from plumbing.lint.model import dicts, l
from plumbing.lint.registry import rule
from plumbing.lint.rules.params import pipeline


def whens(u):
    if u.kind == "Pipeline":
        for sec in ("tasks", "finally"):
            for i, t in dicts(u.spec, sec):
                for j, w in enumerate(l(t.get("when"))):
                    yield (sec, i, "when", j), w
    else:
        for i, st in dicts(u.spec, "steps"):
            for j, w in enumerate(l(st.get("when"))):
                yield ("steps", i, "when", j), w


W = "tasks: [{name: a, taskRef: {name: t}, when: [%s]}]"


@rule("when-empty", "error", ("Pipeline", "Task"), tekton="WHEN-EMPTY,STEP-WHEN", doc="""A when
    expression with nothing in it is rejected ('missing field(s)').""", fix="Fill it in or remove it.",
      bad=pipeline(W % "{}"), good=pipeline(W % "{input: a, operator: in, values: [a]}"))
def when_empty(u):
    for path, w in whens(u):
        if w is None or w == {} or (type(w) is dict and not any(w.values())):
            yield path, "empty when expression"


@rule("when-operator", "error", ("Pipeline", "Task"), tekton="WHEN-OPERATOR,STEP-WHEN", doc="""A
    when expression's operator is `in` or `notin`.""", fix="Use in or notin.",
      bad=pipeline(W % "{input: a, operator: '==', values: [a]}"),
      good=pipeline(W % "{input: a, operator: in, values: [a]}"))
def when_operator(u):
    for path, w in whens(u):
        if type(w) is dict and w and "cel" not in w and w.get("operator") not in ("in", "notin"):
            yield path + ("operator",), f"operator {w.get('operator')!r} must be 'in' or 'notin'"


@rule("when-values-empty", "error", ("Pipeline", "Task"), tekton="WHEN-VALUES-EMPTY,STEP-WHEN",
      doc="""A when expression needs at least one value (the input may be empty).""",
      fix="Add values.", bad=pipeline(W % "{input: a, operator: in, values: []}"),
      good=pipeline(W % "{input: a, operator: in, values: ['']}"))
def when_values(u):
    for path, w in whens(u):
        if type(w) is dict and w and "cel" not in w and not l(w.get("values")):
            yield path + ("values",), "a when expression needs at least one value"
