"""YAML loading that remembers where every value came from.

Errors must name file, line and column, but plain `yaml.safe_load` forgets positions. We
compose nodes with the C loader (when available), construct the data from those nodes, and keep
the node tree so a dotted path such as `images.2` can be mapped back to a line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

try:  # libyaml is much faster; fall back to pure Python when it is missing.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

Path = tuple  # a path into the data: keys (str) and list indexes (int)


@dataclass
class Document:
    data: object
    node: yaml.Node | None
    _index: dict | None = field(default=None, repr=False)

    def position(self, path: Path) -> tuple[int, int]:
        """1-based (line, column) of the deepest node along `path` that exists.

        For a mapping entry this is the key's position, which is where a reader looks for the
        field; a missing field points at its parent.
        """
        if self.node is None:
            return (1, 1)
        if self._index is None:
            self._index = {}
            _index_node(self.node, (), self._index, self.node)
        for end in range(len(path), -1, -1):
            hit = self._index.get(tuple(path[:end]))
            if hit is not None:
                return hit
        return (1, 1)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _index_node(node, path, index, key_node):
    """Map every path under `node` to its position, in document order. Iterative, so deep
    nesting cannot exhaust the stack; an alias is indexed again under its own path (it points at
    the anchor's text), except inside itself (`&a [*a]`) or past _INDEX_LIMIT entries."""
    stack = [(node, path, key_node, None)]
    while stack and len(index) < _INDEX_LIMIT:
        node, path, key_node, parents = stack.pop()
        if path not in index:
            index[path] = _mark(key_node)
        if not isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            continue
        chain = parents
        while chain is not None:  # on its own ancestor chain: a recursive alias
            if chain[0] is node:
                break
            chain = chain[1]
        if chain is not None:
            continue
        link = (node, parents)
        if isinstance(node, yaml.MappingNode):
            items = [(v, path + (k.value,), k, link) for k, v in node.value
                     if isinstance(k, yaml.ScalarNode)]
        else:
            items = [(item, path + (i,), item, link) for i, item in enumerate(node.value)]
        stack.extend(reversed(items))


_INDEX_LIMIT = 500_000


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.line = line
        self.column = column


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _Loader(_BaseLoader):
    """The C loader with a faster implicit-tag resolver. libyaml calls `resolve` from C for every
    node; PyYAML's version walks path resolvers and regex lists even for the common cases. This
    one answers those directly (quoted scalars and plain scalars whose first character no implicit
    resolver starts with are strings; collections get the default tags) and memoises the rest.
    With no path resolvers registered (as for SafeLoader) the answers are identical."""

    _memo: dict = {}

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            if value and value[0] not in _RESOLVER_FIRST:
                return _STR
            tag = self._memo.get(value)
            if tag is None:
                tag = _BaseLoader.resolve(self, kind, value, implicit)
                if len(value) < 64:
                    self._memo[value] = tag
            return tag
        if kind is yaml.MappingNode:
            return _MAP
        if kind is yaml.SequenceNode:
            return _SEQ
        return _BaseLoader.resolve(self, kind, value, implicit)

    def descend_resolver(self, current_node, current_index):
        pass  # only path resolvers need the path; there are none

    def ascend_resolver(self):
        pass


# first characters some implicit resolver (bool, int, float, null, timestamp, merge, value) claims
_RESOLVER_FIRST = frozenset(k for k in _BaseLoader.yaml_implicit_resolvers if k)
if getattr(_BaseLoader, "yaml_path_resolvers", None):  # pragma: no cover - not for SafeLoader
    _Loader.resolve = _BaseLoader.resolve  # type: ignore[method-assign]
    _Loader.descend_resolver = _BaseLoader.descend_resolver  # type: ignore[method-assign]
    _Loader.ascend_resolver = _BaseLoader.ascend_resolver  # type: ignore[method-assign]


_C = yaml.constructor.SafeConstructor()
_SIMPLE = {"tag:yaml.org,2002:null": lambda n: None,
           "tag:yaml.org,2002:bool": _C.construct_yaml_bool,
           "tag:yaml.org,2002:int": _C.construct_yaml_int,
           "tag:yaml.org,2002:float": _C.construct_yaml_float,
           }


class _Slow(Exception):
    pass


_EXPANSION_LIMIT = 2_000_000  # nodes after alias expansion ("billion laughs" guard)


def _fast(node, memo, active, budget):
    """Data for `node`, equal to what SafeLoader builds, for the common tags; _Slow otherwise.
    `budget` = [nodes left, sizes memo]: only aliases spend it (by the size of what they repeat),
    so a plain document pays nothing for the "billion laughs" guard."""
    t = type(node)
    tag = node.tag
    if t is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        f = _SIMPLE.get(tag)
        if f is None:
            raise _Slow
        return f(node)
    key = id(node)
    got = memo.get(key)
    if got is not None:
        if key in active:  # an alias to a collection that contains it
            raise YamlSyntaxError("recursive alias: the document contains itself", *_mark(node))
        budget[0] -= _size(node, budget[1])
        if budget[0] < 0:
            raise YamlSyntaxError("aliases expand to too many nodes", *_mark(node))
        return got
    if t is yaml.MappingNode and tag == _MAP:
        out = memo[key] = {}
        active.add(key)
        for k, v in node.value:
            if type(k) is not yaml.ScalarNode or k.tag != _STR:
                raise _Slow  # merge keys, non-string keys: let PyYAML do it
            out[k.value] = _fast(v, memo, active, budget)
    elif t is yaml.SequenceNode and tag == _SEQ:
        out = memo[key] = []
        active.add(key)
        for x in node.value:  # a loop, not a comprehension: one stack frame per level
            out.append(_fast(x, memo, active, budget))
    else:
        raise _Slow
    active.discard(key)
    return out


def _size(node, sizes) -> int:
    """Nodes under `node` once aliases are expanded (memoised; called only for aliases)."""
    key = id(node)
    got = sizes.get(key)
    if got is not None:
        return got
    if type(node) is yaml.MappingNode:
        n = 1 + sum(_size(v, sizes) for _, v in node.value)
    elif type(node) is yaml.SequenceNode:
        n = 1 + sum(_size(v, sizes) for v in node.value)
    else:
        n = 1
    sizes[key] = n
    return n


def construct(node, loader=None):
    """The Python data of a composed node (what yaml.safe_load would return)."""
    if node is None:
        return None
    try:
        return _fast(node, {}, set(), [_EXPANSION_LIMIT, {}])
    except _Slow:
        pass
    except RecursionError:
        raise YamlSyntaxError("document nested too deeply", *_mark(node)) from None
    own = loader is None
    loader = loader or _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(exc.problem or str(exc), line, col) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise YamlSyntaxError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                              *_mark(node)) from None
    finally:
        if own:
            loader.dispose()


def compose_all(text: str) -> list:
    """The node of every document in `text` (None for an empty one), without building data:
    callers that skip most documents construct only the ones they need (`construct`)."""
    loader = _Loader(text)
    nodes = []
    try:
        while loader.check_node():
            nodes.append(loader.get_node())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(exc.problem or str(exc), line, col) from None
    except yaml.YAMLError as exc:  # e.g. reader errors on control characters
        raise YamlSyntaxError(str(exc).splitlines()[0], 1, 1) from None
    except RecursionError:
        raise YamlSyntaxError("document nested too deeply", 1, 1) from None
    finally:
        loader.dispose()
    return nodes


def load_all(text: str) -> list[Document]:
    """Every document in `text`, with positions. Raises YamlSyntaxError with line and column."""
    return [Document(construct(node), node) for node in compose_all(text)]


def load_one(text: str) -> Document:
    docs = load_all(text)
    if not docs:
        return Document(None, None)
    if len(docs) > 1:
        raise YamlSyntaxError("expected one YAML document, found several", 1, 1)
    return docs[0]
