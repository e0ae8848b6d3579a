"""Tekton `$(...)` references: finding them in strings and parsing the common shapes."""

from __future__ import annotations

import re
from typing import NamedTuple

# `$(` then anything without parentheses or `$` up to `)`: nested shell `$(echo $(params.x))`
# still yields the inner Tekton reference.
VAR = re.compile(r"\$\(([^()$]*)\)")
_INDEX = re.compile(r"^(.*?)\[(\d+|\*)\]$")
_BRACKET = re.compile(r"""^params\[(['"])(.*?)\1\](?:\[(\d+|\*)\])?$""")
# Tekton v1.14+: expressions of this shape in pipeline-task params/when/matrix must use a known
# prefix (PIPELINE-VAR-PREFIX).
PREFIX_SHAPED = re.compile(r"^[_a-zA-Z0-9.-]+(\.[_a-zA-Z0-9.-]+)*(\[([0-9]+|\*)\])?$")


def exprs(text) -> list[str]:
    """The inner text of every `$(...)` in `text` (empty when `text` is not a string)."""
    if type(text) is not str or "$(" not in text:
        return []
    return VAR.findall(text)


class ParamRef(NamedTuple):
    name: str
    key: str | None      # object key: $(params.obj.key)
    index: str | None    # "0".. or "*"
    expr: str            # the text inside $( )
    error: str | None    # a syntax problem Tekton rejects


def param_ref(expr: str) -> ParamRef | None:
    """Parse `params.x`, `params.x[0]`, `params.x[*]`, `params.o.k`, `params['x.y']`."""
    if expr.startswith("params."):
        rest = expr[7:]
        index = None
        m = _INDEX.match(rest)
        if m:
            rest, index = m.group(1), m.group(2)
        parts = rest.split(".")
        if len(parts) > 2:
            return ParamRef(parts[0], parts[1], index, expr,
                            "dot notation allows at most two components after 'params.'; "
                            "reference a name containing dots as $(params['a.b'])")
        return ParamRef(parts[0], parts[1] if len(parts) == 2 else None, index, expr, None)
    if expr.startswith("params["):
        m = _BRACKET.match(expr)
        if not m:
            return ParamRef(expr[7:], None, None, expr, "malformed bracket reference")
        return ParamRef(m.group(2), None, m.group(3), expr, None)
    return None


def param_refs(text) -> list[ParamRef]:
    out = []
    for e in exprs(text):
        r = param_ref(e.strip())
        if r is not None:
            out.append(r)
    return out


# Task references ($(tasks.t.results.r), $(tasks.t.status)) belong to the DAG model: plumbing.dag.


def walk_strings(data, path=()):
    """(path, string) for every string value under `data` (keys are not values)."""
    t = type(data)
    if t is str:
        yield path, data
    elif t is dict:
        for k, v in data.items():
            yield from walk_strings(v, path + (k,))
    elif t is list:
        for i, v in enumerate(data):
            yield from walk_strings(v, path + (i,))


def has_var(data) -> bool:
    """Whether any string under `data` holds `$(` (cheap pre-filter)."""
    t = type(data)
    if t is str:
        return "$(" in data
    if t is dict:
        return any(has_var(v) for v in data.values())
    if t is list:
        return any(has_var(v) for v in data)
    return False
