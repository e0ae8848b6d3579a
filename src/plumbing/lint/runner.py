"""What `plumbing lint` runs: lint, report, return the exit code."""

from __future__ import annotations

import sys

from plumbing.findings import EXIT_FAILED, EXIT_OK


def run(paths: list[str], fmt: str = "text", strict: bool = False, config: str | None = None,
        out=None, stdin=None) -> int:
    import gc

    from plumbing.lint.config import load_settings
    from plumbing.lint.engine import lint_paths
    from plumbing.lint.reporters import REPORTERS

    out = out or sys.stdout
    settings = load_settings(config)
    # one short-lived pass over many small objects that all stay alive: the cyclic collector
    # would only walk them again and again (about a quarter of the run time on the catalog)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = lint_paths(paths or ["."], settings, stdin=stdin)
    finally:
        if was_enabled:  # leave the collector as we found it, also when linting raised
            gc.enable()
    REPORTERS[fmt](result, out)
    if result.count("error") or (strict and result.count("warning")):
        return EXIT_FAILED
    return EXIT_OK


def rules(fmt: str = "text", out=None) -> int:
    from plumbing.lint.docs import markdown, text

    out = out or sys.stdout
    out.write(markdown() if fmt == "markdown" else text())
    return EXIT_OK
