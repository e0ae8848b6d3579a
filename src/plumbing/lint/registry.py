"""The rule registry: each rule is a small check generator with an id, a severity, a one-paragraph
doc, a remediation, the kinds of unit it looks at and two fixtures (a failing and a passing
document). The engine adds the id, severity, file and line:col to what a check yields."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Callable, Iterable

# Unit kinds a rule can ask for. "Task" and "Pipeline" units are also made for embedded specs
# (tasks[].taskSpec, spec.taskSpec, spec.pipelineSpec); "Object" is the whole document.
UNIT_KINDS = ("Object", "Task", "Pipeline", "TaskRun", "PipelineRun", "StepAction")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    kinds: tuple[str, ...]
    doc: str
    fix: str
    check: Callable[..., Iterable[tuple]]
    tekton: str = ""          # reference-table ids this rule implements ("" = our own rule)
    stricter: str = ""        # where the rule is stricter than Tekton
    bad: str = ""             # a document the rule reports
    good: str = ""            # a document the rule accepts
    area: str = ""
    cross: bool = False       # needs the whole linted set (cross-document)
    versions: tuple[str, ...] = ()  # empty = all API versions


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
        RULES[id] = Rule(id, severity, tuple(kinds), " ".join(doc.split()), " ".join(fix.split()),
                         fn, tekton, " ".join(stricter.split()), textwrap.dedent(bad).strip() + "\n",
                         textwrap.dedent(good).strip() + "\n", area, cross, tuple(versions))
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
