"""Tekton Triggers admission rules (triggers.tekton.dev v1beta1 and v1alpha1): EventListener,
Trigger, TriggerBinding, ClusterTriggerBinding, TriggerTemplate, Interceptor, ClusterInterceptor,
as read from tektoncd/triggers pkg/apis/triggers/*/*_validation.go and *_defaults.go (a rule's
`tekton` names its source file, `triggers:<file>`)."""

from __future__ import annotations

import re

from plumbing.lint.model import d, dicts, l, nm, s
from plumbing.lint.registry import rule

TB_KINDS = ("TriggerBinding", "ClusterTriggerBinding")
# $(tt.params.NAME), as trigger_template_validation.go's paramsRegexp
TT_PARAM = re.compile(r"\$\(tt.params.([_a-zA-Z][_a-zA-Z0-9.-]*)\)")
# k8s.io validation.IsValidLabelValue
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# what an EventListener's kubernetesResource / customResource pod may set (podSpecMask,
# containerFieldMask in event_listener_validation.go)
POD_FIELDS = ("serviceAccountName", "containers", "tolerations", "nodeSelector")
CONTAINER_FIELDS = ("resources", "env")


def tdoc(kind: str, body: str, version: str = "v1beta1", name: str = "x") -> str:
    """A Triggers document for rule fixtures; `body` is the spec, indented here."""
    return (f"apiVersion: triggers.tekton.dev/{version}\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n"
            + "\n".join("  " + line for line in body.strip("\n").splitlines()) + "\n")


def trigger_specs(u):
    """(path, trigger spec, in an EventListener) for the Trigger itself or each EventListener trigger."""
    if u.kind == "Trigger":
        yield (), u.spec, False
    elif u.kind == "EventListener":
        for i, t in dicts(u.spec, "triggers"):
            yield ("triggers", i), t, True


def interceptors(u):
    """(path, interceptor) for every interceptor of a Trigger or an EventListener (triggers and
    triggerGroups); a null entry is yielded as None."""
    groups = [(p, t) for p, t, _ in trigger_specs(u)]
    if u.kind == "EventListener":
        groups += [(("triggerGroups", i), g) for i, g in dicts(u.spec, "triggerGroups")]
    for path, t in groups:
        for j, ic in enumerate(l(t.get("interceptors"))):
            yield path + ("interceptors", j), ic if type(ic) is dict else None


EL_GOOD = tdoc("EventListener", """
triggers:
  - name: on-push
    bindings: [{ref: push}]
    template: {ref: build}
""")


@rule("eventlistener-name-length", "error", "Triggers", tekton="triggers:event_listener_validation.go", doc="""An
    EventListener's name is at most 60 characters: its Service is named `el-<name>`.""",
      fix="Shorten the name.", bad=tdoc("EventListener", "triggers: [{template: {ref: t}}]", name="e" * 61),
      good=EL_GOOD)
def el_name_length(u):
    if u.obj.kind == "EventListener" and len(s(d(u.spec.get("metadata")).get("name"))) > 60:
        yield ("metadata", "name"), "an EventListener's name must be at most 60 characters (its Service is el-<name>)"


@rule("eventlistener-triggers-required", "error", "EventListener", tekton="triggers:event_listener_validation.go", doc="""An
    EventListener needs at least one of spec.triggers, spec.triggerGroups, spec.labelSelector or
    spec.namespaceSelector.matchNames.""", fix="Add a trigger.",
      bad=tdoc("EventListener", "serviceAccountName: el"), good=EL_GOOD)
def el_triggers_required(u):
    sp = u.spec
    if (sp.get("labelSelector") is None and not l(d(sp.get("namespaceSelector")).get("matchNames"))
            and not l(sp.get("triggerGroups")) and not l(sp.get("triggers"))):
        yield (), "an EventListener needs triggers, triggerGroups, labelSelector or namespaceSelector.matchNames"


