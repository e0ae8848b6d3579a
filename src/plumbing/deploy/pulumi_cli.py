"""The only module that runs Pulumi. Everything else talks to the `Engine` interface below, so
every deploy decision is package code tested with a stand-in engine.

`PulumiCLI` runs the Pulumi CLI (what Pulumi's official image ships): state in the bucket named
by PULUMI_BACKEND_URL (gs://, versioned, not public: infra/buckets declares it), secrets through
the stack's secrets provider (Pulumi.<stack>.yaml `secretsprovider:`). The Pulumi CLI and its
provider plugins cannot be installed on the machines that run the tests, so this module is
never run by them: it is kept to argument building and reading Pulumi's JSON.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from plumbing.findings import PlumbingError, one_line

# The stack config key the program reads for the plumbing image every CronJob runs
# (infra/settings.py): the deploy sets it to the digest built for the deployed commit.
IMAGE_KEY = "plumbing:plumbingImage"
# Pulumi's change kinds that mean "nothing to do".
UNCHANGED_OPS = frozenset({"same", "read"})


class PulumiError(PlumbingError):
    """Pulumi failed (preview, up, config): nothing after it runs."""


@dataclass(frozen=True)
class Preview:
    """What a preview found: operation -> count (`same` excluded), and the saved plan."""

    changes: dict = field(default_factory=dict)
    plan_file: Path | None = None

    @property
    def changed(self) -> bool:
        return any(n for n in self.changes.values())

    def summary(self) -> str:
        return ", ".join(f"{n} to {op}" for op, n in sorted(self.changes.items()) if n) or "no changes"


class Engine(Protocol):
    def preview(self, workdir: Path, stack: str, *, image: str, plan_file: Path | None,
                refresh: bool = False) -> Preview: ...

    def up(self, workdir: Path, stack: str, *, image: str, plan_file: Path | None) -> None: ...


def changes_from(summary: dict) -> dict:
    """Pulumi's `changeSummary` ({"same": 40, "update": 2}) -> only the operations that change."""
    return {op: int(n) for op, n in (summary or {}).items() if op not in UNCHANGED_OPS and int(n)}


@dataclass
class PulumiCLI:
    """`pulumi` on PATH; `env` adds PULUMI_BACKEND_URL and credentials the pipeline mounts."""

    binary: str = "pulumi"
    env: dict | None = None
    timeout: float = 3600

    def _run(self, workdir: Path, args: list[str]) -> str:
        cmd = [self.binary, *args, "--non-interactive", "--cwd", str(workdir)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout, env=self.env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PulumiError(f"{' '.join(cmd[:3])}: {one_line(str(exc))}") from None
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PulumiError(f"{' '.join(cmd[:3])} exited {done.returncode}: {tail[0]}")
        return done.stdout

    def _set_image(self, workdir: Path, stack: str, image: str) -> None:
        self._run(workdir, ["config", "set", IMAGE_KEY, image, "--stack", stack])

    def preview(self, workdir: Path, stack: str, *, image: str, plan_file: Path | None,
                refresh: bool = False) -> Preview:
        self._set_image(workdir, stack, image)
        args = ["preview", "--stack", stack, "--json", "--diff"]
        if plan_file is not None:
            args += ["--save-plan", str(plan_file)]
        if refresh:
            args.append("--refresh")
        out = self._run(workdir, args)
        try:
            summary = json.loads(out).get("changeSummary", {})
        except ValueError:
            raise PulumiError("pulumi preview --json: output is not JSON") from None
        return Preview(changes_from(summary), plan_file)

    def up(self, workdir: Path, stack: str, *, image: str, plan_file: Path | None) -> None:
        self._set_image(workdir, stack, image)
        args = ["up", "--stack", stack, "--yes", "--skip-preview"]
        if plan_file is not None:
            args += ["--plan", str(plan_file)]   # apply exactly what was previewed
        self._run(workdir, args)
