"""What a release's history holds, from git alone: the previous release, the commits since it,
and which of them the previous release already had.

The range is `merge-base(previous tag, revision)..revision`, exclusive of the base: the previous
tag's own last commit is never in it (plumbing#416 listed it, from an inclusive range). A commit
of the range was shipped already (cherry-picked to the release branch) when its change (its
`git patch-id`, merges diffed against their first parent) is also a commit between the base and
the previous tag, or one of those says `(cherry picked from commit <it>)`; a merge commit whose
topic commits were all shipped was shipped too. Shipped commits are left out.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from plumbing import versions
from plumbing.findings import PlumbingError

# `git cherry-pick -x` leaves this line: the original commit was shipped even if the patch changed.
_PICKED = re.compile(r"\(cherry picked from commit ([0-9a-f]{40})\)")
# Tekton's release branches: a patch release vX.Y.Z (Z > 0) is cut from release-vX.Y.x.
RELEASE_BRANCH = "release-v{major}.{minor}.x"


@dataclass
class History:
    base: str                     # merge-base of the previous tag and the revision
    commits: list[str]            # base..revision, newest first
    first_parent: list[str]       # the range's non-merge commits along the revision's first parents
    shipped: set[str] = field(default_factory=set)  # commits in range whose change the previous release had


def git(git_dir: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    proc = subprocess.run(["git", f"--git-dir={git_dir}", *args], input=stdin, capture_output=True, env=env)
    if proc.returncode != 0:
        raise PlumbingError(f"git {' '.join(args[:3])}: {proc.stderr.decode(errors='replace').strip() or 'failed'}")
    return proc.stdout.decode(errors="replace")


def open_history(repository: str, git_dir: str | None, workdir: Path | None = None) -> Path:
    """A git directory holding every branch and tag: `git_dir` when given (a clone, e.g. the
    release's source workspace), else a bare clone of `repository` made under `workdir`."""
    if git_dir:
        path = Path(git_dir)
        inner = path / ".git"
        return inner if inner.is_dir() else path
    target = Path(workdir or tempfile.mkdtemp(prefix="plumbing-notes-")) / "repo.git"
    proc = subprocess.run(["git", "clone", "--quiet", "--bare", "--filter=blob:none", repository, str(target)],
                          capture_output=True, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if proc.returncode != 0:
        proc = subprocess.run(["git", "clone", "--quiet", "--bare", repository, str(target)], capture_output=True)
    if proc.returncode != 0:
        raise PlumbingError(f"cannot clone {repository}: {proc.stderr.decode(errors='replace').strip()}")
    return target


def tags(git_dir: Path) -> list[str]:
    return git(git_dir, "tag", "--list").split()


def previous_release(version: str, candidates) -> str | None:
    """The release `version` is compared with: for a patch (vX.Y.Z, Z > 0) the highest vX.Y.z
    below it; for a new minor or major (vX.Y.0) the highest release of the lines before it.
    Pre-releases and other tags are never the previous release."""
    new = versions.parse_full(version).key
    best = None
    for tag in candidates:
        try:
            v = versions.parse_full(tag).key
        except versions.VersionError:
            continue
        if v.prerelease or v.build or v >= new:
            continue
        if new.patch > 0 and (v.major, v.minor) != (new.major, new.minor):
            continue
        if new.patch == 0 and (v.major, v.minor) >= (new.major, new.minor):
            continue
        if best is None or v > best[0]:
            best = (v, tag)
    return best[1] if best else None


def resolve(git_dir: Path, ref: str) -> str:
    return git(git_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()


def history(git_dir: Path, previous: str, revision: str) -> History:
    prev = resolve(git_dir, f"refs/tags/{previous}")
    base = git(git_dir, "merge-base", prev, revision).strip()
    commits = git(git_dir, "rev-list", f"{base}..{revision}").split()
    first = git(git_dir, "rev-list", "--first-parent", "--no-merges", f"{base}..{revision}").split()
    shipped: set[str] = set()
    if prev != base:
        shipped_ids = set(_patch_ids(git_dir, f"{base}..{prev}").values())
        picked = set(_PICKED.findall(git(git_dir, "log", "--format=%B", f"{base}..{prev}")))
        ours = _patch_ids(git_dir, f"{base}..{revision}")
        shipped = {c for c, pid in ours.items() if pid in shipped_ids or c in picked}
        shipped |= _merges_shipped(git_dir, f"{base}..{revision}", shipped)
    return History(base=base, commits=commits, first_parent=first, shipped=shipped)


def _merges_shipped(git_dir: Path, rng: str, shipped: set[str]) -> set[str]:
    """Merge commits whose every topic commit (reachable from the second parent, not the first)
    was shipped: a PR merged with a merge commit whose commits were cherry-picked one by one."""
    out = set()
    for line in git(git_dir, "rev-list", "--merges", "--parents", rng).splitlines():
        merge, first, *others = line.split()
        if not all(o in shipped for o in others):   # the topic's tip must be shipped: no git call per merge
            continue
        topic = git(git_dir, "rev-list", "--no-merges", *others, f"^{first}").split()
        if topic and all(c in shipped for c in topic):
            out.add(merge)
    return out


def _patch_ids(git_dir: Path, rng: str) -> dict[str, str]:
    """{commit: patch-id} for every commit of `rng`, merges diffed against their first parent."""
    log = subprocess.run(["git", f"--git-dir={git_dir}", "log", "-p", "--no-color", "--no-renames",
                          "--diff-merges=first-parent", "--format=commit %H", rng],
                         capture_output=True, check=False)
    if log.returncode != 0:
        raise PlumbingError(f"git log {rng}: {log.stderr.decode(errors='replace').strip()}")
    out = git(git_dir, "patch-id", "--stable", stdin=log.stdout)
    ids = {}
    for line in out.splitlines():
        pid, _, commit = line.partition(" ")
        ids[commit] = pid
    return ids


def release_branch(version: str) -> str | None:
    """The branch a patch release is cut from (None for vX.Y.0)."""
    v = versions.parse_full(version).key
    return RELEASE_BRANCH.format(major=v.major, minor=v.minor) if v.patch > 0 else None


def on_branch(git_dir: Path, revision: str, branch: str) -> bool | None:
    """Is `revision` on `branch` (a local or remote-tracking ref)? None when the branch is missing."""
    for ref in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        if resolve_or_none(git_dir, ref):
            env = {**os.environ, "LC_ALL": "C"}
            proc = subprocess.run(["git", f"--git-dir={git_dir}", "merge-base", "--is-ancestor", revision, ref],
                                  capture_output=True, env=env)
            return proc.returncode == 0
    return None


def resolve_or_none(git_dir: Path, ref: str) -> str | None:
    try:
        return resolve(git_dir, ref) or None
    except PlumbingError:
        return None


def commit_time(git_dir: Path, commit: str) -> int:
    """Committer time (Unix seconds)."""
    return int(git(git_dir, "show", "-s", "--format=%ct", commit).strip())