@rule("eventlistener-trigger", "error", "EventListener", tekton="triggers:event_listener_validation.go", doc="""Each
    EventListener trigger either names a Trigger (`triggerRef`) or has a template (with optional
    bindings and interceptors), never both; its name, used as a label value, is at most 63
    characters of letters, digits, `-`, `_` and `.`, starting and ending alphanumeric.""",
      fix="Keep triggerRef alone, or drop it and give the template.",
      bad=tdoc("EventListener", "triggers: [{name: t, triggerRef: t, template: {ref: build}}]"), good=EL_GOOD)
def el_trigger(u):
    for path, t, _ in trigger_specs(u):
        ref = s(t.get("triggerRef"))
        if t.get("template") is None and not ref:
            yield path, "a trigger needs a template or a triggerRef"
        if ref and any(t.get(k) is not None for k in ("template", "bindings", "interceptors")):
            yield path + ("triggerRef",), "triggerRef cannot be combined with template, bindings or interceptors"
        n = t.get("name", "")
        if type(n) is not str or len(n) > 63 or not LABEL_VALUE.match(n):
            yield path + ("name",), f"trigger name {n!r} must be a valid label value (at most 63 " \
                                    "letters, digits, '-', '_' or '.', alphanumeric at both ends)"


@rule("eventlistener-trigger-group", "error", "EventListener", tekton="triggers:event_listener_validation.go", doc="""A
    triggerGroup needs a triggerSelector (labelSelector or namespaceSelector.matchNames) and at
    least one interceptor.""", fix="Add the selector and the interceptors.",
      bad=tdoc("EventListener", "triggerGroups: [{name: g, triggerSelector: {labelSelector: {}}}]"),
      good=tdoc("EventListener", "triggerGroups:\n  - name: g\n    triggerSelector: {labelSelector: {}}\n"
                                 "    interceptors: [{ref: {name: cel}, params: [{name: filter, value: 'true'}]}]"))
def el_trigger_group(u):
    for i, g in dicts(u.spec, "triggerGroups"):
        sel = d(g.get("triggerSelector"))
        if sel.get("labelSelector") is None and not l(d(sel.get("namespaceSelector")).get("matchNames")):
            yield ("triggerGroups", i), "a triggerGroup needs triggerSelector.labelSelector or namespaceSelector.matchNames"
        if not l(g.get("interceptors")):
            yield ("triggerGroups", i), "a triggerGroup needs interceptors"


@rule("eventlistener-resources", "error", "EventListener", tekton="triggers:event_listener_validation.go", doc="""An
    EventListener's resources hold kubernetesResource or customResource, not both; replicas is not
    negative; the pod has at most one container and sets only serviceAccountName, containers,
    tolerations and nodeSelector; the container only resources and env; env entries take their
    value from a secretKeyRef only; TLS_CERT and TLS_KEY come together.""",
      fix="Remove the fields Triggers does not let you set.",
      bad=tdoc("EventListener", "triggers: [{template: {ref: t}}]\nresources:\n  kubernetesResource:\n"
                                "    replicas: -1"),
      good=tdoc("EventListener", "triggers: [{template: {ref: t}}]\nresources:\n  kubernetesResource:\n"
                                 "    replicas: 2\n    spec:\n      template:\n        spec:\n"
                                 "          serviceAccountName: el\n          containers: [{resources: {}}]"))
def el_resources(u):
    res = d(u.spec.get("resources"))
    kr, cr = res.get("kubernetesResource"), res.get("customResource")
    if kr is not None and cr is not None:
        yield ("resources",), "resources may hold kubernetesResource or customResource, not both"
        return
    if type(kr) is dict:
        if type(kr.get("replicas")) is int and kr["replicas"] < 0:
            yield ("resources", "kubernetesResource", "replicas"), "replicas must not be negative"
        yield from _pod(d(d(d(kr.get("spec")).get("template")).get("spec")),
                        ("resources", "kubernetesResource", "spec", "template", "spec"))
    if type(cr) is dict:
        yield from _pod(d(d(d(cr.get("spec")).get("template")).get("spec")),
                        ("resources", "customResource", "spec", "template", "spec"))


