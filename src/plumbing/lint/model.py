"""What rules look at: Tekton documents split into units (a Task spec, a Pipeline spec, a run, a
StepAction), embedded specs included, plus small helpers that never raise on odd input."""

from __future__ import annotations

from dataclasses import dataclass, field

TEKTON_GROUP = "tekton.dev/"
# kinds we lint; other tekton.dev kinds (CustomRun, ResolutionRequest, ...) are skipped
LINTED_KINDS = frozenset({"Task", "Pipeline", "TaskRun", "PipelineRun", "StepAction",
                          "ClusterTask", "Condition", "PipelineResource"})
TRIGGERS_GROUP = "triggers.tekton.dev/"
TRIGGERS_KINDS = frozenset({"EventListener", "Trigger", "TriggerBinding", "ClusterTriggerBinding",
                            "TriggerTemplate", "Interceptor", "ClusterInterceptor"})
# kinds that can only be Tekton's: a document of one of them without apiVersion is a mistake
TEKTON_KINDS = LINTED_KINDS | TRIGGERS_KINDS | {"CustomRun"}


def d(x) -> dict:
    """`x` if it is a mapping, else an empty one."""
    return x if type(x) is dict else {}


def l(x) -> list:  # noqa: E743
    """`x` if it is a list, else an empty one."""
    return x if type(x) is list else []


def s(x) -> str:
    """`x` if it is a string, else ''."""
    return x if type(x) is str else ""


def nm(m):
    """m["name"] when it is a string, else None (names go into sets and messages)."""
    v = m.get("name") if type(m) is dict else None
    return v if type(v) is str else None


def repeated(pairs, *, fold=None, empty=True):
    """(key, name) for each item whose name repeats an earlier item's. `pairs` are (key, mapping)
    as dicts() gives them; `fold` compares names case-insensitively where Tekton does; unnamed
    items are skipped, and so are empty names unless `empty`."""
    seen = set()
    for key, item in pairs:
        n = nm(item)
        if n is None or (not n and not empty):
            continue
        k = fold(n) if fold else n
        if k in seen:
            yield key, n
        seen.add(k)


def sv(m, key):
    """m[key] when it is a string, else None."""
    v = m.get(key) if type(m) is dict else None
    return v if type(v) is str else None


def dicts(parent, key) -> list:
    """(index, item) for each mapping in the list parent[key]. Not memoised: building the list
    costs no more than a cache lookup would, and a cache would be state shared between runs."""
    items = parent.get(key) if type(parent) is dict else None
    if type(items) is not list:
        return []
    return [(i, item) for i, item in enumerate(items) if type(item) is dict]


def value_shape(v) -> str:
    """How Tekton's ParamValue decodes a value: array, object, else string."""
    if type(v) is list:
        return "array"
    if type(v) is dict:
        return "object"
    return "string"


def param_type(p: dict) -> str:
    """The declared type after Tekton's defaulting (PARAM-TYPE-INFERENCE)."""
    t = p.get("type")
    if t is None or t == "":
        if p.get("properties") is not None:
            return "object"
        if "default" not in p or p.get("default") is None:
            return "string"
        return value_shape(p["default"])
    return t if type(t) is str else str(t)


def declared_params(spec) -> dict[str, dict]:
    """name -> param mapping (first one wins)."""
    out = {}
    for _, p in dicts(spec, "params"):
        n = p.get("name")
        if type(n) is str and n not in out:
            out[n] = p
    return out


@dataclass
class Obj:
    """One Tekton document."""
    display: str
    doc: object               # yamlpos.Document
    data: dict
    kind: str
    api_version: str
    index: int                # document number in its file, from 0
    base: tuple = ()          # where the object sits in the document (TriggerTemplate items)
    text: str = field(default="", repr=False)  # the file's text (exact positions inside strings)
    kustomized: bool = False  # listed as a kustomization's resource (an overlay may add to it)

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def name(self) -> str:
        return s(d(self.data.get("metadata")).get("name"))


@dataclass
class Unit:
    """What a rule checks: a spec of one kind, at `path` inside the document."""
    kind: str
    spec: dict
    path: tuple
    obj: Obj
    embedded: bool = False
    # param name -> type propagated from outside (pipeline params into an embedded taskSpec,
    # run params into an inline spec); None for a standalone spec
    outer: dict | None = None
    lintset: LintSet | None = None
    _params: dict | None = field(default=None, repr=False)
    memo: dict = field(default_factory=dict, repr=False)  # results shared between rules

    def cached(self, key, fn):
        """fn(self), computed once per unit (several rules walk the same references)."""
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = fn(self)
            return value

    @property
    def version(self) -> str:
        return self.obj.version

    def params(self) -> dict[str, dict]:
        if self._params is None:
            self._params = declared_params(self.spec)
        return self._params

    def param_types(self) -> dict[str, str]:
        """Every param usable here: declared plus propagated, name -> inferred type."""
        out = dict(self.outer or {})
        for n, p in self.params().items():
            out[n] = param_type(p)
        return out


