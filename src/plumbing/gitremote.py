"""Asking a remote git repository what it holds, without cloning it: `git ls-remote`.

One place for the release plan (tip of the default branch), the prechecks and the `--apply`
guard (does the tag exist) and the deploy (a branch or tag to its commit). Never prompts for
credentials; every failure is one line (GitRemoteError, exit 2).
"""

from __future__ import annotations

import os
import re
import subprocess

from plumbing.findings import PlumbingError

TIMEOUT = 60.0
_COMMIT = re.compile(r"[0-9a-f]{40}", re.ASCII)


class GitRemoteError(PlumbingError):
    """The remote could not be asked (git missing, unreachable, timed out)."""


def ls_remote(repository: str, *patterns: str, tags: bool = False, timeout: float = TIMEOUT) -> list[tuple[str, str]]:
    """[(commit, ref)] the remote advertises for `patterns`."""
    args = ["git", "ls-remote", *(["--tags"] if tags else []), "--", repository, *patterns]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
    except FileNotFoundError:
        raise GitRemoteError("git is not installed: cannot ask the repository") from None
    except subprocess.TimeoutExpired:
        raise GitRemoteError(f"git ls-remote {repository} timed out after {timeout:.0f}s") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise GitRemoteError(f"git ls-remote {repository} failed: {last}")
    return [(sha, ref.strip()) for sha, _, ref in (line.partition("\t") for line in proc.stdout.splitlines()) if ref]


def tag_exists(repository: str, tag: str, timeout: float = TIMEOUT) -> bool:
    wanted = f"refs/tags/{tag}"
    return any(ref in (wanted, wanted + "^{}") for _, ref in ls_remote(repository, wanted, tags=True, timeout=timeout))


def branch_tip(repository: str, branch: str, timeout: float = TIMEOUT) -> str | None:
    """The commit at the tip of `branch`, None when the remote has no such branch."""
    wanted = f"refs/heads/{branch}"
    return next((sha for sha, ref in ls_remote(repository, wanted, timeout=timeout) if ref == wanted), None)


def resolve(repository: str, revision: str, timeout: float = TIMEOUT) -> str:
    """A full commit as is; a branch or tag name to the commit it points at."""
    if _COMMIT.fullmatch(revision):
        return revision
    found = ls_remote(repository, revision, timeout=timeout)
    if not found:
        raise GitRemoteError(f"{repository}: cannot resolve {revision!r}: no such branch or tag")
    return found[0][0]
