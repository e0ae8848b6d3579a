"""One finding and one error type for the whole package.

Every check (config schemas, templates, lint rules) reports `Finding`s, printed as
`path:line:col: severity rule-id message`. User mistakes raise `PlumbingError`, which the CLI
turns into one line on stderr and an exit code: 2 for usage or config, 1 for a failed check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    line: int
    column: int
    severity: str
    rule: str
    message: str

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity} {self.rule} {self.message}"

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
