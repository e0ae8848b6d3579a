"""What a pull request changes in the infrastructure, per stack, offline: the inventory of the
base commit's program and config against the head's (`plumbing infra plan` under Pulumi's mocks,
nothing reaches a cloud), with the head's policy results, as one PR comment.

The base runs in a child process with the base checkout's own code first on PYTHONPATH (its
plumbing package and its infra/), so a change to the program is seen, not only a change to the
config. The head is planned in this process meanwhile (its infra/ and config; the plumbing
package is the installed one, which in the PR pipeline is the head's), so the whole costs about
one plan.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from plumbing.findings import PlumbingError, one_line

MARKER = "<!-- plumbing:infra-diff -->"
_BASE_CMD = "import sys; from plumbing.cli.main import plumbing; sys.argv[0] = 'plumbing'; plumbing()"
MAX_LINES = 300   # per stack; GitHub caps a comment at 65536 characters


@dataclass
class StackDiff:
    stack: str
    diff: dict = field(default_factory=dict)
    policies: list = field(default_factory=list)   # (rule, message) broken at head
    note: str = ""                                  # e.g. the stack is new in this PR


def _start(base: Path, stack: str) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(base / "src"), str(base), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("PLUMBING_ROOT", None)
    return subprocess.Popen([sys.executable, "-c", _BASE_CMD, "infra", "plan", "-s", stack, "--output", "json",
                             "--root", str(base)], cwd=base, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, stack: str, side: str) -> tuple[list[dict], str]:
    out, err = proc.communicate()
    if proc.returncode in (0, 1):   # 1: a policy broken at base; the inventory is still printed
        try:
            return json.loads(out)["resources"], ""
        except (ValueError, KeyError, TypeError):
            pass
    last = (err.strip().splitlines() or ["no output"])[-1]
    if "unknown stack" in last and side == "base":
        return [], f"stack {stack} is new in this pull request"
    raise PlumbingError(f"{side}: plumbing infra plan -s {stack} failed: {one_line(last)}")


@contextlib.contextmanager
def _program_of(root: Path):
    """Import `infra` from `root` while planning it, then put back what was imported before."""
    def ours():
        return {k: m for k, m in sys.modules.items() if k == "infra" or k.startswith("infra.")}

    saved = ours()
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        yield
    finally:
        sys.path.remove(str(root))
        for name in ours():
            del sys.modules[name]
        sys.modules.update(saved)


# What `plumbing infra plan` reads: same bytes in base and head means the same inventory.
PLAN_INPUTS = ("infra", "src/plumbing", "plumbing.yaml", "releases", "images", "cronjobs", "Pulumi.yaml")


def inputs_digest(root: Path, stack: str) -> str:
    digest = hashlib.sha256()
    for part in (*PLAN_INPUTS, f"Pulumi.{stack}.yaml"):
        path = Path(root) / part
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc" or any(x.endswith(".egg-info") for x in f.parts):
                continue
            digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def stack_diff(base: Path, head: Path, stack: str) -> StackDiff:
    from plumbing.inventory import mocks
    from plumbing.inventory import report as inv
    from plumbing.inventory.commands import violations

    if inputs_digest(base, stack) == inputs_digest(head, stack):   # most PRs: nothing to plan twice
        with _program_of(Path(head).resolve()):
            resources = mocks.plan(Path(head), stack)
        return StackDiff(stack, inv.diff(resources, resources), violations(resources, Path(head), stack),
                         "the plan's inputs are unchanged")
    proc = _start(Path(base).resolve(), stack)
    try:
        with _program_of(Path(head).resolve()):
            resources = mocks.plan(Path(head), stack)
        old, note = _result(proc, stack, "base")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return StackDiff(stack, inv.diff(old, resources), violations(resources, Path(head), stack), note)


def markdown(diffs: list[StackDiff], base_sha: str = "", head_sha: str = "") -> str:
    from plumbing.inventory import report as inv

    span = f" ({base_sha[:10]} → {head_sha[:10]})" if base_sha and head_sha else ""
    lines = [MARKER, f"### Infrastructure this pull request changes{span}", "",
             "Offline plan of the base and the head (`plumbing infra plan --diff`, Pulumi's mocks): "
             "what the deploy pipeline would preview after merge. Updated on every push.", ""]
    for d in diffs:
        text = inv.format_diff(d.diff)
        head, *rest = text.splitlines()
        lines.append(f"#### `{d.stack}`: {head}" + (f" ({d.note})" if d.note else ""))
        if rest:
            shown = rest[:MAX_LINES]
            if len(rest) > MAX_LINES:
                shown.append(f"… {len(rest) - MAX_LINES} more lines: run `plumbing infra plan -s {d.stack} --diff`")
            lines += ["<details><summary>resources</summary>", "", "```diff", *shown, "```", "", "</details>"]
        if d.policies:
            lines.append(f"**Policies broken ({len(d.policies)})**:")
            lines += [f"- `infra-{rule}` {message}" for rule, message in d.policies]
        else:
            lines.append("Policies: all hold.")
        lines.append("")
    return "\n".join(lines)


def upsert_comment(client, repository: str, number: int, body: str) -> tuple[str, dict]:
    """('updated'|'created', comment): the one comment carrying MARKER is edited in place; a new
    one is posted only when none exists. The POST is sent once (never resent), so a retry
    cannot make two."""
    existing = next((c for c in client.paginate(f"/repos/{repository}/issues/{number}/comments")
                     if MARKER in (c.get("body") or "")), None)
    if existing is not None:
        return "updated", client.patch(f"/repos/{repository}/issues/comments/{existing['id']}", {"body": body})
    return "created", client.post(f"/repos/{repository}/issues/{number}/comments", {"body": body})
