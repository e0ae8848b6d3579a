"""The rule registry: each rule is a small check generator with an id, a severity, a one-paragraph
doc, a remediation, the kinds of unit it looks at and two fixtures (a failing and a passing
document). The engine adds the id, severity, file and line:col to what a check yields."""

from __future__ import annotations

import textwrap

# Unit kinds a rule can ask for. "Task" and "Pipeline" units are also made for embedded specs
# (tasks[].taskSpec, spec.taskSpec, spec.pipelineSpec); "Object" is the whole document.
# Triggers objects are a "Triggers" unit (the whole document) and one of their own kind (spec).
UNIT_KINDS = ("Object", "Task", "Pipeline", "TaskRun", "PipelineRun", "StepAction", "Triggers",
              "EventListener", "Trigger", "TriggerBinding", "ClusterTriggerBinding", "TriggerTemplate",
              "Interceptor", "ClusterInterceptor")


class Rule:
    """One rule. `bad` and `good` are the fixtures: a document the rule reports, one it accepts."""

    __slots__ = ("id", "severity", "kinds", "_doc", "_fix", "check", "tekton", "_stricter",
                 "_bad", "_good", "area", "cross", "versions")

    def __init__(self, id, severity, kinds, doc, fix, check, tekton="", stricter="", bad="",
                 good="", area="", cross=False, versions=()):
        self.id, self.severity, self.kinds, self.check = id, severity, tuple(kinds), check
        self._doc, self._fix, self._stricter = doc, fix, stricter
        self._bad, self._good = bad, good
        self.tekton, self.area, self.cross, self.versions = tekton, area, cross, tuple(versions)

    # text is normalised on first use: registering ~100 rules stays cheap for every lint run
    doc = property(lambda self: " ".join(self._doc.split()))
    fix = property(lambda self: " ".join(self._fix.split()))
    stricter = property(lambda self: " ".join(self._stricter.split()))
    bad = property(lambda self: textwrap.dedent(self._bad).strip() + "\n")
    good = property(lambda self: textwrap.dedent(self._good).strip() + "\n")

    def replace(self, **changes) -> Rule:
        values = {k.lstrip("_"): getattr(self, k) for k in self.__slots__}
        values.update(changes)
        return Rule(**values)


RULES: dict[str, Rule] = {}


def rule(id: str, severity: str, kinds, *, doc: str, fix: str, tekton: str = "",
         stricter: str = "", bad: str = "", good: str = "", cross: bool = False,
         versions=()):
    """Register the decorated check generator as a rule."""
    if isinstance(kinds, str):
        kinds = (kinds,)

    def deco(fn):
        if id in RULES:
            raise ValueError(f"duplicate rule id {id}")
        area = fn.__module__.rsplit(".", 1)[-1]
        RULES[id] = Rule(id, severity, kinds, doc, fix, fn, tekton, stricter, bad, good, area,
                         cross, versions)
        return fn

    return deco


_loaded = False


def all_rules() -> dict[str, Rule]:
    global _loaded
    if not _loaded:
        from plumbing.lint.rules import load  # noqa: PLC0415 - registers every rule module

        load()
        _loaded = True
    return RULES
