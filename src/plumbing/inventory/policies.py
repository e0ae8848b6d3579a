"""Policies over a plan's inventory ([{type, name, component, inputs}]): the rules the
infrastructure must keep, checked offline on what the program declares.

Each rule is a function named in POLICIES; it yields messages that start with the offending
resource (`type name: ...`), so a failure says what to fix. `check(inventory)` runs them all;
`coverage(inventory, repo, images, jobs)` checks there is exactly one CronJob per nightly
project, image and cronjobs/ file, with the configured schedule.
"""

from __future__ import annotations

from collections.abc import Iterator

from plumbing import layout
from plumbing.config import image_pin_problem
from plumbing.inventory import cd_policies, isolation_policies
from plumbing.inventory.report import get_path

PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
PUBLIC_ROLE = "roles/storage.objectViewer"
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_IAM = ("gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding")
ACLS = ("gcp:storage/bucketACL:BucketACL", "gcp:storage/objectACL:ObjectACL",
        "gcp:storage/bucketAccessControl:BucketAccessControl",
        "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
        "gcp:storage/objectAccessControl:ObjectAccessControl",
        "gcp:storage/defaultObjectACL:DefaultObjectACL")
KEYS = ("gcp:serviceaccount/key:Key", "gcp:storage/hmacKey:HmacKey", "gcp:apikeys/key:Key")
ROLES = ("kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
BINDINGS = ("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
CRONJOB = "kubernetes:batch/v1:CronJob"
SECRETS = ("kubernetes:core/v1:Secret", "kubernetes:core/v1:SecretPatch")
YAML_GROUPS = ("kubernetes:yaml/v2:ConfigFile", "kubernetes:yaml/v2:ConfigGroup",
               "kubernetes:yaml:ConfigFile", "kubernetes:yaml:ConfigGroup")
POD_CARRIERS = {
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:core/v1:Pod": ("spec",),
}
SECRET_PLACEHOLDER = "[secret]"
GH_ORG = "plumbing:infra:GitHubOrg"
GH_REPOSITORY = "github:index/repository:Repository"
GH_DEFAULT_BRANCH = "github:index/branchDefault:BranchDefault"
GH_PROTECTION = "github:index/branchProtection:BranchProtection"
GH_TEAM = "github:index/team:Team"
GH_MEMBERSHIP = "github:index/teamMembership:TeamMembership"
GH_TEAM_REPO = "github:index/teamRepository:TeamRepository"
GH_LABEL = "github:index/issueLabel:IssueLabel"
GH_COLLABORATOR = "github:index/repositoryCollaborator:RepositoryCollaborator"
GH_COLLABORATORS = "github:index/repositoryCollaborators:RepositoryCollaborators"


def _label(r: dict) -> str:
    return f"{r['type']} {r['name']}"


def _members(inputs: dict) -> list[str]:
    members = inputs.get("members") or []
    return ([inputs["member"]] if inputs.get("member") else []) + list(members)


def public_access(inventory: list[dict]) -> Iterator[str]:
    """Buckets use uniform bucket-level access (no ACLs); the only public grant is objectViewer
    to allUsers on a bucket; nothing is public at project or service-account level."""
    for r in inventory:
        inputs = r["inputs"]
        if r["type"] == BUCKET and inputs.get("uniformBucketLevelAccess") is not True:
            yield f"{_label(r)}: uniformBucketLevelAccess must be true (no per-object ACLs)"
        if r["type"] in ACLS:
            yield f"{_label(r)}: ACL resources are not allowed; grant bucket IAM roles"
        public = [m for m in _members(inputs) if m in PUBLIC_MEMBERS]
        if not public:
            continue
        if r["type"] not in BUCKET_IAM:
            yield f"{_label(r)}: grants {', '.join(public)} outside a bucket's read access"
        elif inputs.get("role") != PUBLIC_ROLE or "allAuthenticatedUsers" in public:
            yield (f"{_label(r)}: grants {inputs.get('role')} to {', '.join(public)}; "
                   f"only {PUBLIC_ROLE} for allUsers may be public")


def no_keys(inventory: list[dict]) -> Iterator[str]:
    """No service-account keys, HMAC keys or API keys: Workload Identity gives short-lived tokens."""
    for r in inventory:
        if r["type"] in KEYS:
            yield f"{_label(r)}: long-lived keys are not allowed; use Workload Identity"
        if r["type"] in SECRETS:
            for field in ("stringData", "data"):
                value = r["inputs"].get(field)
                if isinstance(value, dict) and any(k.endswith(".json") and k != "config.json" for k in value):
                    yield f"{_label(r)}: holds a JSON key file; use Workload Identity"


def no_cluster_admin(inventory: list[dict]) -> Iterator[str]:
    """Nobody is bound to cluster-admin (or the system:masters group)."""
    for r in inventory:
        if r["type"] not in BINDINGS:
            continue
        ref = get_path(r["inputs"], "roleRef", "name")
        if ref == "cluster-admin":
            yield f"{_label(r)}: binds cluster-admin"
        for subject in r["inputs"].get("subjects") or []:
            if subject.get("name") == "system:masters":
                yield f"{_label(r)}: binds the system:masters group"


def no_wildcards(inventory: list[dict]) -> Iterator[str]:
    """Roles name every API group, resource and verb: no '*'."""
    for r in inventory:
        if r["type"] not in ROLES:
            continue
        for i, rule in enumerate(r["inputs"].get("rules") or []):
            for field in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
                if any("*" in str(v) for v in rule.get(field) or []):
                    yield f"{_label(r)}: rules[{i}].{field} has a wildcard"
            if not rule.get("verbs"):
                yield f"{_label(r)}: rules[{i}] has no verbs"


def cronjobs(inventory: list[dict]) -> Iterator[str]:
    """CronJobs: Forbid, starting deadline, both history limits, active deadline, restartPolicy
    Never, a backoff limit, requests and limits, non-root without privilege escalation."""
    for r in inventory:
        if r["type"] != CRONJOB:
            continue
        spec = r["inputs"].get("spec") or {}
        job = get_path(spec, "jobTemplate", "spec") or {}
        pod = get_path(job, "template", "spec") or {}
        label = _label(r)
        if spec.get("concurrencyPolicy") != "Forbid":
            yield f"{label}: concurrencyPolicy must be Forbid, not {spec.get('concurrencyPolicy')!r}"
        for field in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            if not isinstance(spec.get(field), int):
                yield f"{label}: spec.{field} must be set"
        if not isinstance(job.get("activeDeadlineSeconds"), int) or job.get("activeDeadlineSeconds", 0) <= 0:
            yield f"{label}: jobTemplate.spec.activeDeadlineSeconds must be set"
        if not isinstance(job.get("backoffLimit"), int):
            yield f"{label}: jobTemplate.spec.backoffLimit must be set"
        if pod.get("restartPolicy") != "Never":
            yield f"{label}: restartPolicy must be Never, not {pod.get('restartPolicy')!r}"
        pod_sc = pod.get("securityContext") or {}
        for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
            yield from _container_problems(label, c, pod_sc)


def _container_problems(label: str, c: dict, pod_sc: dict) -> Iterator[str]:
    name = c.get("name", "?")
    res = c.get("resources") or {}
    for kind in ("requests", "limits"):
        for what in ("cpu", "memory"):
            if not get_path(res, kind, what):
                yield f"{label}: container {name} has no {kind}.{what}"
    sc = c.get("securityContext") or {}
    if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
        yield f"{label}: container {name} may run as root (runAsNonRoot)"
    if sc.get("runAsUser", pod_sc.get("runAsUser")) == 0:
        yield f"{label}: container {name} runs as user 0"
    if sc.get("allowPrivilegeEscalation") is not False:
        yield f"{label}: container {name} must set allowPrivilegeEscalation: false"
    if sc.get("privileged"):
        yield f"{label}: container {name} is privileged"


def pinned_images(inventory: list[dict]) -> Iterator[str]:
    """Every container image is pinned (digest or version tag, never latest); every
    third-party release file is a pinned version, not a moving `latest/`."""
    for r in inventory:
        path = POD_CARRIERS.get(r["type"])
        if path:
            pod = get_path(r["inputs"], *path) or {}
            for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
                image = c.get("image") or ""
                problem = image_pin_problem(image) if image else "is empty"
                if problem:
                    yield f"{_label(r)}: container {c.get('name', '?')} image {image!r} {problem}"
        if r["type"] in YAML_GROUPS:
            files = [r["inputs"].get("file")] if r["inputs"].get("file") else list(r["inputs"].get("files") or [])
            for url in files:
                if not layout.is_pinned_release_url(url):
                    yield f"{_label(r)}: {url} is not a pinned release (use .../previous/vX.Y.Z/...)"


def secrets_encrypted(inventory: list[dict]) -> Iterator[str]:
    """Secret data comes from Pulumi secrets: it must reach the provider marked secret."""
    for r in inventory:
        if r["type"] not in SECRETS:
            continue
        for field in ("stringData", "data"):
            value = r["inputs"].get(field)
            if value is None:
                continue
            leaks = ([field] if not isinstance(value, dict) and value != SECRET_PLACEHOLDER else
                     [f"{field}.{k}" for k, v in value.items() if v != SECRET_PLACEHOLDER]
                     if isinstance(value, dict) else [])
            for leak in leaks:
                yield f"{_label(r)}: {leak} is not a Pulumi secret (use config.require_secret)"


def typed_objects(inventory: list[dict]) -> Iterator[str]:
    """Only Tekton's own release files come in as YAML groups."""
    for r in inventory:
        if r["type"] in YAML_GROUPS:
            files = [r["inputs"].get("file")] if r["inputs"].get("file") else list(r["inputs"].get("files") or [])
            if r["inputs"].get("yaml") or r["inputs"].get("objs") or not files:
                yield f"{_label(r)}: inline YAML; declare typed resources instead"
            for url in files:
                if not url.startswith("https://infra.tekton.dev/tekton-releases/"):
                    yield f"{_label(r)}: {url} is not a Tekton release file; declare typed resources instead"


def explicit_provider(inventory: list[dict]) -> Iterator[str]:
    """Every Kubernetes resource goes through the stack's provider, never the ambient kubeconfig
    of whoever runs `pulumi up`; every GitHub resource through the organisation's provider, never
    the caller's GITHUB_OWNER and GITHUB_TOKEN."""
    for r in inventory:
        if r["type"].startswith("kubernetes:") and not r.get("provider"):
            yield f"{_label(r)}: no explicit Kubernetes provider (it would use the caller's current context)"
        if r["type"].startswith("github:") and not r.get("provider"):
            yield f"{_label(r)}: no explicit GitHub provider (it would use the caller's GITHUB_OWNER and token)"


def cluster_hardening(inventory: list[dict]) -> Iterator[str]:
    """GKE: Workload Identity, legacy ABAC off, a release channel, shielded nodes; node pools
    autoscale, hide node metadata (GKE_METADATA) and use secure boot."""
    for r in inventory:
        i = r["inputs"]
        if r["type"] == "gcp:container/cluster:Cluster":
            if not get_path(i, "workloadIdentityConfig", "workloadPool"):
                yield f"{_label(r)}: Workload Identity is off (workloadIdentityConfig.workloadPool)"
            if i.get("enableLegacyAbac") is not False:
                yield f"{_label(r)}: legacy ABAC must be explicitly off"
            if not get_path(i, "releaseChannel", "channel") or get_path(i, "releaseChannel", "channel") == "UNSPECIFIED":
                yield f"{_label(r)}: no release channel"
            if i.get("enableShieldedNodes") is not True:
                yield f"{_label(r)}: shielded nodes are off"
        if r["type"] == "gcp:container/nodePool:NodePool":
            if not get_path(i, "autoscaling", "maxNodeCount"):
                yield f"{_label(r)}: no autoscaling"
            if get_path(i, "nodeConfig", "workloadMetadataConfig", "mode") != "GKE_METADATA":
                yield f"{_label(r)}: node metadata is exposed to pods (workloadMetadataConfig.mode GKE_METADATA)"
            if get_path(i, "nodeConfig", "shieldedInstanceConfig", "enableSecureBoot") is not True:
                yield f"{_label(r)}: secure boot is off"


def bucket_settings(inventory: list[dict]) -> Iterator[str]:
    """The release bucket keeps versions; the nightly bucket deletes old nightlies."""
    for r in inventory:
        if r["type"] != BUCKET:
            continue
        kind = get_path(r["inputs"], "labels", "plumbing")
        if kind == "release" and get_path(r["inputs"], "versioning", "enabled") is not True:
            yield f"{_label(r)}: the release bucket must have object versioning"
        if kind == "nightly" and not any(
                get_path(rule, "action", "type") == "Delete" and get_path(rule, "condition", "age")
                for rule in r["inputs"].get("lifecycleRules") or []):
            yield f"{_label(r)}: the nightly bucket needs a lifecycle rule deleting old nightlies"


def dashboard_read_only(inventory: list[dict]) -> Iterator[str]:
    """The Dashboard is installed read-only (release.yaml, not release-full.yaml)."""
    for r in inventory:
        if r["type"] in YAML_GROUPS:
            files = [r["inputs"].get("file")] if r["inputs"].get("file") else list(r["inputs"].get("files") or [])
            for url in files:
                if "/dashboard/" in url and not url.endswith("/release.yaml"):
                    yield f"{_label(r)}: {url} is not the Dashboard's read-only release.yaml"


def _namespaced_name(r: dict) -> tuple:
    return get_path(r["inputs"], "metadata", "namespace"), get_path(r["inputs"], "metadata", "name")


def _testers(inventory: list[dict], purpose: str) -> set[tuple]:
    """(namespace, name) of every service account marked as the post-release tester."""
    return {_namespaced_name(r) for r in inventory if r["type"] == "kubernetes:core/v1:ServiceAccount"
            and get_path(r["inputs"], "metadata", "annotations", "plumbing.tekton.dev/purpose") == purpose}


def _role_rule_problems(role: dict, is_tester: bool, launcher_role: str, allowed: list) -> Iterator[str]:
    """A tester's Role may not change Tekton objects; the launcher Role grants only its rules."""
    is_launcher = get_path(role["inputs"], "metadata", "name") == launcher_role
    for i, rule in enumerate(role["inputs"].get("rules") or []):
        groups, verbs = rule.get("apiGroups") or [], set(rule.get("verbs") or [])
        if is_tester and "tekton.dev" in groups and verbs - {"get", "list", "watch"}:
            yield f"{_label(role)}: rules[{i}] lets the post-release tester change Tekton objects"
        if is_launcher and (sorted(groups), sorted(rule.get("resources") or []), sorted(verbs)) not in allowed:
            yield f"{_label(role)}: rules[{i}] grants more than creating and reading PipelineRuns"


def post_release_test_isolation(inventory: list[dict]) -> Iterator[str]:
    """The throwaway test clusters cannot touch the dogfooding cluster: the tester's rights are
    a Role in the test namespace (never cluster-wide), its Role grants no Tekton writes, and the
    release runs may only create and read PipelineRuns there."""
    from plumbing.inventory.posttest import LAUNCH_RULES, LAUNCHER_ROLE, TESTER_PURPOSE

    testers = _testers(inventory, TESTER_PURPOSE)
    roles = {_namespaced_name(r): r for r in inventory if r["type"] == ROLES[0]}
    allowed = [(sorted(x["api_groups"]), sorted(x["resources"]), sorted(x["verbs"])) for x in LAUNCH_RULES]
    for r in (r for r in inventory if r["type"] in BINDINGS):
        ns = get_path(r["inputs"], "metadata", "namespace")
        tester = {(s.get("namespace"), s.get("name")) for s in r["inputs"].get("subjects") or []} & testers
        if tester and (r["type"] == BINDINGS[1] or any(t_ns != ns for t_ns, _ in tester)):
            yield f"{_label(r)}: binds the post-release tester outside its own namespace"
            continue
        role = roles.get((ns, get_path(r["inputs"], "roleRef", "name")))
        if role is not None:
            yield from _role_rule_problems(role, bool(tester), LAUNCHER_ROLE, allowed)


def _of(inventory: list[dict], type_: str) -> list[dict]:
    return [r for r in inventory if r["type"] == type_]


def _protections(inventory: list[dict]) -> dict[tuple, dict]:
    return {(r["inputs"].get("repositoryId"), r["inputs"].get("pattern")): r for r in _of(inventory, GH_PROTECTION)}


def _reviews(rule: dict) -> int:
    return max([x.get("requiredApprovingReviewCount") or 0
                for x in rule["inputs"].get("requiredPullRequestReviews") or []] or [0])


def github_protected_branches(inventory: list[dict]) -> Iterator[str]:
    """Every repository's default branch has a protection rule requiring at least one approving review."""
    protections = _protections(inventory)
    for r in _of(inventory, GH_DEFAULT_BRANCH):
        key = (r["inputs"].get("repository"), r["inputs"].get("branch"))
        rule = protections.get(key)
        if rule is None:
            yield f"{_label(r)}: default branch {key[1]!r} of {key[0]} has no protection rule"
        elif _reviews(rule) < 1:
            yield f"{_label(rule)}: merges into the default branch without an approving review"


def github_no_bypass(inventory: list[dict]) -> Iterator[str]:
    """No protection rule allows force pushes (for anyone) or lets administrators bypass it."""
    for r in _of(inventory, GH_PROTECTION):
        i = r["inputs"]
        if i.get("allowsForcePushes") is not False or i.get("forcePushBypassers"):
            yield f"{_label(r)}: allows force pushes (allowsForcePushes must be false, no forcePushBypassers)"
        if i.get("enforceAdmins") is not True:
            yield f"{_label(r)}: administrators bypass it (enforceAdmins must be true)"
        if any(x.get("pullRequestBypassers") for x in i.get("requiredPullRequestReviews") or []):
            yield f"{_label(r)}: lets someone bypass pull requests (pullRequestBypassers)"


def github_team_size(inventory: list[dict]) -> Iterator[str]:
    """Every team that can push to a repository has at least two members: no one merges alone,
    and no repository hangs on one person."""
    from plumbing.github_org import PUSH_PERMISSIONS, team_slug

    members: dict[str, int] = {}
    for r in _of(inventory, GH_MEMBERSHIP):
        members[r["inputs"].get("teamId")] = members.get(r["inputs"].get("teamId"), 0) + 1
    pushers = {r["inputs"].get("teamId") for r in _of(inventory, GH_TEAM_REPO)
               if r["inputs"].get("permission") in PUSH_PERMISSIONS}
    for team in _of(inventory, GH_TEAM):
        slug = team_slug(team["inputs"].get("name", ""))
        if slug in pushers and members.get(slug, 0) < 2:
            yield f"{_label(team)}: can push but has {members.get(slug, 0)} member(s); at least 2"


def github_no_admin_collaborators(inventory: list[dict]) -> Iterator[str]:
    """Nobody has admin on a repository as an individual collaborator: admin comes through a team."""
    for r in inventory:
        if r["type"] == GH_COLLABORATOR and r["inputs"].get("permission") == "admin":
            yield f"{_label(r)}: gives {r['inputs'].get('username')} admin on {r['inputs'].get('repository')} outside a team"
        if r["type"] == GH_COLLABORATORS:
            for user in r["inputs"].get("users") or []:
                if user.get("permission") == "admin":
                    yield f"{_label(r)}: gives {user.get('username')} admin outside a team"


POLICIES = {
    "public-access": public_access,
    "no-keys": no_keys,
    "no-cluster-admin": no_cluster_admin,
    "no-wildcards": no_wildcards,
    "cronjob-spec": cronjobs,
    "pinned-images": pinned_images,
    "secrets-encrypted": secrets_encrypted,
    "typed-objects": typed_objects,
    "explicit-provider": explicit_provider,
    "cluster-hardening": cluster_hardening,
    "bucket-settings": bucket_settings,
    "dashboard-read-only": dashboard_read_only,
    # Each project isolated: its own prefix, registry path and identities (isolation_policies.py).
    **isolation_policies.POLICIES,
    "post-release-test-isolation": post_release_test_isolation,
    "github-protected-branches": github_protected_branches,
    "github-no-bypass": github_no_bypass,
    "github-team-size": github_team_size,
    "github-no-admin-collaborators": github_no_admin_collaborators,
    "deployed-image": cd_policies.deployed_image,
    "deployer-least-privilege": cd_policies.deployer_least_privilege,
    "state-bucket": cd_policies.state_bucket,
}


def check(inventory: list[dict]) -> list[tuple[str, str]]:
    """Every (policy id, message) the inventory breaks."""
    return [(pid, msg) for pid, fn in POLICIES.items() for msg in fn(inventory)]


def coverage(inventory: list[dict], expected: list) -> list[str]:
    """One CronJob per expected job (model.Job: name, namespace, schedule, command), nothing else."""
    found: dict[tuple, list[dict]] = {}
    for r in inventory:
        if r["type"] == CRONJOB:
            meta = r["inputs"].get("metadata") or {}
            found.setdefault((meta.get("namespace"), meta.get("name")), []).append(r)
    out = []
    for job in expected:
        hits = found.pop((job.namespace, job.name), [])
        if len(hits) != 1:
            out.append(f"{CRONJOB} {job.namespace}/{job.name}: expected exactly one for {job.source}, found {len(hits)}")
            continue
        spec = hits[0]["inputs"].get("spec") or {}
        if spec.get("schedule") != job.schedule:
            out.append(f"{_label(hits[0])}: schedule {spec.get('schedule')!r} differs from {job.source} ({job.schedule!r})")
        containers = get_path(spec, "jobTemplate", "spec", "template", "spec", "containers") or []
        commands = [c.get("command") for c in containers]
        if list(job.command) not in commands:
            out.append(f"{_label(hits[0])}: does not run {' '.join(job.command)!r}")
        if get_path(spec, "jobTemplate", "spec", "template", "spec", "serviceAccountName") != job.service_account:
            out.append(f"{_label(hits[0])}: must run as {job.service_account}")
    for (ns, name), hits in sorted(found.items()):
        for r in hits:
            out.append(f"{_label(r)}: {ns}/{name} matches no releases/, images/ or cronjobs/ entry")
    return out


def github_released(inventory: list[dict], released: list[tuple[str, str, str]],
                    pr_check: tuple[str, str] | None) -> list[str]:
    """When the stack declares the GitHub organisation: every released project's repository
    (releases/, as (name, default branch, source)) is declared with its default branch protected
    and the labels the release notes sort by; this repository's default branch requires the PR
    check (pr_check: (repository, status context)), the only repository whose PRs it checks."""
    from plumbing.github_org import RELEASE_NOTE_LABELS

    if not _of(inventory, GH_ORG):
        return []
    repos = {r["inputs"].get("name"): r for r in _of(inventory, GH_REPOSITORY)}
    protections = _protections(inventory)
    labels = {(r["inputs"].get("repository"), r["inputs"].get("name")) for r in _of(inventory, GH_LABEL)}
    out = []
    for name, branch, source in released:
        if name not in repos:
            out.append(f"{GH_REPOSITORY} {name}: {source} releases from it, but it is not declared")
            continue
        if (name, branch) not in protections:
            out.append(f"{_label(repos[name])}: default branch {branch!r} ({source}) is not protected")
        missing = [x for x in RELEASE_NOTE_LABELS if (name, x) not in labels]
        if missing:
            out.append(f"{_label(repos[name])}: lacks the release-note labels {', '.join(missing)}")
    if pr_check is not None:
        name, context = pr_check
        branch = next((r["inputs"].get("branch") for r in _of(inventory, GH_DEFAULT_BRANCH)
                       if r["inputs"].get("repository") == name), "main")
        rule = protections.get((name, branch))
        contexts = [c for s in (rule or {}).get("inputs", {}).get("requiredStatusChecks") or [] for c in s.get("contexts") or []]
        if rule is None:
            out.append(f"{GH_PROTECTION} {name}/{branch}: this repository's default branch is not protected")
        elif context not in contexts:
            out.append(f"{_label(rule)}: does not require the PR check {context!r}")
    return out
