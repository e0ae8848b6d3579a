"""Swappable reporters: text (one finding a line, then a summary), json, github annotations."""

from __future__ import annotations

import json


def summary(result) -> str:
    return (f"{result.files} files, {result.documents} documents ({result.skipped} skipped): "
            f"{result.count('error')} errors, {result.count('warning')} warnings"
            + (f", {result.count('info')} info" if result.count("info") else ""))


def text(result, out) -> None:
    out.write("".join(f.format() + "\n" for f in result.findings))
    out.write(summary(result) + "\n")


def as_json(result, out) -> None:
    json.dump([f.as_dict() for f in result.findings], out, indent=1)
    out.write("\n")


def _gh_escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def github(result, out) -> None:
    level = {"error": "error", "warning": "warning", "info": "notice"}
    for f in result.findings:
        # A finding about the whole file (line 0) is annotated on the file, not on a made-up line.
        where = f",line={f.line},col={f.column}" if f.line else ""
        out.write(f"::{level[f.severity]} file={_gh_escape(f.path, True)}{where},"
                  f"title={_gh_escape(f.rule, True)}::{_gh_escape(f.message)}\n")
    out.write(summary(result) + "\n")


REPORTERS = {"text": text, "json": as_json, "github": github}
