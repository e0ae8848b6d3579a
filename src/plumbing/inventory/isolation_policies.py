"""Policies proving each project is isolated (see isolation.py), over a plan's inventory.

A grant's reach is not read from its text: its IAM condition is evaluated (with a real CEL
evaluator, the Rust cel-interpreter behind common-expression-language) on probe object names: a published release file, a latest/
file and a run record of every project, in each release bucket. So a condition naming the wrong
prefix, or `true || ...`, is caught just as a missing one is. Messages name the resource and
the project.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from plumbing import layout
from plumbing.inventory.isolation import PROJECT_LABEL, REGISTRY_PATH_ANNOTATION, object_prefix
from plumbing.inventory.report import get_path

BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM = ("gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding")
PROJECT_IAM = ("gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding")
CUSTOM_ROLE = "gcp:projects/iAMCustomRole:IAMCustomRole"
ACCOUNT = "gcp:serviceaccount/account:Account"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"

CREATE = "storage.objects.create"
CHANGE = frozenset({"storage.objects.delete", "storage.objects.update"})   # replace, delete, alter
_ALL = frozenset({CREATE, *CHANGE, "storage.objects.get", "storage.objects.list"})
# Predefined roles that hold object permissions (what Google documents for each).
PREDEFINED = {
    "roles/storage.objectViewer": frozenset({"storage.objects.get", "storage.objects.list"}),
    "roles/storage.objectCreator": frozenset({CREATE}),
    "roles/storage.objectUser": _ALL,
    "roles/storage.objectAdmin": _ALL,
    "roles/storage.admin": _ALL,
    "roles/storage.legacyBucketWriter": frozenset({CREATE, "storage.objects.delete", "storage.objects.list"}),
    "roles/storage.legacyBucketOwner": frozenset({CREATE, "storage.objects.delete", "storage.objects.list"}),
    "roles/storage.legacyObjectOwner": frozenset({"storage.objects.get", "storage.objects.update"}),
    "roles/owner": _ALL,
    "roles/editor": _ALL,
}
RELEASE_BUCKETS = ("release", "nightly")
# A made-up version: probes never collide with a real release.
PROBE_VERSION = "v0.0.0-isolation-probe"


def _label(r: dict) -> str:
    return f"{r['type']} {r['name']}"


@cache
def _program(expression: str):
    from plumbing.cel_engine import load

    return load().compile(expression)


@cache
def allows(expression: str | None, bucket: str, name: str) -> bool:
    """Does a grant's condition hold for object `name` of `bucket`? (no condition: always).
    An expression that does not evaluate to a boolean is taken to allow: Google would not
    narrow the grant with it either."""
    if not expression:
        return True
    context = {"resource": {"name": object_prefix(bucket, name), "type": "storage.googleapis.com/Object",
                            "service": "storage.googleapis.com"}}
    try:
        result = _program(expression).execute(context)
    except Exception:   # noqa: BLE001 - the CEL library raises its own error types
        return True
    return result is not False


def _expression(r: dict) -> str | None:
    return (r["inputs"].get("condition") or {}).get("expression")


class _Facts:
    """What the policies look up: role permissions, each account's project, each bucket's kind,
    the projects, each namespace's project."""

    def __init__(self, inventory: list[dict]):
        self.roles = dict(PREDEFINED)
        self.accounts: dict[str, str | None] = {}
        self.buckets: dict[str, str] = {}
        self.namespaces: dict[str, str] = {}
        for r in inventory:
            i = r["inputs"]
            if r["type"] == CUSTOM_ROLE:
                perms = frozenset(i.get("permissions") or ())
                self.roles[f"projects/{i.get('project')}/roles/{i.get('roleId')}"] = perms
                self.roles[i.get("roleId")] = perms
            elif r["type"] == ACCOUNT:
                desc = i.get("description") or ""
                project = desc.split("=", 1)[1] if desc.startswith(PROJECT_LABEL + "=") else None
                self.accounts[i.get("accountId")] = project
            elif r["type"] == BUCKET:
                self.buckets[i.get("name")] = get_path(i, "labels", "plumbing")
            elif r["type"] == NAMESPACE and get_path(i, "metadata", "labels", PROJECT_LABEL):
                self.namespaces[get_path(i, "metadata", "name")] = get_path(i, "metadata", "labels", PROJECT_LABEL)
        self.projects = sorted({p for p in self.accounts.values() if p} | set(self.namespaces.values()))

    def permissions(self, role: str) -> frozenset:
        return self.roles.get(role, _ALL)       # an unknown role is assumed to allow everything

    def project_of(self, member: str) -> tuple[str, str | None]:
        """(account id, its project) for serviceAccount:<id>@<gcp project>.iam.gserviceaccount.com."""
        account = member.split(":", 1)[-1].split("@", 1)[0]
        return account, self.accounts.get(account)


