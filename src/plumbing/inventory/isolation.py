"""Each released project isolated: its own namespace per mode, its own identities, its own bucket
prefix and registry path. Plain data, free of Pulumi; infra/ declares it, policies.py proves it.

A project's release runner may create objects only under `<bucket>/<project>/` (an IAM condition
on the object name) and never replace or delete one there, except under `<project>/latest/` and
the run records a re-run rewrites beside a release (layout.RUN_RECORDS). Nobody the program
declares may replace or delete a published release: the storage roles that could are custom
roles listing their permissions, so the policies can read what each grant allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from plumbing import layout
from plumbing.findings import ConfigError
from plumbing.org import MODE_KEYS, MODES

PROJECT_LABEL = "plumbing.tekton.dev/project"
MODE_LABEL = "plumbing.tekton.dev/mode"
REGISTRY_PATH_ANNOTATION = "plumbing.tekton.dev/registry-path"
# A project's push credential (a docker config.json), in each of its namespaces only.
PUSH_SECRET = "registry-push"


@dataclass(frozen=True)
class CustomRole:
    role_id: str
    title: str
    permissions: tuple[str, ...]
    description: str
    bound: bool = True            # False: declared for emergencies, bound by nobody (docs/infra.md)


# storage.objects.create alone cannot overwrite: replacing an object also needs .delete.
CREATOR = CustomRole("plumbingObjectCreator", "plumbing: create objects only",
                     ("storage.objects.create",),
                     "Create new objects; never overwrite, change or delete one.")
REPLACER = CustomRole("plumbingObjectReplacer", "plumbing: replace objects",
                      ("storage.objects.create", "storage.objects.delete"),
                      "Create, overwrite and delete objects: granted only under <project>/latest/ and for run records.")
BREAK_GLASS = CustomRole("plumbingReleaseBreakGlass", "plumbing: unpublish a release (break glass)",
                         ("storage.objects.create", "storage.objects.delete", "storage.objects.update"),
                         "Bound by hand, with a condition and an expiry, to take down a broken release; "
                         "see docs/infra.md. Never bound by the program.", bound=False)
CUSTOM_ROLES = (CREATOR, REPLACER, BREAK_GLASS)


def role_name(gcp_project: str, role: CustomRole) -> str:
    return f"projects/{gcp_project}/roles/{role.role_id}"


def object_prefix(bucket: str, prefix: str) -> str:
    """An object-name prefix as IAM conditions see it (resource.name of an object)."""
    return f"projects/_/buckets/{bucket}/objects/{prefix}"


def _starts(bucket: str, prefix: str) -> str:
    return f"resource.name.startsWith('{object_prefix(bucket, prefix)}')"


@dataclass(frozen=True)
class Condition:
    title: str
    expression: str
    description: str


def create_condition(bucket: str, project: str) -> Condition:
    return Condition(f"{project} objects only", _starts(bucket, f"{project}/"),
                     f"Objects under {project}/ of {bucket}")


def replace_condition(bucket: str, project: str) -> Condition:
    """latest/ moves; a re-run rewrites its run records (logs, outcome, verdict) beside the release."""
    records = " || ".join(f"resource.name.endsWith('/{name}')" for name in sorted(layout.RUN_RECORDS))
    expression = (f"{_starts(bucket, layout.latest_folder(project))} || "
                  f"({_starts(bucket, layout.previous_prefix(project))} && ({records}))")
    return Condition(f"{project} latest and run records", expression,
                     f"{project}/latest/ and the run records under {project}/previous/ of {bucket}")


@dataclass(frozen=True)
class Grant:
    """One bucket role for one identity, limited by a condition when given."""

    bucket: str                   # bucket key: nightly | release | logs
    role: str                     # a predefined role, or a CustomRole's role_id
    condition: Condition | None = None


def project_grants(project: str, mode: str, bucket: str) -> list[Grant]:
    """A release runner: read the mode's bucket, create under <project>/, replace only where allowed."""
    key = MODE_KEYS[mode]
    return [Grant(key, "roles/storage.objectViewer"),
            Grant(key, CREATOR.role_id, create_condition(bucket, project)),
            Grant(key, REPLACER.role_id, replace_condition(bucket, project))]


def verdict_grants(repo) -> list[Grant]:
    """The post-release tester: it tests every project's releases, so it may write, in both
    release buckets, only objects named tested.json or test-logs.txt (written beside a
    release): never a release file (the policies probe exactly that)."""
    from plumbing.inventory.desired import bucket_name

    out = []
    for key in ("nightly", "release"):
        bucket = bucket_name(getattr(repo.org.buckets, key))
        ends = " || ".join(f"resource.name.endsWith('/{n}')" for n in (layout.TESTED, layout.TEST_LOGS))
        # endsWith only: what Google documents for storage conditions and the evaluator here runs
        expression = f"resource.name.startsWith('{object_prefix(bucket, '')}') && ({ends})"
        out += [Grant(key, "roles/storage.objectViewer"),
                Grant(key, REPLACER.role_id, Condition("post-release verdicts only", expression,
                                                       f"tested.json and test-logs.txt beside a release in {bucket}"))]
    return out


def project_modes(project) -> tuple[str, ...]:
    """Both modes: a nightly may be started by hand even without a schedule."""
    return MODES


@dataclass(frozen=True)
class ProjectNamespace:
    key: str                      # <project>/<mode key>: how identities and secrets refer to it
    name: str
    project: str
    mode: str


def namespaces(repo) -> list[ProjectNamespace]:
    out = []
    for name, project in sorted(repo.projects.items()):
        for mode in project_modes(project):
            target = repo.org.target(name, mode)
            out.append(ProjectNamespace(namespace_key(name, mode), target.namespace, name, mode))
    return out


def namespace_key(project: str, mode: str) -> str:
    return f"{project}/{MODE_KEYS[mode]}"


# Google Artifact Registry: <location>-docker.pkg.dev/<cloud project>/<repository>/... IAM
# stops at the repository, so each released project pushes to its own repository (named after
# it), writable by its runners only; no push Secret exists then (ko uses Workload Identity).
AR_SUFFIX = "-docker.pkg.dev"
AR_WRITER = "roles/artifactregistry.writer"


def artifact_registry(registry: str) -> tuple[str, str] | None:
    """(location, cloud project) when `registry` is Artifact Registry's, else None (a registry
    reached with a push token, such as ghcr.io)."""
    host, _, rest = registry.partition("/")
    if not host.endswith(AR_SUFFIX):
        return None
    if not rest or "/" in rest:
        raise ConfigError(f"registry {registry!r}: an Artifact Registry path must be <location>{AR_SUFFIX}/<cloud project>, "
                          "so that each released project pushes to its own repository")
    return host[:-len(AR_SUFFIX)], rest


def uses_push_secret(repo, mode: str) -> bool:
    return artifact_registry(repo.org.registry_for(mode)) is None


@dataclass(frozen=True)
class RegistryRepository:
    location: str
    cloud_project: str
    repository: str               # the released project's name
    writers: tuple[str, ...]      # identity keys (namespace/name) of its runners


def registry_repositories(repo) -> list[RegistryRepository]:
    found: dict[tuple, list[str]] = {}
    for space in namespaces(repo):
        ar = artifact_registry(repo.org.registry_for(space.mode))
        if ar:
            target = repo.org.target(space.project, space.mode)
            found.setdefault((*ar, space.project), []).append(f"{target.namespace}/{target.service_account}")
    return [RegistryRepository(loc, cloud, name, tuple(w)) for (loc, cloud, name), w in sorted(found.items())]
