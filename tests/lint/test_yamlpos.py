"""yamlpos's fast path (own resolver shortcuts and constructor) builds exactly what PyYAML's safe
loader builds, and positions survive deep nesting and aliases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from plumbing.yamlpos import YamlSyntaxError, load_all, load_one

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()

TRICKY = [
    "a: yes\nb: No\nc: ~\nd: 0x1F\ne: 1_000\nf: .5\ng: -.inf\nh: 2001-12-14\ni: '123'\nj: 0o17\n",
    "k: !!str 12\nl: !!int '7'\nm: [on, off, Y, n]\nn: {<<: {x: 1}, y: 2}\no: &a [1]\np: *a\n",
    "? [a]\n: b\n",
    "empty:\nnull_key: null\n'': empty key\n=: value\n",
    "- !!binary aGVsbG8=\n- !!set {a, b}\n- !!omap [a: 1]\n",
    "x: 12:30:00\ny: 1e3\nz: +12\nw: 0b101\nv: 190:20:30\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_same_data_as_safe_loader(text):
    try:
        expected = list(yaml.load_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        with pytest.raises(YamlSyntaxError):
            load_all(text)
        return
    assert [d.data for d in load_all(text)] == expected


def test_same_data_on_the_catalog():
    catalog = SHARED / "corpus" / "catalog"
    if not catalog.is_dir():
        pytest.skip(f"{catalog} (the shared corpus) is not beside the repository")
    checked = 0
    for path in sorted(catalog.rglob("*.yaml"))[::3]:
        text = path.read_text(encoding="utf-8")
        try:
            expected = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            continue
        assert [d.data for d in load_all(text)] == expected, path
        checked += 1
    assert checked > 150


def test_positions_with_aliases_and_depth():
    doc = load_one("a: &x\n  b: [1, 2]\nc: *x\nd:\n  - e: 1\n")
    assert doc.position(("a", "b", 1)) == (2, 10)
    assert doc.position(("c",)) == (3, 1)
    assert doc.position(("d", 0, "e")) == (5, 5)
    assert doc.position(("d", 0, "missing", "deeper")) == (5, 5)
    deep = load_all("a: " + "[" * 500 + "]" * 500 + "\n")[0]
    path = ("a",) + (0,) * 498
    assert deep.position(path) == (1, 502)


def test_alias_bombs_and_recursion_are_syntax_errors():
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = chr(ord("a") + i - 1)
        levels.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [" + ", ".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(YamlSyntaxError, match="too many"):
        load_all("\n".join(levels) + "\n")
    with pytest.raises(YamlSyntaxError, match="recursive"):
        load_all("a: &a [*a]\n")
