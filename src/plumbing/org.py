"""The organisation and its projects as typed, frozen values: what every reader asks of config.

`plumbing.config` builds these after yamale and the cross-field checks; nothing else parses
plumbing.yaml or releases/. Each value keeps where it came from (`where.at(field...)` gives the
file, line and column), and the questions several readers ask have one answer here: where one
project's release of a mode runs and what it may write (`Org.target`: its bucket and prefix,
registry path, namespace and service account), whether a project has a nightly and its
schedule's period, whether a mode runs the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from plumbing.findings import ConfigError, Finding
from plumbing.versions import FULL, NIGHTLY
from plumbing.yamlpos import Document

MODES = (NIGHTLY, FULL)
# plumbing.yaml keys its per-mode maps (namespaces, service accounts, registries, buckets) by
# "nightly" and "release"; a full release uses the "release" entries.
MODE_KEYS = {NIGHTLY: "nightly", FULL: "release"}
# How a project's own namespace and service account are named, per mode ({mode}: nightly or
# release); plumbing.yaml's `isolation` overrides them. Each project and mode gets its own.
DEFAULT_ISOLATION = {"namespace": "{project}-{mode}", "service_account": "{project}-{mode}"}
ISOLATION_FIELDS = ("project", "mode")


@dataclass(frozen=True)
class Where:
    """The file a value came from and its parsed document, for positions in errors."""

    path: str                     # as shown in errors: relative to the repository
    doc: Document | None = field(default=None, repr=False, compare=False)

    def at(self, *path) -> tuple[int, int]:
        return self.doc.position(tuple(path)) if self.doc is not None else (1, 1)

    def finding(self, path: tuple, rule: str, message: str, severity: str = "error") -> Finding:
        line, col = self.at(*path)
        return Finding(self.path, line, col, severity, rule, message)


@dataclass(frozen=True)
class ModeSettings:
    """Where a release of one mode runs and publishes; for one project (`Org.target`) also the
    only bucket prefix and registry path its identity may write."""

    mode: str                     # NIGHTLY or FULL
    bucket: str                   # gs:// or file:// URL
    registry: str                 # KO_DOCKER_REPO is <registry>/<project>
    namespace: str
    service_account: str | None   # None: no org-wide account for the mode (projects have their own)
    project: str | None = None
    prefix: str | None = None            # <project>/: the object names its identity may create
    registry_path: str | None = None     # <registry>/<project>: where its identity may push


@dataclass(frozen=True)
class Cluster:
    name: str
    context: str


@dataclass(frozen=True)
class Buckets:
    nightly: str
    release: str
    logs: str

    def for_mode(self, mode: str) -> str:
        return self.nightly if mode == NIGHTLY else self.release


@dataclass(frozen=True)
class Notify:
    slack_webhook_secret: str | None = None
    github_repository: str | None = None
    github_token_secret: str | None = None


@dataclass(frozen=True)
class Org:
    """plumbing.yaml, fully defaulted."""

    organisation: str
    cluster: Cluster
    namespaces: Mapping[str, str]          # nightly | release | ci -> namespace
    service_accounts: Mapping[str, str]    # nightly | release | ci -> service account
    registry: Mapping[str, str]            # nightly | release -> registry path
    buckets: Buckets
    public_url: str
    tool_images: Mapping[str, str]
    notify: Notify
    isolation: Mapping[str, str]           # namespace | service_account -> pattern of {project}, {mode}
    default_platforms: tuple[str, ...]
    default_timeout: str | None
    data: Mapping = field(repr=False, compare=False)   # the effective document, as written beside a release
    where: Where = field(default=Where("plumbing.yaml"), repr=False, compare=False)
    signing_key: str | None = None   # signing.public_key: what release notes tell users to verify with

    def registry_for(self, mode: str) -> str:
        """The registry a mode's images go to (KO_DOCKER_REPO is <registry>/<project>)."""
        if mode not in MODE_KEYS:
            raise ConfigError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
        return self.registry[MODE_KEYS[mode]]

    def isolated_name(self, what: str, project: str, mode: str) -> str:
        """The `isolation` pattern `what` (namespace | service_account) for a project and mode."""
        return self.isolation[what].format(project=project, mode=MODE_KEYS[mode])

    def target(self, project: str, mode: str) -> ModeSettings:
        """Where `project`'s release of `mode` runs and what its identity may write: its own
        namespace and service account, `<bucket>/<project>/` and `<registry>/<project>`."""
        registry = self.registry_for(mode)
        return ModeSettings(mode=mode, bucket=self.buckets.for_mode(mode), registry=registry,
                            namespace=self.isolated_name("namespace", project, mode),
                            service_account=self.isolated_name("service_account", project, mode),
                            project=project, prefix=f"{project}/", registry_path=f"{registry}/{project}")

    def test_settings(self) -> tuple[str, str]:
        """(namespace, service account) post-release test runs use."""
        return (self.namespaces.get("test") or "post-release-test",
                self.service_accounts.get("test") or "post-release-tester")

    def public_object_url(self, bucket_url: str, name: str) -> str:
        """The URL a person opens for object `name` of a bucket: https for gs://, else the
        bucket URL itself (file:// buckets are local)."""
        from plumbing.layout import public_url

        return public_url(bucket_url, name, self.public_url)


@dataclass(frozen=True)
class Ko:
    config: tuple[str, ...]
    naming: str


@dataclass(frozen=True)
class Platforms:
    build: tuple[str, ...]
    publish: tuple[str, ...]


@dataclass(frozen=True)
class ExtraFile:
    name: str
    config: tuple[str, ...]


@dataclass(frozen=True)
class Tests:
    nightly: bool
    full: bool


