"""`release precheck`: the release pipeline's checks before anything is built.

Each failed check is one line; any failure is exit 1. A check that cannot be made (git or the
GitHub API unreachable) is a PlumbingError: one line, exit 2. Checks:
- the git tag does not exist on the project's repository (`git ls-remote --tags`);
- the bucket's `previous/<tag>/release.yaml` does not exist;
- the GitHub release does not exist (GET /repos/<owner>/<repo>/releases/tags/<tag>; 404 is fine).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit

from plumbing.findings import PlumbingError

GITHUB_API = "https://api.github.com"


def tag_exists(repository: str, tag: str, timeout: float = 60) -> bool:
    try:
        proc = subprocess.run(
            ["git", "ls-remote", "--tags", repository, f"refs/tags/{tag}"],
            capture_output=True, text=True, timeout=timeout,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        raise PlumbingError("git is not installed; cannot check the tag") from None
    except subprocess.TimeoutExpired:
        raise PlumbingError(f"git ls-remote {repository} timed out after {timeout:.0f}s") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise PlumbingError(f"git ls-remote {repository} failed: {last}")
    return any(line.split("\t")[-1] in (f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}")
               for line in proc.stdout.splitlines())


def owner_repo(repository: str) -> str:
    """`owner/name` from https://github.com/owner/name(.git)."""
    path = urlsplit(repository).path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    parts = path.split("/")
    if len(parts) != 2 or not all(parts):
        raise PlumbingError(f"cannot tell the GitHub owner/repository from {repository!r}")
    return path


def github_release_exists(api: str, owner_name: str, tag: str, timeout: float = 20) -> bool:
    url = f"{api.rstrip('/')}/repos/{owner_name}/releases/tags/{quote(tag)}"
    headers = {"Accept": "application/vnd.github+json", "User-Agent": "plumbing-release-precheck"}
    token = os.environ.get("GITHUB_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            json.loads(resp.read() or b"{}")
            return True
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return False
        raise PlumbingError(f"GET {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PlumbingError(f"GET {url}: {reason}") from None


def precheck(project: dict, version: str, bucket, *, repository: str | None = None,
             github_api: str = GITHUB_API, skip_github: bool = False) -> list[str]:
    """The failed checks, one line each (empty: all clear)."""
    from plumbing import layout

    repo = repository or project.repository
    failures = []
    if tag_exists(repo, version):
        failures.append(f"tag {version} already exists on {repo}")
    if layout.release_exists(bucket, project.name, version):
        failures.append(f"{bucket.object_url(layout.release_file(project.name, version, layout.MARKER))} already exists")
    if not skip_github:
        name = owner_repo(project.repository)
        if github_release_exists(github_api, name, version):
            failures.append(f"GitHub release {version} already exists on {name}")
    return failures