def _grants(inventory: list[dict]) -> Iterator[tuple[dict, str, frozenset]]:
    """(resource, member, object permissions) for every bucket grant that may change objects."""
    facts = _Facts(inventory)
    for r in inventory:
        if r["type"] not in BUCKET_IAM:
            continue
        perms = facts.permissions(r["inputs"].get("role") or "")
        members = ([r["inputs"]["member"]] if r["inputs"].get("member") else []) + list(r["inputs"].get("members") or [])
        for member in members:
            if member in ("allUsers", "allAuthenticatedUsers"):
                continue    # public-access owns these
            if perms & ({CREATE} | CHANGE):
                yield r, member, perms


def prefix_condition(inventory: list[dict]) -> Iterator[str]:
    """No identity may write a bucket without a condition on the object name's prefix; no
    storage write role is granted on the whole cloud project."""
    facts = _Facts(inventory)
    for r, member, _ in _grants(inventory):
        # the org's buckets; the Pulumi state bucket is the deployer's alone (cd_policies.state_bucket)
        if facts.buckets.get(r["inputs"].get("bucket"), "unknown") == "pulumi-state":
            continue
        if not r["inputs"].get("condition"):
            _, project = facts.project_of(member)
            whose = f" (project {project})" if project else ""
            yield (f"{_label(r)}: {member}{whose} may write any object of bucket {r['inputs'].get('bucket')}: "
                   "add a condition on the object name prefix")
    for r in inventory:
        if r["type"] in PROJECT_IAM and facts.permissions(r["inputs"].get("role") or "") & ({CREATE} | CHANGE) \
                and (r["inputs"].get("role") or "").startswith(("roles/storage.", "projects/")):
            yield f"{_label(r)}: grants {r['inputs'].get('role')} on the whole cloud project: grant it on a bucket prefix"


def _probes(project: str) -> dict[str, str]:
    return {"a published release": layout.release_file(project, PROBE_VERSION, layout.RELEASE_YAML),
            "latest/": layout.latest_file(project, layout.RELEASE_YAML),
            "a run record": layout.release_file(project, PROBE_VERSION, layout.LOGS)}


def project_prefixes(inventory: list[dict]) -> Iterator[str]:
    """A project's identity writes only its own prefix of the release buckets; an identity of no
    project (a shared release account) writes no project's prefix."""
    facts = _Facts(inventory)
    for r, member, _perms in _grants(inventory):
        bucket = r["inputs"].get("bucket")
        if facts.buckets.get(bucket) not in RELEASE_BUCKETS:
            continue
        account, own = facts.project_of(member)
        cond = _expression(r)
        reached = [p for p in facts.projects if p != own
                   and any(allows(cond, bucket, name) for name in _probes(p).values())]
        prefixes = ", ".join(f"{p}/" for p in reached)
        if reached and own:
            yield f"{_label(r)}: {account} (project {own}) can write other projects' prefixes in {bucket}: {prefixes}"
        elif reached:
            yield (f"{_label(r)}: {account} is a shared release account (no project) and can write "
                   f"projects' prefixes in {bucket}: {prefixes}")


def published_immutable(inventory: list[dict]) -> Iterator[str]:
    """Nobody replaces or deletes a published release: delete or update permissions reach only
    latest/ and the run records under previous/."""
    facts = _Facts(inventory)
    for r, member, perms in _grants(inventory):
        bucket = r["inputs"].get("bucket")
        if facts.buckets.get(bucket) not in RELEASE_BUCKETS or not perms & CHANGE:
            continue
        account, own = facts.project_of(member)
        cond = _expression(r)
        hit = [p for p in facts.projects if allows(cond, bucket, _probes(p)["a published release"])]
        if hit:
            yield (f"{_label(r)}: {account}{f' (project {own})' if own else ''} can replace or delete published "
                   f"releases under {', '.join(f'{p}/previous/' for p in hit)} of {bucket}")


