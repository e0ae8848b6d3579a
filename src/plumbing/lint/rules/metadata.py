"""metadata.name and API versions."""

from __future__ import annotations

import re

from plumbing.lint.model import d, nm
from plumbing.lint.registry import rule

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SERVED = {"Task": ("v1", "v1beta1"), "Pipeline": ("v1", "v1beta1"), "TaskRun": ("v1", "v1beta1"),
          "PipelineRun": ("v1", "v1beta1"), "StepAction": ("v1alpha1", "v1beta1")}

T = """
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: %s}
spec:
  steps: [{name: s, image: alpine}]
"""


@rule("metadata-name-format", "error", "Object", tekton="META-NAME-FORMAT", doc="""metadata.name
    must be a DNS-1123 subdomain: lower-case letters, digits, `-` and `.`, starting and ending
    with a letter or digit. A document with only `generateName` is fine (the API server picks the
    name).""", fix="Rename the object, e.g. `build_image` -> `build-image`.",
      bad=T % "Build_Image", good=T % "build-image")
def name_format(u):
    md = d(u.spec.get("metadata"))
    name = nm(md)
    if name is None:
        return
    if type(name) is not str or not DNS1123_SUBDOMAIN.match(name):
        yield ("metadata", "name"), f"name {name!r} is not a DNS-1123 subdomain (lower-case " \
                                    "letters, digits, '-' and '.')"


@rule("metadata-name-length", "error", "Object", tekton="META-NAME-LENGTH", doc="""metadata.name
    may be at most 63 characters (Tekton uses it in labels), although its syntax is a
    subdomain's.""", fix="Shorten the name.", bad=T % ("a" * 64), good=T % ("a" * 63))
def name_length(u):
    name = d(u.spec.get("metadata")).get("name")
    if type(name) is str and len(name) > 63:
        yield ("metadata", "name"), f"name is {len(name)} characters long; at most 63 are allowed"


@rule("metadata-name-missing", "error", "Object", doc="""A Tekton object needs metadata.name (or
    metadata.generateName for `kubectl create`); without either the API server rejects it.""",
      fix="Add metadata.name.", bad="""
    apiVersion: tekton.dev/v1
    kind: Task
    spec:
      steps: [{name: s, image: alpine}]
    """, good=T % "t")
def name_missing(u):
    md = u.spec.get("metadata")
    if type(md) is dict and (nm(md) or md.get("generateName")):
        return
    if md is None or type(md) is dict:
        yield ("metadata",), "metadata.name (or metadata.generateName) is required"


@rule("api-version-unknown", "error", "Object", doc="""The kind is not served at this API version
    by Tekton v1.x: Task, Pipeline, TaskRun and PipelineRun are tekton.dev/v1 (and the older
    v1beta1); StepAction is tekton.dev/v1beta1 (or v1alpha1). tekton.dev/v1alpha1 Tasks and
    Pipelines were removed.""", fix="Use apiVersion tekton.dev/v1 (StepAction: tekton.dev/v1beta1).",
      bad=(T % "t").replace("tekton.dev/v1", "tekton.dev/v1alpha1"), good=T % "t")
def api_version(u):
    served = SERVED.get(u.obj.kind)
    if served is not None and u.obj.version not in served:
        yield ("apiVersion",), (f"{u.obj.kind} is not served as {u.obj.api_version}; use "
                                f"tekton.dev/{served[0]}")


@rule("spec-missing", "error", "Object", doc="""A Task, Pipeline, TaskRun, PipelineRun or
    StepAction without a `spec` mapping cannot do anything; Tekton rejects an empty spec.""",
      fix="Add the spec.", bad="""
    apiVersion: tekton.dev/v1
    kind: Pipeline
    metadata: {name: p}
    """, good="""
    apiVersion: tekton.dev/v1
    kind: Pipeline
    metadata: {name: p}
    spec:
      tasks: [{name: a, taskRef: {name: t}}]
    """)
def spec_missing(u):
    if u.obj.kind in SERVED and type(u.spec.get("spec")) is not dict:
        yield ("spec",), f"{u.obj.kind} has no spec"
