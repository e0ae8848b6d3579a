"""CEL expressions: Tekton Triggers' CEL interceptor (`filter`, `overlays[].expression`) and
`when[].cel` in Pipelines and Tasks, parsed with the common-expression-language library (loaded
only when a document holds a CEL expression) and checked for variables that cannot exist there."""

from __future__ import annotations

import re

from plumbing.lint.model import d, dicts
from plumbing.lint.registry import rule
from plumbing.lint.rules.params import pipeline
from plumbing.lint.rules.triggers import interceptors, tdoc

# What the Triggers CEL interceptor declares (pkg/interceptors/cel): the event and what earlier
# interceptors added.
TRIGGERS_VARS = frozenset({"body", "header", "requestURL", "extensions"})
# Tekton compiles when[].cel in an empty cel.NewEnv() (pkg/apis/pipeline/v1/when_validation.go):
# no variables at all. `$(params.x)` and `$(tasks.t.results.r)` are substituted as text before
# evaluation, so they must sit inside a string literal: '$(params.x)' == 'full'.
WHEN_VARS = frozenset()

_ERROR = re.compile(r"<input>:(\d+):(\d+): (.*)")
# variables a macro binds: list.all(x, ...), .exists, .exists_one, .map, .filter
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")

def _cel():
    from plumbing.cel_engine import load

    return load()


def check(expr: str, allowed: frozenset):
    """(line, column, message) for a syntax error, else for each free variable not in `allowed`
    (line and column of the variable's first use, 1-based, inside `expr`)."""
    try:
        program = _cel().compile(expr)
    except (ValueError, RuntimeError) as exc:
        m = _ERROR.search(str(exc))
        if m:
            return [(int(m.group(1)), int(m.group(2)), "CEL syntax error: " + m.group(3).strip())]
        return [(1, 1, "CEL syntax error: " + (str(exc).splitlines() or [""])[0])]
    except BaseException as exc:  # a Rust panic (pyo3 PanicException) on pathological input
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        return [(1, 1, f"CEL syntax error: the parser gave up on this expression ({type(exc).__name__})")]
    bound = set(_BOUND.findall(expr))
    out = []
    for name in program.variables():
        if name in allowed or name in bound:
            continue
        m = re.search(rf"(?<![\w.'\"]){re.escape(name)}\b", expr)
        if m and re.match(r"\s*\.\s*\w+\s*\(", expr[m.end():]):
            continue  # a namespaced function (base64.decode(...)), not a variable
        line = expr.count("\n", 0, m.start()) + 1 if m else 1
        col = m.start() - (expr.rfind("\n", 0, m.start()) + 1) + 1 if m else 1
        out.append((line, col, name))
    return out


def expressions(u):
    """(path, expression, allowed variables) for every CEL expression in the unit."""
    if u.kind == "Pipeline":
        for sec in ("tasks", "finally"):
            for i, t in dicts(u.spec, sec):
                yield from _when(t, (sec, i))
    elif u.kind == "Task":
        for i, st in dicts(u.spec, "steps"):
            yield from _when(st, ("steps", i))
    else:
        for path, ic in interceptors(u):
            yield from _interceptor(ic or {}, path)


def _when(holder, path):
    for j, w in dicts(holder, "when"):
        if type(w.get("cel")) is str:
            yield path + ("when", j, "cel"), w["cel"], WHEN_VARS


def _interceptor(ic: dict, path):
    ref = d(ic.get("ref"))
    if ref.get("name") == "cel" and ref.get("kind") in (None, "", "ClusterInterceptor"):
        for j, p in dicts(ic, "params"):
            v = p.get("value")
            if p.get("name") == "filter" and type(v) is str:
                yield path + ("params", j, "value"), v, TRIGGERS_VARS
            elif p.get("name") == "overlays":
                for k, o in dicts(p, "value"):
                    if type(o.get("expression")) is str:
                        yield path + ("params", j, "value", k, "expression"), o["expression"], TRIGGERS_VARS
    old = ic.get("cel")  # v1alpha1's deprecated inline form
    if type(old) is dict:
        if type(old.get("filter")) is str:
            yield path + ("cel", "filter"), old["filter"], TRIGGERS_VARS
        for k, o in dicts(old, "overlays"):
            if type(o.get("expression")) is str:
                yield path + ("cel", "overlays", k, "expression"), o["expression"], TRIGGERS_VARS


def _findings(u):
    return u.cached("cel", lambda u: [(path, expr, hit) for path, expr, allowed in expressions(u)
                                      for hit in check(expr, allowed)])


KINDS = ("Pipeline", "Task", "Trigger", "EventListener")
CEL_TRIGGER = """
interceptors:
  - ref: {name: cel}
    params:
      - name: filter
        value: %s
      - name: overlays
        value: [{key: short_sha, expression: "body.after.truncate(7)"}]
template: {ref: build}
"""


