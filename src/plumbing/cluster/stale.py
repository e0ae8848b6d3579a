"""`plumbing infra stale -s STACK [--delete]`: objects the program manages the places of but does
not declare: made by hand, or left by an older program.

Looked at: the kinds the program declares (CronJobs, ServiceAccounts, Secrets, ConfigMaps,
Roles, RoleBindings) in every namespace the program declares, and cluster objects (ClusterRoles,
ClusterRoleBindings) labelled as the program's. Namespaces are not listed: one the program
stops declaring is deleted by `pulumi up` (it is in the state), and deleting a namespace by
mistake deletes everything in it. Never stale: objects owned by
another (ownerReferences: a CronJob's Jobs), what Kubernetes makes in every namespace (the
`default` ServiceAccount, `kube-root-ca.crt`), and anything the inventory declares.
`--delete` removes stale CronJobs, Secrets and ConfigMaps; RBAC (ServiceAccounts, Roles,
bindings) only when named with `--include KIND/[NAMESPACE/]NAME`. Dry run by default.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

MANAGED_LABEL = ("app.kubernetes.io/managed-by", "plumbing")
BUILTIN = {("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")}
PROTECTED = {"Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
             "CustomResourceDefinition"}


@dataclass(frozen=True)
class Obj:
    kind: str
    namespace: str | None
    name: str

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


def _apis(target):
    from kubernetes import client

    core, batch = client.CoreV1Api(target.api_client), client.BatchV1Api(target.api_client)
    rbac = client.RbacAuthorizationV1Api(target.api_client)
    namespaced = {
        "CronJob": (batch.list_namespaced_cron_job, batch.delete_namespaced_cron_job),
        "ServiceAccount": (core.list_namespaced_service_account, core.delete_namespaced_service_account),
        "Secret": (core.list_namespaced_secret, core.delete_namespaced_secret),
        "ConfigMap": (core.list_namespaced_config_map, core.delete_namespaced_config_map),
        "Role": (rbac.list_namespaced_role, rbac.delete_namespaced_role),
        "RoleBinding": (rbac.list_namespaced_role_binding, rbac.delete_namespaced_role_binding),
    }
    cluster = {
        "ClusterRole": (rbac.list_cluster_role, rbac.delete_cluster_role),
        "ClusterRoleBinding": (rbac.list_cluster_role_binding, rbac.delete_cluster_role_binding),
    }
    return namespaced, cluster


def declared(inventory: list[dict]) -> tuple[set[Obj], list[str]]:
    """(every Kubernetes object the inventory declares, the namespaces it declares)."""
    objs, namespaces = set(), []
    for r in inventory:
        if not r["type"].startswith("kubernetes:") or r["type"].startswith("kubernetes:yaml/"):
            continue
        kind = r["type"].rsplit(":", 1)[-1]
        meta = r["inputs"].get("metadata") or {}
        if not isinstance(meta.get("name"), str):
            continue
        objs.add(Obj(kind, meta.get("namespace"), meta["name"]))
        if kind == "Namespace":
            namespaces.append(meta["name"])
    return objs, sorted(namespaces)


def _items(call, *args) -> list[dict]:
    return json.loads(call(*args, _preload_content=False).data).get("items") or []


def find(target, inventory: list[dict]) -> list[Obj]:
    want, namespaces = declared(inventory)
    namespaced, cluster = _apis(target)
    found = []
    for ns in namespaces:
        for kind, (list_fn, _) in namespaced.items():
            for item in _items(list_fn, ns):
                meta = item.get("metadata") or {}
                if meta.get("ownerReferences") or (kind, meta.get("name")) in BUILTIN:
                    continue
                if kind == "Secret" and item.get("type") == "kubernetes.io/service-account-token":
                    continue
                found.append(Obj(kind, ns, meta.get("name")))
    for kind, (list_fn, _) in cluster.items():
        for item in _items(list_fn):
            meta = item.get("metadata") or {}
            if (meta.get("labels") or {}).get(MANAGED_LABEL[0]) == MANAGED_LABEL[1]:
                found.append(Obj(kind, None, meta.get("name")))
    return sorted((o for o in found if o not in want), key=lambda o: o.ref)


def delete(target, stale: list[Obj], include: set[str]) -> tuple[list[Obj], list[Obj]]:
    """(deleted, kept): protected kinds are kept unless their ref is in `include`."""
    namespaced, cluster = _apis(target)
    deleted, kept = [], []
    for obj in stale:
        if obj.kind in PROTECTED and obj.ref not in include:
            kept.append(obj)
            continue
        if obj.namespace:
            namespaced[obj.kind][1](obj.name, obj.namespace)
        else:
            cluster[obj.kind][1](obj.name)
        deleted.append(obj)
    return deleted, kept


def to_json(stack: str, stale: list[Obj], deleted: list[Obj], kept: list[Obj]) -> dict:
    return {"stack": stack, "stale": [asdict(o) for o in stale], "deleted": [o.ref for o in deleted],
            "kept": [o.ref for o in kept]}
