"""YAML loading that remembers where every value came from.

Errors must name file, line and column, but plain `yaml.safe_load` forgets positions. We
compose nodes with the C loader (when available), construct the data from those nodes, and keep
the node tree so a dotted path such as `images.2` can be mapped back to a line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

try:  # libyaml is much faster; fall back to pure Python when it is missing.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

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
    index[path] = _mark(key_node)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                _index_node(v, path + (k.value,), index, k)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_node(item, path + (i,), index, item)


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.line = line
        self.column = column


def load_all(text: str) -> list[Document]:
    """Every document in `text`, with positions. Raises YamlSyntaxError with line and column."""
    loader = _Loader(text)
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            docs.append(Document(loader.construct_document(node), node))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(exc.problem or str(exc), line, col) from None
    except yaml.YAMLError as exc:  # e.g. reader errors on control characters
        raise YamlSyntaxError(str(exc).splitlines()[0], 1, 1) from None
    finally:
        loader.dispose()
    return docs


def load_one(text: str) -> Document:
    docs = load_all(text)
    if not docs:
        return Document(None, None)
    if len(docs) > 1:
        raise YamlSyntaxError("expected one YAML document, found several", 1, 1)
    return docs[0]