def _pod(pod: dict, path):
    for k in pod:
        if k not in POD_FIELDS:
            yield path + (k,), f"an EventListener pod may not set {k!r}"
    containers = l(pod.get("containers"))
    if len(containers) > 1:
        yield path + ("containers",), "an EventListener pod has at most one container"
    if len(containers) == 1 and type(containers[0]) is dict:
        c, cpath = containers[0], path + ("containers", 0)
        for k in c:
            if k not in CONTAINER_FIELDS:
                yield cpath + (k,), f"an EventListener container may not set {k!r}"
        yield from _env(c, cpath)


def _env(c: dict, cpath):
    tls = []
    for i, e in dicts(c, "env"):
        if "value" in e:
            yield cpath + ("env", i, "value"), "EventListener env takes values from valueFrom.secretKeyRef only"
        for k in d(e.get("valueFrom")):
            if k != "secretKeyRef":
                yield cpath + ("env", i, "valueFrom", k), "EventListener env takes values from secretKeyRef only"
        if e.get("name") in ("TLS_CERT", "TLS_KEY"):
            tls.append(e["name"])
    if len(tls) == 1:
        yield cpath + ("env",), f"TLS_CERT and TLS_KEY go together; only {tls[0]} is set"


TRIGGER_GOOD = tdoc("Trigger", """
interceptors:
  - ref: {name: github}
    params: [{name: eventTypes, value: [push]}]
bindings:
  - ref: push
  - {name: revision, value: $(body.after)}
template: {ref: build}
""")


@rule("trigger-template", "error", ("Trigger", "EventListener"), tekton="triggers:trigger_validation.go", doc="""A
    trigger's template has exactly one of `ref` (non-empty) and `spec`; an explicit
    `template.apiVersion` is v1alpha1 or v1beta1 (v1alpha1 only, in a v1alpha1 object). An
    EventListener trigger with a triggerRef needs no template.""",
      fix="Keep one of template.ref and template.spec.",
      bad=tdoc("Trigger", "template: {ref: build, spec: {resourcetemplates: []}}"), good=TRIGGER_GOOD)
def trigger_template(u):
    allowed = ("v1alpha1",) if u.version == "v1alpha1" else ("v1alpha1", "v1beta1")
    for path, t, in_el in trigger_specs(u):
        tt = t.get("template")
        if tt is None and in_el:
            continue
        tt, tpath = d(tt), path + ("template",)
        api = tt.get("apiVersion")
        if api not in (None, "") and api not in allowed:
            yield tpath + ("apiVersion",), f"template.apiVersion {api!r} must be {' or '.join(allowed)}"
        ref = tt.get("ref", tt.get("name") if u.version == "v1alpha1" else None)
        if tt.get("spec") is not None and ref is not None:
            yield tpath, "template has both spec and ref; keep one"
        elif tt.get("spec") is None and not ref:
            yield tpath, "template needs a ref (a TriggerTemplate's name) or a spec"


@rule("trigger-binding", "error", ("Trigger", "EventListener"),
      tekton="triggers:trigger_validation.go,triggers:trigger_defaults.go", doc="""Each
    of a trigger's bindings either references a TriggerBinding (`ref`, with kind TriggerBinding,
    the default, or ClusterTriggerBinding) or is a param (`name` with a `value`), not both.""",
      fix="Give the ref, or the name and value.",
      bad=tdoc("Trigger", "bindings: [{name: revision}]\ntemplate: {ref: build}"), good=TRIGGER_GOOD)
def trigger_binding(u):
    for path, t, _ in trigger_specs(u):
        for i, b in dicts(t, "bindings"):
            bpath = path + ("bindings", i)
            if s(b.get("ref")):
                if s(b.get("name")):
                    yield bpath, "a binding has a ref or a name, not both"
                elif b.get("kind") not in (None, "", *TB_KINDS):
                    yield bpath + ("kind",), f"binding kind {b.get('kind')!r} must be TriggerBinding or ClusterTriggerBinding"
            elif s(b.get("name")):
                if b.get("value") is None:
                    yield bpath, f"binding {b['name']!r} needs a value"
            else:
                yield bpath, "a binding needs a ref, or a name and a value"