@dataclass
class LintSet:
    """Everything linted in one run, for cross-document rules."""
    objs: list = field(default_factory=list)
    flags: dict | None = None   # the Tekton feature flags linted with (None: the cluster's)
    _by_kind: dict | None = None

    def _index(self) -> dict:
        if self._by_kind is None:
            self._by_kind = {}
            for o in self.objs:
                if o.name:
                    self._by_kind.setdefault((o.kind, o.name), []).append(o)
        return self._by_kind

    def has(self, kind: str, name) -> bool:
        """Whether the set holds an object of that kind and name."""
        return type(name) is str and (kind, name) in self._index()

    def named(self, kind: str, name, near: str | None = None) -> Obj | None:
        """The object of that kind and name: the one in file `near` if there is exactly one
        there, else the only one in the set; None when absent or ambiguous."""
        found = self._index().get((kind, name)) if type(name) is str else None
        if not found:
            return None
        if len(found) > 1 and near is not None:
            found = [o for o in found if o.display == near]
        return found[0] if len(found) == 1 else None


def units(obj: Obj, lintset: LintSet | None = None) -> list[Unit]:
    """The document itself ("Object") and every spec inside it that rules check. A Triggers
    object is a "Triggers" unit (the document) and one of its kind (its spec)."""
    if obj.api_version.startswith(TRIGGERS_GROUP):
        spec = obj.data.get("spec")
        return [Unit("Triggers", obj.data, (), obj, lintset=lintset),
                Unit(obj.kind, spec if type(spec) is dict else {}, ("spec",), obj, lintset=lintset)]
    out = [Unit("Object", obj.data, (), obj, lintset=lintset)]
    spec = obj.data.get("spec")
    if type(spec) is not dict:
        return out
    kind = obj.kind
    if kind in ("Task", "ClusterTask"):
        out.append(Unit("Task", spec, ("spec",), obj, lintset=lintset))
    elif kind == "Pipeline":
        _pipeline_units(out, spec, ("spec",), obj, None, lintset)
    elif kind == "TaskRun":
        out.append(Unit("TaskRun", spec, ("spec",), obj, lintset=lintset))
        ts = spec.get("taskSpec")
        if type(ts) is dict:
            outer = {n: value_shape(p.get("value")) for n, p in declared_params(spec).items()}
            out.append(Unit("Task", ts, ("spec", "taskSpec"), obj, True, outer, lintset))
    elif kind == "PipelineRun":
        out.append(Unit("PipelineRun", spec, ("spec",), obj, lintset=lintset))
        ps = spec.get("pipelineSpec")
        if type(ps) is dict:
            outer = {n: value_shape(p.get("value")) for n, p in declared_params(spec).items()}
            _pipeline_units(out, ps, ("spec", "pipelineSpec"), obj, outer, lintset)
    elif kind == "StepAction":
        out.append(Unit("StepAction", spec, ("spec",), obj, lintset=lintset))
    return out


def is_custom_spec(ts: dict) -> bool:
    k = ts.get("kind")
    return (k not in (None, "", "Task")) or (ts.get("apiVersion") not in (None, "") and not ts.get("steps"))


def passed_params(t: dict) -> dict[str, str]:
    """name -> type of the params a pipeline task passes, matrix params included (each matrix
    combination passes one string): Tekton adds them to an embedded taskSpec's params before
    validating it (appendPipelineTaskParams)."""
    out = {n: value_shape(p.get("value")) for n, p in declared_params(t).items()}
    m = t.get("matrix")
    if type(m) is dict:
        for _, p in dicts(m, "params"):
            if type(p.get("name")) is str:
                out.setdefault(p["name"], "string")
        for _, inc in dicts(m, "include"):
            for _, p in dicts(inc, "params"):
                if type(p.get("name")) is str:
                    out.setdefault(p["name"], "string")
    return out


def _pipeline_units(out, spec, path, obj, outer, lintset):
    u = Unit("Pipeline", spec, path, obj, bool(outer is not None), outer, lintset)
    out.append(u)
    ptypes = u.param_types()
    for section in ("tasks", "finally"):
        for i, t in dicts(spec, section):
            ts = t.get("taskSpec")
            if type(ts) is dict and not is_custom_spec(ts):
                # pipeline params are substituted first, so their types win over the task's
                out.append(Unit("Task", ts, path + (section, i, "taskSpec"), obj, True,
                                {**passed_params(t), **ptypes}, lintset))
