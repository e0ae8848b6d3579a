"""Policies for continuous deployment: what the CronJobs run is an output of deployment."""

from __future__ import annotations

from collections.abc import Iterator

from plumbing.inventory.report import get_path

CRONJOB = "kubernetes:batch/v1:CronJob"


def deployed_image(inventory: list[dict]) -> Iterator[str]:
    """Every CronJob runs the plumbing image by digest (the one the deploy pipeline built for the
    deployed commit), never a hand-pinned tag such as tool_images.plumbing's."""
    for r in inventory:
        if r["type"] != CRONJOB:
            continue
        pod = get_path(r["inputs"], "spec", "jobTemplate", "spec", "template", "spec") or {}
        for c in pod.get("containers") or []:
            image = c.get("image") or ""
            if "@sha256:" not in image:
                yield (f"{CRONJOB} {r['name']}: container {c.get('name', '?')} runs "
                       f"{image!r}, a hand-pinned tag; CronJobs run the digest the deploy sets (plumbing:plumbingImage)")


CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
STATE_LABEL = "pulumi-state"
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"


def _resource_of(type_: str) -> tuple[str, str] | None:
    """kubernetes:batch/v1:CronJob -> ("batch", "cronjobs"); core -> ""; *Patch -> the patched kind."""
    if not type_.startswith("kubernetes:") or type_.startswith("kubernetes:yaml/") or "/" not in type_:
        return None
    group_version, kind = type_[len("kubernetes:"):].rsplit(":", 1)
    group = group_version.rsplit("/", 1)[0]
    kind = kind.removesuffix("Patch").lower()
    return ("" if group == "core" else group), kind + ("es" if kind.endswith("s") else "s")


def deployer_least_privilege(inventory: list[dict]) -> Iterator[str]:
    """The deployer's ClusterRole covers every kind the program applies and nothing the program
    does not declare, install from Tekton's release files or read in verification."""
    from plumbing.inventory import deployer

    roles = [r for r in inventory if r["type"] == CLUSTER_ROLE
             and get_path(r["inputs"], "metadata", "name") == deployer.SERVICE_ACCOUNT]
    if len(roles) != 1:
        yield f"{CLUSTER_ROLE} deployer-clusterrole: expected one ClusterRole {deployer.SERVICE_ACCOUNT!r}, found {len(roles)}"
        return
    role = roles[0]
    allowed = _allowed_verbs(role)
    used = {res for r in inventory if (res := _resource_of(r["type"]))}
    label = f"{CLUSTER_ROLE} {role['name']}"
    yield from _cannot_apply(label, allowed, used)
    yield from _undeclared(label, allowed, used)


def _allowed_verbs(role: dict) -> dict[tuple[str, str], set]:
    """{(api group, resource): verbs} the role's rules grant."""
    allowed: dict[tuple[str, str], set] = {}
    for rule in role["inputs"].get("rules") or []:
        for group in rule.get("apiGroups") or []:
            for resource in rule.get("resources") or []:
                allowed.setdefault((group, resource), set()).update(rule.get("verbs") or [])
    return allowed


def _cannot_apply(label: str, allowed: dict, used: set) -> Iterator[str]:
    """Too little: a kind the program applies that the role may not apply."""
    from plumbing.inventory import deployer

    for group, resource in sorted(used):
        missing = set(deployer.APPLY) - allowed.get((group, resource), set())
        if missing:
            yield f"{label}: cannot {','.join(sorted(missing))} {group or 'core'}/{resource}, which the program applies"


def _undeclared(label: str, allowed: dict, used: set) -> Iterator[str]:
    """Too much: a kind the role grants that neither the program, Tekton's release files nor
    verification needs."""
    from plumbing.inventory import deployer

    verify = {(g, res) for rule in deployer.VERIFY_RULES for g in rule["api_groups"] for res in rule["resources"]}
    for group, resource in sorted(set(allowed) - used - deployer.RELEASE_FILE_RESOURCES - verify):
        yield f"{label}: may touch {group or 'core'}/{resource}, which the program does not declare"


def state_bucket(inventory: list[dict]) -> Iterator[str]:
    """The Pulumi state bucket is versioned, never public, and only the deployer may write it."""
    for r in inventory:
        if r["type"] == BUCKET and get_path(r["inputs"], "labels", "plumbing") == STATE_LABEL:
            label = f"{BUCKET} {r['name']}"
            if get_path(r["inputs"], "versioning", "enabled") is not True:
                yield f"{label}: the Pulumi state bucket must keep versions"
            if r["inputs"].get("publicAccessPrevention") != "enforced":
                yield f"{label}: the Pulumi state bucket must enforce public access prevention"
            name = r["inputs"].get("name")
            for m in inventory:
                if m["type"] == BUCKET_MEMBER and m["inputs"].get("bucket") == name and \
                        "plumbing-deployer@" not in str(m["inputs"].get("member")):
                    yield f"{BUCKET_MEMBER} {m['name']}: {m['inputs'].get('member')} may not access the state bucket"