@rule("trigger-interceptor", "error", ("Trigger", "EventListener"), tekton="triggers:trigger_validation.go", doc="""An
    interceptor references an Interceptor or ClusterInterceptor (`ref.name`) or is a `webhook`
    whose objectRef is a v1 Service; webhook header names are canonical (`X-Event-Type`) and
    their values not empty. (v1alpha1 also accepts the deprecated github, gitlab, bitbucket and
    cel forms, one per interceptor.)""", fix="Give ref.name, or a complete webhook.",
      bad=tdoc("Trigger", "interceptors: [{params: [{name: filter, value: 'true'}]}]\ntemplate: {ref: build}"),
      good=TRIGGER_GOOD)
def trigger_interceptor(u):
    old = ("github", "gitlab", "bitbucket", "cel") if u.version == "v1alpha1" else ()
    for path, ic in interceptors(u):
        if ic is None:
            yield path, "an interceptor cannot be empty"
            continue
        forms = [k for k in ("webhook", *old) if ic.get(k) is not None]
        if not forms and not s(d(ic.get("ref")).get("name")):
            yield path, "an interceptor needs ref.name or webhook"
        if len([f for f in forms if f != "cel"]) > 1:
            yield path, f"an interceptor has one of webhook, github, gitlab, bitbucket; found {', '.join(forms)}"
        if type(ic.get("webhook")) is dict:
            yield from _webhook(ic["webhook"], path + ("webhook",))


def _webhook(w: dict, path):
    ref = w.get("objectRef")
    if type(ref) is not dict:
        yield path, "a webhook interceptor needs an objectRef"
    else:
        if ref.get("kind") != "Service":
            yield path + ("objectRef",), "webhook objectRef kind must be Service"
        if ref.get("apiVersion") != "v1":
            yield path + ("objectRef",), "webhook objectRef apiVersion must be v1"
    for i, h in dicts(w, "header"):
        n = h.get("name")
        if type(n) is not str or not n or _canonical(n) != n:
            yield path + ("header", i, "name"), f"header name {n!r} must be canonical, e.g. {_canonical(s(n))!r}"
        if h.get("value") in (None, "", []):
            yield path + ("header", i, "value"), "header value must not be empty"


def _canonical(name: str) -> str:
    """Go's http.CanonicalHeaderKey for names without spaces or odd bytes."""
    if not name or any(not (c.isalnum() or c in "-_.!#$%&'*+^`|~") for c in name):
        return name
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


TB_GOOD = tdoc("TriggerBinding", "params:\n  - {name: revision, value: $(body.after)}\n"
                                 "  - {name: url, value: $(body.repository.clone_url)}")


@rule("triggerbinding-params", "error", TB_KINDS, tekton="triggers:trigger_binding_validation.go", doc="""A
    TriggerBinding or ClusterTriggerBinding spec is not empty, names each param once, and every
    `$(` in a param value is closed.""", fix="Remove the duplicate, or close the `$(...)`.",
      bad=tdoc("TriggerBinding", "params: [{name: revision, value: '$(body.a $(body.b)'}]"), good=TB_GOOD)
def binding_params(u):
    if not u.spec:
        yield (), f"a {u.obj.kind} needs a spec"
        return
    seen = set()
    for i, p in dicts(u.spec, "params"):
        if nm(p) in seen:
            yield ("params", i, "name"), f"param {nm(p)!r} is declared twice"
        seen.add(nm(p))
        v = p.get("value")
        if type(v) is str and not _terminated(v):
            yield ("params", i, "value"), f"value {v!r} has a $( that is never closed"


def _terminated(value: str) -> bool:
    """Every `$(` before the last one is closed (trigger_binding_validation.go validateParamValue)."""
    parts = value.split("$(")
    for e in parts[1:-1]:
        depth = 0
        for ch in e:
            depth += (ch == "(") - (ch == ")")
            if depth < 0:
                break
        else:
            return False
    return True