@dataclass(frozen=True)
class Nightly:
    enabled: bool
    schedule: str | None


@dataclass(frozen=True)
class Timeouts:
    pipeline: str
    tests: str
    publish: str


@dataclass(frozen=True)
class TestDependency:
    """A project the tested one needs installed first, and which of its releases."""

    project: str
    version: str                  # newest-full | newest-nightly | vX.Y.Z
    install: tuple[str, ...]      # its release files, in order


@dataclass(frozen=True)
class PostReleaseTest:
    """How a published release is installed into a throwaway cluster and smoke-tested."""

    enabled: bool
    install: tuple[str, ...]                 # release files, in the order they are applied
    needs: tuple[TestDependency, ...]        # installed first, in this order
    deployments: tuple[str, ...] | None      # must be available; None means every one installed
    crds: bool                               # every installed CRD must be Established
    smoke: tuple[str, ...]                   # manifests in the repository at the released commit
    command: str | None
    timeout: str


@dataclass(frozen=True)
class Project:
    """releases/<project>.yaml, fully defaulted."""

    name: str
    description: str
    repository: str
    package: str
    default_branch: str
    images: tuple[str, ...]
    ko: Ko
    platforms: Platforms
    extra_files: tuple[ExtraFile, ...]
    tests: Tests
    nightly: Nightly
    timeouts: Timeouts
    post_release_test: PostReleaseTest
    data: Mapping = field(repr=False, compare=False)
    where: Where = field(default=Where("releases"), repr=False, compare=False)

    @property
    def has_nightly(self) -> bool:
        """A nightly CronJob exists for it: enabled, with a schedule."""
        return bool(self.nightly.enabled and self.nightly.schedule)

    @property
    def schedule(self) -> str | None:
        """The nightly's cron schedule (UTC), None when it has no nightly."""
        return self.nightly.schedule if self.has_nightly else None

    def schedule_period(self, now: datetime) -> timedelta | None:
        """The longest gap between two nightlies from `now` (see ages.schedule_period)."""
        from plumbing.ages import schedule_period

        return schedule_period(self.schedule, now) if self.schedule else None

    def runs_tests(self, mode: str) -> bool:
        return bool(getattr(self.tests, mode))

    @property
    def owner_repo(self) -> str:
        """`owner/name` of the repository on its forge."""
        parts = urlsplit(self.repository).path.strip("/").removesuffix(".git").split("/")
        return "/".join(parts[-2:])


@dataclass(frozen=True)
class Repo:
    """The repository's config, fully defaulted and checked."""

    root: Path
    org: Org
    projects: Mapping[str, Project]

    def project(self, name: str) -> Project:
        try:
            return self.projects[name]
        except KeyError:
            known = ", ".join(sorted(self.projects)) or "none"
            raise ConfigError(f"unknown project {name!r}; known projects: {known}") from None

    def run_namespaces(self) -> list[str]:
        """Every namespace a run may be in: each project's own per mode, then the org's."""
        own = [self.org.target(name, mode).namespace for name in sorted(self.projects) for mode in MODES]
        return list(dict.fromkeys(own + list(self.org.namespaces.values())))


def build_org(data: dict, where: Where) -> Org:
    """An Org from a document that passed the schema."""
    notify = data.get("notify") or {}
    defaults = data.get("defaults") or {}
    return Org(
        organisation=data["organisation"],
        cluster=Cluster(**data["cluster"]),
        namespaces=dict(data["namespaces"]),
        service_accounts=dict(data["service_accounts"]),
        registry=dict(data["registry"]),
        buckets=Buckets(**data["buckets"]),
        public_url=data["public_url"],
        tool_images=dict(data["tool_images"]),
        isolation={**DEFAULT_ISOLATION, **(data.get("isolation") or {})},
        notify=Notify(**{k: notify.get(k) for k in ("slack_webhook_secret", "github_repository",
                                                     "github_token_secret")}),
        default_platforms=tuple(defaults.get("platforms") or ()),
        default_timeout=defaults.get("timeout"),
        data=data,
        where=where,
        signing_key=(data.get("signing") or {}).get("public_key"),
    )


def build_project(p: dict, where: Where) -> Project:
    """A Project from an effective (fully defaulted) project document."""
    return Project(
        name=p["name"],
        description=p["description"],
        repository=p["repository"],
        package=p["package"],
        default_branch=p["default_branch"],
        images=tuple(p["images"]),
        ko=Ko(config=tuple(p["ko"]["config"]), naming=p["ko"]["naming"]),
        platforms=Platforms(build=tuple(p["platforms"]["build"]), publish=tuple(p["platforms"]["publish"])),
        extra_files=tuple(ExtraFile(f["name"], tuple(f["config"])) for f in p["extra_files"]),
        tests=Tests(nightly=bool(p["tests"]["nightly"]), full=bool(p["tests"]["full"])),
        nightly=Nightly(enabled=bool(p["nightly"]["enabled"]), schedule=p["nightly"]["schedule"]),
        timeouts=Timeouts(**p["timeouts"]),
        post_release_test=_post_release_test(p["post_release_test"]),
        data=p,
        where=where,
    )


def _post_release_test(t: dict) -> PostReleaseTest:
    deployments = t["ready"]["deployments"]
    return PostReleaseTest(
        enabled=bool(t["enabled"]),
        install=tuple(t["install"]),
        needs=tuple(TestDependency(d["project"], d["version"], tuple(d["install"])) for d in t["needs"]),
        deployments=None if deployments == "all" else tuple(deployments),
        crds=bool(t["ready"]["crds"]),
        smoke=tuple(t["smoke"]),
        command=t["command"],
        timeout=t["timeout"],
    )