def break_glass_unbound(inventory: list[dict]) -> Iterator[str]:
    """The break-glass role exists for people, bound by hand in an emergency, never by the program."""
    from plumbing.inventory.isolation import BREAK_GLASS

    for r in inventory:
        if r["type"] in BUCKET_IAM + PROJECT_IAM and str(r["inputs"].get("role") or "").endswith(
                "/roles/" + BREAK_GLASS.role_id):
            yield f"{_label(r)}: binds the break-glass role {BREAK_GLASS.role_id}; it stays unbound (docs/infra.md)"


def registry_paths(inventory: list[dict]) -> Iterator[str]:
    """A project's push credential lives only in that project's namespaces and pushes only to
    <registry>/<project>; no project namespace holds another push credential."""
    facts = _Facts(inventory)
    for r in inventory:
        if r["type"] != SECRET:
            continue
        meta = r["inputs"].get("metadata") or {}
        ns, name = meta.get("namespace"), meta.get("name")
        owner = (meta.get("labels") or {}).get(PROJECT_LABEL)
        path = (meta.get("annotations") or {}).get(REGISTRY_PATH_ANNOTATION)
        ns_project = facts.namespaces.get(ns)
        if owner and owner != ns_project:
            yield f"{_label(r)}: project {owner}'s push credential is in namespace {ns} (project {ns_project})"
        if owner and (not path or path.rstrip("/").rsplit("/", 1)[-1] != owner):
            yield f"{_label(r)}: project {owner}'s push credential names registry path {path!r}, not <registry>/{owner}"
        if ns_project and r["inputs"].get("type") == "kubernetes.io/dockerconfigjson" and owner != ns_project:
            yield f"{_label(r)}: a registry credential in project {ns_project}'s namespace {ns}/{name} is not its own"
        if ns_project and not owner and "config.json" in (r["inputs"].get("stringData") or {}):
            yield f"{_label(r)}: registry credential {ns}/{name} in project {ns_project}'s namespace belongs to no project"


AR_MEMBER = ("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
             "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding")
AR_WRITE_ROLES = ("roles/artifactregistry.writer", "roles/artifactregistry.repoAdmin",
                  "roles/artifactregistry.admin", "roles/artifactregistry.createOnPushWriter",
                  "roles/artifactregistry.createOnPushRepoAdmin", "roles/owner", "roles/editor")


def registry_repositories(inventory: list[dict]) -> Iterator[str]:
    """On Artifact Registry, a project's repository is written by that project's identities only,
    and nobody may push to every repository (a project-level registry write role)."""
    facts = _Facts(inventory)
    for r in inventory:
        i = r["inputs"]
        if r["type"] in AR_MEMBER and i.get("role") in AR_WRITE_ROLES:
            repository = str(i.get("repository") or "").rsplit("/", 1)[-1]
            for member in ([i["member"]] if i.get("member") else []) + list(i.get("members") or []):
                account, own = facts.project_of(member)
                if own != repository:
                    yield (f"{_label(r)}: {account}{f' (project {own})' if own else ''} can push to project "
                           f"{repository}'s repository")
        if r["type"] in PROJECT_IAM and str(i.get("role")).startswith("roles/artifactregistry.") \
                and i.get("role") in AR_WRITE_ROLES:
            yield f"{_label(r)}: grants {i.get('role')} on the whole cloud project: every project's repository"


def shared_accounts(inventory: list[dict]) -> Iterator[str]:
    """No release runner is shared: no Google identity is bound (Workload Identity) from two
    projects' namespaces, or from a project's namespace and another."""
    facts = _Facts(inventory)
    bound: dict[str, list[tuple[dict, str]]] = {}
    for r in inventory:
        i = r["inputs"]
        if r["type"] == "gcp:serviceaccount/iAMMember:IAMMember" and i.get("role") == "roles/iam.workloadIdentityUser":
            ns = (i.get("member") or "").partition("[")[2].partition("/")[0]
            bound.setdefault(str(i.get("serviceAccountId")), []).append((r, facts.namespaces.get(ns, f"namespace {ns}")))
    for account, bindings in sorted(bound.items()):
        owners = sorted({owner for _, owner in bindings})
        if len(owners) > 1:
            email = account.rsplit("/", 1)[-1]
            for r, owner in bindings:
                yield f"{_label(r)}: binds {email} from {owner}; it is shared by {', '.join(owners)}"


POLICIES = {
    "prefix-condition": prefix_condition,
    "project-prefixes": project_prefixes,
    "published-immutable": published_immutable,
    "break-glass-unbound": break_glass_unbound,
    "registry-paths": registry_paths,
    "registry-repositories": registry_repositories,
    "no-shared-accounts": shared_accounts,
}
