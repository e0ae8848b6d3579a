"""Printing a plan's inventory for people, and diffing two inventories for review.

An inventory is what `plumbing.inventory.mocks.plan` returns and `plumbing infra plan --output
json` prints under "resources": [{type, name, component, inputs}]. A diff keys resources by
(type, logical name), like Pulumi's URNs, and compares inputs by dotted path.
"""

from __future__ import annotations

import json
from pathlib import Path

from plumbing.findings import ConfigError


def get_path(d, *path):
    """d[path[0]][path[1]]..., or None where the path leaves the mappings."""
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _k8s_name(inputs: dict) -> str:
    meta = inputs.get("metadata") or {}
    return f"{meta['namespace']}/{meta.get('name')}" if meta.get("namespace") else str(meta.get("name"))


def key_inputs(r: dict) -> str:
    """The few inputs that say what a resource is, on one line."""
    t, i = r["type"], r["inputs"]
    if t.startswith("plumbing:infra:"):
        return ""
    if t.startswith("gcp:"):
        summary = _gcp_inputs(t, i)
        if summary is not None:
            return summary
    for matches, summarise in _SUMMARISERS:
        if matches(t):
            return summarise(t, i)
    # Kinds without a summariser (and GCP types _gcp_inputs does not know) fall through to here.
    if "metadata" in i:
        return _k8s_name(i)
    return _scalars(i)


def _scalars(i: dict) -> str:
    """The first few scalar inputs by name: better than nothing for a type no one summarised."""
    scalars = [f"{k}={v}" for k, v in sorted(i.items()) if isinstance(v, (str, int, float, bool))]
    return " ".join(scalars[:4])


def _provider_inputs(t: str, i: dict) -> str:
    return f"context={i['context']}" if i.get("context") else "kubeconfig from the cluster"


def _yaml_inputs(t: str, i: dict) -> str:
    return f"file={i.get('file') or i.get('files')}"


def _cronjob_inputs(t: str, i: dict) -> str:
    spec = i.get("spec") or {}
    pod = get_path(spec, "jobTemplate", "spec", "template", "spec") or {}
    cmd = " ".join((pod.get("containers") or [{}])[0].get("command") or [])
    return (f"{_k8s_name(i)} schedule={spec.get('schedule')!r} sa={pod.get('serviceAccountName')} "
            f"deadline={get_path(spec, 'jobTemplate', 'spec', 'activeDeadlineSeconds')}s run={cmd!r}")


def _role_inputs(t: str, i: dict) -> str:
    rules = "; ".join(f"{','.join(rule.get('verbs') or [])} {','.join(rule.get('resources') or [])}"
                      + (f" ({','.join(rule['resourceNames'])})" if rule.get("resourceNames") else "")
                      for rule in i.get("rules") or [])
    return f"{_k8s_name(i)} [{rules}]"


def _binding_inputs(t: str, i: dict) -> str:
    subjects = ",".join(f"{s.get('namespace', '')}/{s.get('name')}" for s in i.get("subjects") or [])
    return f"{_k8s_name(i)} {get_path(i, 'roleRef', 'kind')}/{get_path(i, 'roleRef', 'name')} -> {subjects}"


def _secret_inputs(t: str, i: dict) -> str:
    keys = (get_path(i, "metadata", "annotations", "plumbing.tekton.dev/config-keys") or "")
    return f"{_k8s_name(i)} from config {keys}".rstrip() if keys else _k8s_name(i)


def _service_account_inputs(t: str, i: dict) -> str:
    gsa = get_path(i, "metadata", "annotations", "iam.gke.io/gcp-service-account")
    return _k8s_name(i) + (f" -> {gsa}" if gsa else "")


def _config_map_patch_inputs(t: str, i: dict) -> str:
    return f"{_k8s_name(i)} keys={','.join(sorted(i.get('data') or {}))}"


def _gcp_inputs(t: str, i: dict) -> str | None:
    if t == "gcp:container/cluster:Cluster":
        return (f"name={i.get('name')} location={i.get('location')} "
                f"workloadPool={get_path(i, 'workloadIdentityConfig', 'workloadPool')} "
                f"releaseChannel={get_path(i, 'releaseChannel', 'channel')} legacyAbac={i.get('enableLegacyAbac')} "
                f"shieldedNodes={i.get('enableShieldedNodes')}")
    if t == "gcp:container/nodePool:NodePool":
        return (f"machineType={get_path(i, 'nodeConfig', 'machineType')} "
                f"autoscaling={get_path(i, 'autoscaling', 'minNodeCount')}..{get_path(i, 'autoscaling', 'maxNodeCount')} "
                f"workloadMetadata={get_path(i, 'nodeConfig', 'workloadMetadataConfig', 'mode')}")
    if t == "gcp:storage/bucket:Bucket":
        return (f"name={i.get('name')} uniformAccess={i.get('uniformBucketLevelAccess')} "
                f"versioning={get_path(i, 'versioning', 'enabled')} lifecycleRules={len(i.get('lifecycleRules') or [])}")
    if "IAMMember" in t:
        where = i.get("bucket") or i.get("serviceAccountId") or i.get("project") or ""
        return f"{i.get('role')} -> {i.get('member')} on {where}"
    if t == "gcp:serviceaccount/account:Account":
        return f"accountId={i.get('accountId')}"
    return None


