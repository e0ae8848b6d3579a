"""`release precheck`: the release pipeline's checks before anything is built.

Each failed check is one line; any failure is exit 1. A check that cannot be made (git or the
GitHub API unreachable) is a PlumbingError: one line, exit 2. Checks:
- the git tag does not exist on the project's repository (`git ls-remote --tags`);
- the bucket's `previous/<tag>/release.yaml` does not exist;
- the GitHub release does not exist (`plumbing.github.Client.release_by_tag`; 404 is fine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from plumbing.github import owner_repo
from plumbing.gitremote import tag_exists

if TYPE_CHECKING:
    from plumbing.github import Client

__all__ = ["owner_repo", "precheck", "tag_exists"]


def precheck(project, version: str, bucket, *, repository: str | None = None,
             github: Client | None = None) -> list[str]:
    """The failed checks, one line each (empty: all clear). `github` None: GitHub is not asked."""
    from plumbing import layout

    repo = repository or project.repository
    failures = []
    if tag_exists(repo, version):
        failures.append(f"tag {version} already exists on {repo}")
    if layout.release_exists(bucket, project.name, version):
        failures.append(f"{bucket.object_url(layout.release_file(project.name, version, layout.MARKER))} already exists")
    if github is not None:
        name = owner_repo(project.repository)
        if github.release_by_tag(name, version) is not None:
            failures.append(f"GitHub release {version} already exists on {name}")
    return failures
