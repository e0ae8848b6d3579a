"""What a release will do, decided before anything is rendered, written or created.

A plan fixes project, mode, version, revision, image references, bucket paths (and whether
`latest/` moves, with the reason), and where in the cluster it runs. Rendering and `--apply`
both work from the plan, so what the user reviewed is what runs.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from plumbing import layout, versions
from plumbing.config import unsafe_text
from plumbing.findings import PlumbingError
from plumbing.org import Repo
from plumbing.versions import FULL, VersionError

# A Kubernetes label value: the version goes into labels only when it is one.
LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", re.ASCII)


@dataclass
class Plan:
    project: str
    mode: str
    version: str
    revision: str
    images: list[dict]
    platforms: list[str]
    publish: dict
    cluster: dict
    ko_docker_repo: str
    run_tests: bool
    extra_files_param: str
    version_label: str | None
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def image_ref(repo_prefix: str, package: str, image: str, naming: str) -> str:
    """Where ko pushes `cmd/<image>` (without tag or digest)."""
    if naming == "base-import-paths":
        return f"{repo_prefix}/{image.rsplit('/', 1)[-1]}"
    return f"{repo_prefix}/{package}/cmd/{image}"


def resolve_revision(repository: str, branch: str, timeout: float = 30) -> str:
    """The commit at the tip of `branch`, from `git ls-remote`."""
    from plumbing.gitremote import GitRemoteError, branch_tip

    hint = "pass --revision with the 40-hex commit to release"
    try:
        sha = branch_tip(repository, branch, timeout=timeout)
    except GitRemoteError as exc:
        raise PlumbingError(f"cannot reach {repository}: {exc}; {hint}") from None
    if sha is None:
        raise PlumbingError(f"{repository} has no branch {branch!r}; {hint}")
    return versions.check_revision(sha)


def _check_flag(name: str, value: str | None) -> None:
    if value is not None:
        problem = unsafe_text(value)
        if problem or "\n" in value:
            raise PlumbingError(f"{name}: {problem or 'contains a newline'}")


def make_plan(repo: Repo, project_name: str, mode: str, *, revision: str | None = None,
              version: str | None = None, previous: str | None = None,
              day: date | None = None) -> Plan:
    """Decide everything about one release; PlumbingError (exit 2) on any bad input."""
    for flag, value in (("--revision", revision), ("--version", version), ("--previous", previous)):
        _check_flag(flag, value)
    project = repo.project(project_name)
    try:
        if mode == FULL:
            if not version:
                raise PlumbingError("a full release needs --version vX.Y.Z")
            if not revision:
                raise PlumbingError("a full release needs --revision <40-hex commit>")
            versions.parse_full(version)
            versions.check_revision(revision)
        else:
            if version:
                raise PlumbingError("a nightly's version is computed; do not pass --version")
            if revision is None:
                revision = resolve_revision(project.repository, project.default_branch)
            version = versions.nightly_tag(revision, day)
        moves, reason = _latest(version, previous)
    except VersionError as exc:
        raise PlumbingError(str(exc)) from None

    from plumbing.inventory.isolation import PUSH_SECRET, uses_push_secret

    # The project's own namespace, identity, bucket prefix and registry path (docs/infra.md).
    where = repo.org.target(project.name, mode)
    ko_repo = where.registry_path
    images = [{"name": name,
               "ref": f"{image_ref(ko_repo, project.package, name, project.ko.naming)}:{version}"}
              for name in project.images]
    return Plan(
        project=project.name,
        mode=mode,
        version=version,
        revision=revision,
        images=images,
        platforms=list(project.platforms.publish),
        publish={
            "bucket": where.bucket,
            "previous": layout.folder_url(where.bucket, layout.release_folder(project.name, version)),
            "latest": layout.folder_url(where.bucket, layout.latest_folder(project.name)) if moves else None,
            "latest_reason": reason,
        },
        cluster={
            "name": repo.org.cluster.name,
            "context": repo.org.cluster.context,
            "namespace": where.namespace,
            "service_account": where.service_account,
            # None on Artifact Registry: ko pushes as the run's own identity (Workload Identity)
            "push_secret": PUSH_SECRET if uses_push_secret(repo, mode) else None,
        },
        ko_docker_repo=ko_repo,
        run_tests=project.runs_tests(mode),
        extra_files_param=" ".join(f"{f.name}={','.join(f.config)}" for f in project.extra_files),
        version_label=version if LABEL_VALUE.fullmatch(version) else None,
    )


def _latest(version: str, previous: str | None) -> tuple[bool, str]:
    if previous is None:
        return True, ("no --previous given: latest/ moves only if this is the highest version "
                      "in the bucket, checked again at upload")
    return versions.latest_moves(version, previous)