@rule("cel-syntax", "error", KINDS, tekton="WHEN-CEL", doc="""A CEL expression must parse: the
    Triggers CEL interceptor's `filter` and `overlays[].expression`, and `when[].cel` in Pipelines
    and Tasks. The finding points at the line and column where the parser stopped. In
    `when[].cel`, Tekton's `$(...)` variables must be quoted (`'$(params.mode)' == 'full'`):
    Tekton compiles the expression before it substitutes them.""",
      fix="Fix the expression; quote Tekton variables in when[].cel.",
      bad=tdoc("Trigger", CEL_TRIGGER % "\"body.action == 'opened' &&\""),
      good=tdoc("Trigger", CEL_TRIGGER % "\"body.action in ['opened', 'synchronize']\""))
def cel_syntax(u):
    for path, expr, (line, col, msg) in _findings(u):
        if msg.startswith("CEL syntax error"):
            yield path, msg, None, position(u, path, expr, line, col)


@rule("cel-variable-unknown", "error", KINDS, tekton="WHEN-CEL", doc="""A CEL expression may only use
    the variables that exist where it runs: body, header, requestURL and extensions in a Triggers
    CEL interceptor; none in `when[].cel`, which Tekton compiles with no variables declared (pass
    values as quoted `$(params.x)` or `$(tasks.t.results.r)`, substituted before evaluation).
    Variables bound by macros (`all`, `exists`, `exists_one`, `map`, `filter`) are allowed.""",
      fix="Use one of the variables listed, or a quoted Tekton variable in when[].cel.",
      bad=pipeline("params: [{name: mode}]\ntasks:\n  - name: a\n    taskRef: {name: t}\n"
                   "    when: [{cel: \"params.mode == 'full'\"}]"),
      good=pipeline("params: [{name: mode}]\ntasks:\n  - name: a\n    taskRef: {name: t}\n"
                    "    when: [{cel: \"'$(params.mode)' == 'full' && ['a', 'b'].all(x, x != '')\"}]"))
def cel_variable(u):
    for path, expr, (line, col, msg) in _findings(u):
        if not msg.startswith("CEL syntax error"):
            where = "a Triggers CEL interceptor" if u.kind in ("Trigger", "EventListener") else "when[].cel"
            known = ", ".join(sorted(TRIGGERS_VARS)) if u.kind in ("Trigger", "EventListener") else "none"
            yield path, f"CEL variable {msg!r} does not exist in {where} (variables: {known})", None, \
                position(u, path, expr, line, col)


# --- positions inside the YAML string ---------------------------------------------------------

def position(u, path, expr: str, line: int, col: int):
    """(line, column) in the file of character (line, col) of `expr`, the string at `path`; None
    (the engine then points at the field) when the source does not hold the string verbatim."""
    obj = u.obj
    node = _node(obj.doc.node, obj.base + u.path + tuple(path))
    if node is None or not obj.text or getattr(node, "value", None) != expr:
        return None
    chars = _source_chars(obj.text, node)
    if chars is None:
        return None
    lines = expr.split("\n")
    k = sum(len(x) + 1 for x in lines[:line - 1]) + col - 1
    if not chars:
        return None
    if k >= len(expr):  # at the end of the expression (an unexpected end): just after it
        last_line, last_col = chars[len(expr) - 1]
        return last_line, last_col + 1
    return chars[k]


def _node(node, path):
    import yaml

    for key in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and type(key) is int and key < len(node.value):
            node = node.value[key]
        else:
            return None
        if node is None:
            return None
    return node if isinstance(node, yaml.ScalarNode) else None


def _source_chars(text: str, node):
    """The 1-based (line, column) of each character of the scalar's value, rebuilt from its
    source lines (plain, quoted without escapes, literal and folded blocks); None when the
    rebuilt text differs from the value (escapes, comments, more-indented folded lines)."""
    src = text.splitlines()
    first, last = node.start_mark.line, node.end_mark.line
    style = node.style
    if style in ("|", ">"):
        rows = [(n, src[n]) for n in range(first + 1, min(last + 1, len(src)))]
        # the block's indentation is its first non-empty line's; it ends at a line indented less
        indent = next((len(t) - len(t.lstrip(" ")) for _, t in rows if t.strip()), 0)
        end = next((i for i, (_, t) in enumerate(rows) if t.strip() and len(t) - len(t.lstrip(" ")) < indent),
                   len(rows))
        rows = [(n, indent, t[indent:]) for n, t in rows[:end]]
    else:
        quote = 1 if style in ("'", '"') else 0
        start = node.start_mark.column + quote
        rows = [(first, start, src[first][start:])]
        rows += [(n, len(src[n]) - len(src[n].lstrip()), src[n].lstrip()) for n in range(first + 1, last + 1)]
    joiner = "\n" if style == "|" else " "
    chars, rebuilt = [], []
    for i, (n, offset, t) in enumerate(rows):
        if i:
            chars.append(chars[-1] if chars else (n + 1, offset + 1))
            rebuilt.append(joiner)
        chars.extend((n + 1, offset + c + 1) for c in range(len(t)))
        rebuilt.append(t)
    value = node.value
    joined = "".join(rebuilt)
    return chars if joined[:len(value)] == value else None