TT_GOOD = tdoc("TriggerTemplate", """
params: [{name: revision}]
resourcetemplates:
  - apiVersion: tekton.dev/v1
    kind: PipelineRun
    metadata: {generateName: build-}
    spec:
      pipelineRef: {name: build}
      params: [{name: revision, value: $(tt.params.revision)}]
""")


@rule("triggertemplate-resourcetemplates", "error", ("TriggerTemplate", "Trigger", "EventListener"),
      tekton="triggers:trigger_template_validation.go", doc="""A TriggerTemplate (or a trigger's embedded
    template spec) needs resourcetemplates, each with an apiVersion and a kind. In a file a
    kustomization lists as a resource (a base its overlays patch) missing resourcetemplates are a
    warning.""",
      fix="Add the resources the template creates, with apiVersion and kind.",
      bad=tdoc("TriggerTemplate", "params: [{name: revision}]\nresourcetemplates: [{kind: PipelineRun}]"),
      good=TT_GOOD)
def tt_resources(u):
    for path, spec in template_specs(u):
        items = l(spec.get("resourcetemplates"))
        if not items and u.obj.kustomized:  # a kustomize base: its overlays add them
            yield path, "a TriggerTemplate needs resourcetemplates (a kustomize resource: an overlay may add them)", "warning"
        elif not items:
            yield path, "a TriggerTemplate needs resourcetemplates"
        for i, item in enumerate(items):
            for k in ("apiVersion", "kind"):
                if type(item) is dict and not item.get(k):
                    yield path + ("resourcetemplates", i), f"resourcetemplates[{i}] needs a {k}"


def template_specs(u):
    """(path, TriggerTemplate spec): the TriggerTemplate's own, or a trigger's embedded one."""
    if u.kind == "TriggerTemplate":
        yield (), u.spec
        return
    for path, t, _ in trigger_specs(u):
        spec = d(t.get("template")).get("spec")
        if type(spec) is dict:
            yield path + ("template", "spec"), spec


@rule("triggertemplate-param-undeclared", "error", ("TriggerTemplate", "Trigger", "EventListener"),
      tekton="triggers:trigger_template_validation.go", doc="""Every `$(tt.params.<name>)` in a TriggerTemplate's
    resourcetemplates must name one of its declared params.""",
      fix="Declare the param under spec.params, or fix the name.",
      bad=TT_GOOD.replace("tt.params.revision", "tt.params.rev"), good=TT_GOOD)
def tt_param_undeclared(u):
    from plumbing.lint.vars import walk_strings

    for path, spec in template_specs(u):
        declared = {nm(p) for _, p in dicts(spec, "params")}
        for sub, text in walk_strings(spec.get("resourcetemplates"), path + ("resourcetemplates",)):
            for name in TT_PARAM.findall(text) if "tt.params" in text else ():
                if name not in declared:
                    yield sub, f"$(tt.params.{name}) is not a declared param of the template"


@rule("interceptor-client-config", "error", ("Interceptor", "ClusterInterceptor"),
      tekton="triggers:cluster_interceptor_validation.go",
      doc="""An Interceptor's or ClusterInterceptor's clientConfig has a url or a service, not
    both; a service needs a name and a namespace.""", fix="Keep one of url and service; complete the service.",
      bad=tdoc("ClusterInterceptor", "clientConfig:\n  service: {name: my-interceptor}", version="v1alpha1"),
      good=tdoc("ClusterInterceptor", "clientConfig:\n  service: {name: my-interceptor, namespace: tekton-pipelines}",
                version="v1alpha1"))
def interceptor_client(u):
    cc = d(u.spec.get("clientConfig"))
    if cc.get("url") is not None and cc.get("service") is not None:
        yield ("clientConfig",), "clientConfig has url and service; keep one"
    svc = cc.get("service")
    if type(svc) is dict:
        for k in ("namespace", "name"):
            if not svc.get(k):
                yield ("clientConfig", "service"), f"clientConfig.service needs a {k}"
