"""Rewriting `devel` version labels to the release tag.

Projects keep `version: "devel"` style labels in their config so that only a release names a
version. Tekton's own publish task does this with three sed expressions; we rewrite the same
forms line by line (keeping the file byte-for-byte otherwise), then parse the result and fail
if any label, annotation or `version` value still says devel, so no release ships one.
"""

from __future__ import annotations

import re

import yaml

# `<key>: devel` where key is `version`, `release`, or a qualified key ending in /version or
# /release (pipeline.tekton.dev/release, app.kubernetes.io/version, ...), in any quoting.
_DEVEL_LINE = re.compile(
    r"""^(?P<lead>\s*(?:-\s+)?)(?P<kq>["']?)(?P<key>(?:[A-Za-z0-9.-]+/)?(?:version|release))(?P=kq)"""
    r"""(?P<sep>\s*:\s*)(?P<q>["']?)devel(?P=q)(?P<tail>\s*(?:\#.*)?)$""",
    re.MULTILINE,
)


def rewrite_devel(text: str, version: str) -> tuple[str, int]:
    """Return the text with every devel version label set to `version`, and how many changed."""
    quoted = '"' + version.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _DEVEL_LINE.subn(lambda m: f"{m['lead']}{m['kq']}{m['key']}{m['kq']}{m['sep']}{quoted}{m['tail']}", text)


def remaining_devel(text: str) -> list[str]:
    """Dotted paths whose key is a version/release key and whose value is still devel."""
    out: list[str] = []
    try:
        docs = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError as exc:
        return [f"(the file no longer parses: {exc})"]

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                key = str(k)
                if v == "devel" and (key in ("version", "release") or key.endswith(("/version", "/release"))):
                    out.append(".".join(path + [key]))
                walk(v, path + [key])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [str(i)])

    for i, doc in enumerate(docs):
        walk(doc, [f"doc{i}"])
    return out