def _github_inputs(t: str, i: dict) -> str:
    if t == "pulumi:providers:github":
        return f"owner={i.get('owner')} token={i.get('token')}"
    if t == "github:index/branchProtection:BranchProtection":
        reviews = (i.get("requiredPullRequestReviews") or [{}])[0]
        checks = [c for s in i.get("requiredStatusChecks") or [] for c in s.get("contexts") or []]
        return (f"{i.get('repositoryId')} {i.get('pattern')!r} reviews={reviews.get('requiredApprovingReviewCount')} "
                f"checks={checks} enforceAdmins={i.get('enforceAdmins')} forcePushes={i.get('allowsForcePushes')} "
                f"deletions={i.get('allowsDeletions')}")
    if t == "github:index/repository:Repository":
        merge = [m for m, key in (("squash", "allowSquashMerge"), ("merge", "allowMergeCommit"),
                                  ("rebase", "allowRebaseMerge")) if i.get(key)]
        return (f"{i.get('name')} visibility={i.get('visibility')} merge={','.join(merge)} "
                f"deleteBranchOnMerge={i.get('deleteBranchOnMerge')}")
    if t == "github:index/teamMembership:TeamMembership":
        return f"{i.get('username')} in {i.get('teamId')} as {i.get('role')}"
    if t == "github:index/teamRepository:TeamRepository":
        return f"{i.get('teamId')} {i.get('permission')} on {i.get('repository')}"
    if t == "github:index/issueLabel:IssueLabel":
        return f"{i.get('repository')}: {i.get('name')!r} #{i.get('color')}"
    return _scalars(i)


# (does this summariser apply to the type?, summariser), tried in order: the first match wins, so
# the GitHub provider comes before the other providers and exact kinds before broad suffixes.
_SUMMARISERS = (
    (lambda t: t.startswith("github:") or t == "pulumi:providers:github", _github_inputs),
    (lambda t: t.startswith("pulumi:providers:"), _provider_inputs),
    (lambda t: t.startswith("kubernetes:yaml/"), _yaml_inputs),
    (lambda t: t == "kubernetes:batch/v1:CronJob", _cronjob_inputs),
    (lambda t: t.endswith((":Role", ":ClusterRole")), _role_inputs),
    (lambda t: t.endswith("Binding"), _binding_inputs),
    (lambda t: t in ("kubernetes:core/v1:Secret", "kubernetes:core/v1:SecretPatch"), _secret_inputs),
    (lambda t: t == "kubernetes:core/v1:ServiceAccount", _service_account_inputs),
    (lambda t: t == "kubernetes:core/v1:ConfigMapPatch", _config_map_patch_inputs),
)


def format_text(inventory: list[dict], stack: str) -> str:
    components = [r for r in inventory if r["type"].startswith("plumbing:infra:")]
    lines = [f"stack {stack}: {len(inventory) - len(components)} resources in {len(components)} components"]
    for comp in components:
        members = [r for r in inventory if r["component"] == comp["name"] and r is not comp]
        lines.append("")
        lines.append(f"{comp['name']} ({comp['type']}, {len(members)} resources)")
        for r in members:
            lines.append(f"  {r['type']}  {r['name']}")
            summary = key_inputs(r)
            if summary:
                lines.append(f"      {summary}")
            if r.get("import"):
                lines.append(f"      import {r['import']!r}")
    loose = [r for r in inventory if not r["component"]]
    if loose:
        lines.append("")
        lines.append("(outside any component)")
        lines += [f"  {r['type']}  {r['name']}" for r in loose]
    return "\n".join(lines)


def to_json(inventory: list[dict], stack: str) -> str:
    return json.dumps({"stack": stack, "resources": inventory}, indent=2, sort_keys=False)


def load_saved(path: str | Path) -> list[dict]:
    """A saved `plumbing infra plan --output json`; ConfigError (exit 2) when it is not one."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    resources = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(resources, list) or not all(
            isinstance(r, dict) and isinstance(r.get("type"), str) and isinstance(r.get("name"), str)
            and isinstance(r.get("inputs", {}), dict) for r in resources):
        raise ConfigError(f"{p}: not an inventory; save one with `plumbing infra plan --output json`")
    return resources


def _flatten(value, prefix="") -> dict[str, object]:
    if isinstance(value, dict) and value:
        out = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for n, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{n}]"))
        return out
    return {prefix: value}


def diff(old: list[dict], new: list[dict]) -> dict:
    """{"added": [...], "removed": [...], "changed": [{type, name, changes: [{path, old, new}]}]}."""
    before = {(r["type"], r["name"]): r for r in old}
    after = {(r["type"], r["name"]): r for r in new}
    added = [{"type": t, "name": n} for (t, n) in after if (t, n) not in before]
    removed = [{"type": t, "name": n} for (t, n) in before if (t, n) not in after]
    changed = []
    for key in after:
        if key not in before:
            continue
        a, b = _flatten(before[key].get("inputs", {})), _flatten(after[key].get("inputs", {}))
        changes = [{"path": p, "old": a.get(p), "new": b.get(p)} for p in sorted(set(a) | set(b))
                   if a.get(p) != b.get(p)]
        if changes:
            changed.append({"type": key[0], "name": key[1], "changes": changes})
    return {"added": added, "removed": removed, "changed": changed}


def format_diff(d: dict) -> str:
    if not (d["added"] or d["removed"] or d["changed"]):
        return "no changes"
    lines = [f"{len(d['added'])} to add, {len(d['changed'])} to change, {len(d['removed'])} to remove"]
    lines += [f"+ {r['type']}  {r['name']}" for r in d["added"]]
    lines += [f"- {r['type']}  {r['name']}" for r in d["removed"]]
    for r in d["changed"]:
        lines.append(f"~ {r['type']}  {r['name']}")
        for c in r["changes"]:
            lines.append(f"      {c['path']}: {json.dumps(c['old'])} -> {json.dumps(c['new'])}")
    return "\n".join(lines)
