"""One finding and one error type for the whole package.

Every check (config schemas, templates, lint rules) reports `Finding`s, printed as
`path:line:col: severity rule-id message`. User mistakes raise `PlumbingError`, which the CLI
turns into one line on stderr and an exit code: 2 for usage or config, 1 for a failed check.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SEVERITIES = ("error", "warning", "info")


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str, limit: int = 400) -> str:
    """`text` as one printable line: control characters escaped, very long text cut."""
    text = _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], str(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    column: int
    severity: str
    rule: str
    message: str

    @classmethod
    def unplaced(cls, path: str, rule: str, message: str, severity: str = "error") -> Finding:
        """A finding about a whole file, with no line to point at (line and column 0)."""
        return cls(path, 0, 0, severity, rule, message)

    def format(self) -> str:
        """The one place `path:line:col: severity rule-id message` is written. A finding with
        no position (line 0) reads `path: severity rule-id message`: no invented 1:1."""
        where = f"{one_line(self.path)}:{self.line}:{self.column}" if self.line else one_line(self.path)
        return f"{where}: {self.severity} {self.rule} {one_line(self.message)}"

    def as_dict(self) -> dict:
        return asdict(self)


class PlumbingError(Exception):
    """A mistake the user can fix; shown as one line, never as a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, findings: list[Finding] | None = None):
        super().__init__(message)
        self.findings = findings or []


class ConfigError(PlumbingError):
    """plumbing.yaml, releases/ or images/ is invalid (exit 2)."""


class CheckFailed(PlumbingError):
    """A check of rendered output, images or a bucket failed (exit 1)."""

    exit_code = EXIT_FAILED
