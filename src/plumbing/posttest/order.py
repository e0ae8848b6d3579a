"""What a post-release test installs, in which order: the projects it needs first (depth first,
each once), then the tested project's own files in the order its config lists them."""

from __future__ import annotations

from dataclasses import dataclass

from plumbing.findings import PlumbingError

# The version rule of the tested project itself: the release under test.
UNDER_TEST = "under-test"


class DependencyCycle(PlumbingError):
    """Projects that need each other: nothing can be installed first."""


@dataclass(frozen=True)
class Install:
    project: str
    version: str            # UNDER_TEST, newest-full, newest-nightly or vX.Y.Z
    files: tuple[str, ...]  # release files, applied in this order


def install_order(projects, name: str) -> list[Install]:
    """The installs for testing `name`, dependencies first. KeyError for an unknown project;
    DependencyCycle naming the cycle."""
    out: list[Install] = []
    seen: set[str] = set()

    def visit(project: str, version: str, files: tuple[str, ...], path: tuple[str, ...]) -> None:
        if project in path:
            cycle = " -> ".join((*path[path.index(project):], project))
            raise DependencyCycle(f"dependency cycle {cycle}")
        for need in projects[project].post_release_test.needs:
            visit(need.project, need.version, need.install, (*path, project))
        if project not in seen:
            seen.add(project)
            out.append(Install(project, version, files))

    test = projects[name].post_release_test
    visit(name, UNDER_TEST, test.install, ())
    return out
