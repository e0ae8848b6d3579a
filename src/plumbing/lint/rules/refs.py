"""taskRef, pipelineRef and steps[].ref: name, resolver and params."""

from __future__ import annotations

import re

from plumbing.lint.model import dicts, nm, repeated
from plumbing.lint.registry import rule
from plumbing.lint.rules.params import pipeline

QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                       r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
URLISH = re.compile(r"^[\w-]+://")


def all_refs(u):
    """(path, ref mapping) for every ref this unit holds directly."""
    if u.kind in ("TaskRun", "PipelineRun"):
        for key in ("taskRef", "pipelineRef"):
            if type(u.spec.get(key)) is dict:
                yield (key,), u.spec[key]
    elif u.kind == "Pipeline":
        for sec in ("tasks", "finally"):
            for i, t in dicts(u.spec, sec):
                for key in ("taskRef", "pipelineRef"):
                    if type(t.get(key)) is dict:
                        yield (sec, i, key), t[key]
    elif u.kind == "Task":
        for i, st in dicts(u.spec, "steps"):
            if type(st.get("ref")) is dict:
                yield ("steps", i, "ref"), st["ref"]


KINDS = ("Task", "Pipeline", "TaskRun", "PipelineRun")


@rule("ref-name-required", "error", KINDS, tekton="REF-NAME-REQUIRED,REF-NAME-PARAMS-EXCLUSIVE",
      doc="""A ref needs a `name` (a Task, Pipeline or StepAction in the namespace) or a
    `resolver`; `params` only go with a resolver, never with a name.""",
      fix="Add name, or resolver with its params.",
      bad=pipeline("tasks: [{name: a, taskRef: {params: [{name: url, value: x}]}}]"),
      good=pipeline("tasks: [{name: a, taskRef: {resolver: git, params: [{name: url, value: x}]}}]"))
def ref_name_required(u):
    for path, ref in all_refs(u):
        name, resolver, params = nm(ref), ref.get("resolver"), ref.get("params")
        if name and params:
            yield path + ("params",), "a ref with a name cannot have params (they go with a resolver)"
        elif params and not resolver:
            yield path, "a ref with params needs a resolver"
        elif not name and not resolver and not params:
            if u.kind == "Pipeline" and ref.get("kind") not in (None, "", "Task", "ClusterTask") \
                    and ref.get("apiVersion"):
                continue
            yield path, "a ref needs a name or a resolver"


@rule("ref-name-format", "error", KINDS, tekton="REF-NAME-FORMAT,REF-CONCISE-SYNTAX", doc="""A ref
    name must be a Kubernetes qualified name (letters, digits, `-`, `_`, `.`, at most 63
    characters, optionally prefixed by a DNS subdomain and `/`). A URL-like name
    (`git://...`) needs the concise-resolver-syntax feature flag, which is off by default.""",
      fix="Use the object's name, or a resolver with params for remote refs.",
      bad=pipeline("tasks: [{name: a, taskRef: {name: 'my task'}}]"),
      good=pipeline("tasks: [{name: a, taskRef: {name: my-task}}]"))
def ref_name_format(u):
    for path, ref in all_refs(u):
        name = nm(ref)
        if name in (None, "") or (type(name) is str and "$(" in name):
            continue
        if type(name) is str and URLISH.match(name):
            yield path + ("name",), f"ref name {name!r} looks like a URL; concise resolver " \
                                    "syntax is off by default: use resolver and params"
        elif type(name) is not str or not QUALIFIED.match(name) or len(name.rpartition("/")[2]) > 63:
            yield path + ("name",), f"ref name {name!r} is not a valid Kubernetes name"


@rule("ref-param-duplicate", "error", KINDS, tekton="REF-RESOLVER-PARAM-DUP", doc="""Resolver
    params must have unique names (compared case-insensitively).""", fix="Remove the duplicate.",
      bad=pipeline("tasks: [{name: a, taskRef: {resolver: git, params: [{name: url, value: x}, {name: URL, value: y}]}}]"),
      good=pipeline("tasks: [{name: a, taskRef: {resolver: git, params: [{name: url, value: x}]}}]"))
def ref_param_dup(u):
    for path, ref in all_refs(u):
        for j, n in repeated(dicts(ref, "params"), fold=str.lower):
            yield path + ("params", j, "name"), f"resolver param {n!r} is passed twice"
