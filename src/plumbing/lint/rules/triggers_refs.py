"""Tekton Triggers across documents, within the linted set: the bindings, templates and Triggers
an EventListener or Trigger names exist; the params a template requires are bound; interceptor
references resolve. Triggers finds out only when an event arrives: warnings."""

from __future__ import annotations

from plumbing.lint.model import d, dicts, nm, s
from plumbing.lint.registry import rule
from plumbing.lint.rules.triggers import TB_KINDS, interceptors, tdoc, trigger_specs

# Interceptors every Triggers install serves as ClusterInterceptors (core-interceptors).
CORE_INTERCEPTORS = ("github", "gitlab", "bitbucket", "cel", "slack")
_NAMESPACED = ("Interceptor", "NamespacedInterceptor")

BINDING = tdoc("TriggerBinding", "params: [{name: revision, value: $(body.after)}]", name="push")
TEMPLATE = tdoc("TriggerTemplate", """
params: [{name: revision}, {name: mode, default: nightly}]
resourcetemplates:
  - apiVersion: tekton.dev/v1
    kind: PipelineRun
    metadata: {generateName: build-}
    spec:
      pipelineRef: {name: build}
      params: [{name: revision, value: $(tt.params.revision)}, {name: mode, value: $(tt.params.mode)}]
""", name="build")


def _el(body: str) -> str:
    return tdoc("EventListener", body, name="listener")


def _refs(u):
    """(path, kind, name) of every object a trigger names: Trigger, bindings, template."""
    for path, t, _ in trigger_specs(u):
        if s(t.get("triggerRef")):
            yield path + ("triggerRef",), "Trigger", t["triggerRef"]
        for i, b in dicts(t, "bindings"):
            if s(b.get("ref")):
                kind = b.get("kind") if b.get("kind") in TB_KINDS else "TriggerBinding"
                yield path + ("bindings", i, "ref"), kind, b["ref"]
        ref = d(t.get("template")).get("ref")
        if s(ref):
            yield path + ("template", "ref"), "TriggerTemplate", ref


@rule("triggers-ref-missing", "warning", ("Trigger", "EventListener"), cross=True, doc="""The
    Trigger (`triggerRef`), TriggerBindings or ClusterTriggerBindings (`bindings[].ref`) and
    TriggerTemplate (`template.ref`) a trigger names must be in the linted set; Triggers only
    finds a missing one when an event arrives. Lint the files that define them together.""",
      fix="Fix the name, or lint the file that defines the object too.",
      bad=BINDING + "---\n" + _el("triggers: [{name: t, bindings: [{ref: pushh}], template: {ref: build}}]")
      + "---\n" + TEMPLATE,
      good=BINDING + "---\n" + _el("triggers: [{name: t, bindings: [{ref: push}], template: {ref: build}}]")
      + "---\n" + TEMPLATE)
def ref_missing(u):
    if u.lintset is None:
        return
    for path, kind, name in _refs(u):
        if not u.lintset.has(kind, name):
            yield path, f"{kind} {name!r} is not in the linted set"


@rule("triggers-binding-param-missing", "warning", ("Trigger", "EventListener"), cross=True, doc="""A
    trigger's bindings (inline params and the TriggerBindings it references) must provide every
    param its TriggerTemplate declares without a default, when the template and every referenced
    binding are in the linted set. Triggers rejects the event otherwise.""",
      fix="Add a binding for the param, or give the template param a default.",
      bad=BINDING + "---\n" + _el("triggers: [{name: t, template: {ref: build}}]") + "---\n" + TEMPLATE,
      good=BINDING + "---\n" + _el("triggers: [{name: t, bindings: [{ref: push}], template: {ref: build}}]")
      + "---\n" + TEMPLATE)
def binding_param_missing(u):
    if u.lintset is None:
        return
    for path, t, _ in trigger_specs(u):
        spec = _template_spec(u, t)
        provided = _bound(u, t)
        if spec is None or provided is None:
            continue
        for _, p in dicts(spec, "params"):
            if nm(p) and "default" not in p and nm(p) not in provided:
                yield path + ("bindings",), f"template param {nm(p)!r} is not bound by the trigger's bindings"


def _template_spec(u, t):
    tt = d(t.get("template"))
    if type(tt.get("spec")) is dict:
        return tt["spec"]
    obj = u.lintset.named("TriggerTemplate", tt.get("ref"), near=u.obj.display)
    return d(obj.data.get("spec")) if obj is not None else None


def _bound(u, t):
    """Param names the bindings provide; None when a referenced binding is not in the set."""
    out = set()
    for _, b in dicts(t, "bindings"):
        if s(b.get("ref")):
            kind = b.get("kind") if b.get("kind") in TB_KINDS else "TriggerBinding"
            obj = u.lintset.named(kind, b["ref"], near=u.obj.display)
            if obj is None:
                return None
            out.update(nm(p) for _, p in dicts(d(obj.data.get("spec")), "params"))
        elif s(b.get("name")):
            out.add(b["name"])
    return out


@rule("triggers-interceptor-unknown", "warning", ("Trigger", "EventListener"), cross=True, doc="""An
    interceptor `ref` must name a core interceptor (github, gitlab, bitbucket, cel, slack: the
    ClusterInterceptors every Triggers install serves) or an Interceptor / ClusterInterceptor in
    the linted set. `kind` defaults to ClusterInterceptor.""",
      fix="Fix the name, or lint the file that defines the interceptor too.",
      bad=tdoc("Trigger", "interceptors: [{ref: {name: githubb}}]\ntemplate: {ref: build}"),
      good=tdoc("Trigger", "interceptors:\n  - ref: {name: github}\n  - ref: {name: my-check, kind: NamespacedInterceptor}\n"
                           "template: {ref: build}")
      + "---\n" + tdoc("Interceptor", "clientConfig: {url: 'http://check.ci.svc:8080'}", version="v1alpha1",
                       name="my-check"))
def interceptor_unknown(u):
    if u.lintset is None:
        return
    for path, ic in interceptors(u):
        ref = d(ic.get("ref")) if ic is not None else {}
        name = ref.get("name")
        if not s(name):
            continue
        if ref.get("kind") in _NAMESPACED:
            if not u.lintset.has("Interceptor", name):
                yield path + ("ref", "name"), f"Interceptor {name!r} is not in the linted set"
        elif name not in CORE_INTERCEPTORS and not u.lintset.has("ClusterInterceptor", name):
            yield path + ("ref", "name"), f"{name!r} is not a core interceptor ({', '.join(CORE_INTERCEPTORS)}) " \
                                          "nor a ClusterInterceptor in the linted set"
