"""Namespaces for nightlies, full releases and CI, the Kubernetes service accounts, and Roles
that let each one do exactly its job: explicit verbs and resources (never '*'), bound in its
own namespace, nobody bound to cluster-admin. Service accounts without a Role get no token."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from plumbing.inventory.isolation import MODE_LABEL, PROJECT_LABEL
from plumbing.inventory.isolation import namespaces as project_namespaces

MANAGED = {"app.kubernetes.io/managed-by": "plumbing"}


def _rules(rules):
    return [k8s.rbac.v1.PolicyRuleArgs(api_groups=list(r["api_groups"]), resources=list(r["resources"]),
                                       verbs=list(r["verbs"]), resource_names=r.get("resource_names"))
            for r in rules]


class Access(pulumi.ComponentResource):
    def __init__(self, name: str, *, repo, identities, emails, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Access", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        # The org's own (image builds, scheduled jobs, CI), then one per released project and mode.
        spaces = [(key, ns, {"plumbing.tekton.dev/purpose": key}) for key, ns in repo.org.namespaces.items()]
        spaces += [(s.key, s.name, {"plumbing.tekton.dev/purpose": "release", PROJECT_LABEL: s.project,
                                    MODE_LABEL: s.mode}) for s in project_namespaces(repo)]
        for key, ns, labels in spaces:
            self.namespaces[key] = k8s.core.v1.Namespace(
                f"{name}-ns-{key.replace('/', '-')}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels={
                    **MANAGED, **labels,
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted"}),
                opts=child)
        self.service_accounts: dict[str, k8s.core.v1.ServiceAccount] = {}
        for ident in identities:
            ns = self.namespaces[ident.namespace_key]
            annotations = {"plumbing.tekton.dev/purpose": ident.purpose}
            if ident.key in emails:
                annotations["iam.gke.io/gcp-service-account"] = emails[ident.key]
            sa = k8s.core.v1.ServiceAccount(
                f"{name}-sa-{ident.namespace_key.replace('/', '-')}-{ident.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ident.name, namespace=ns.metadata.name,
                                                    labels=MANAGED, annotations=annotations),
                automount_service_account_token=bool(ident.rules or ident.cluster_rules),
                opts=child)
            self.service_accounts[ident.key] = sa
            subject = k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=ident.name, namespace=ns.metadata.name)
            if ident.rules:
                role = k8s.rbac.v1.Role(
                    f"{name}-role-{ident.namespace_key.replace('/', '-')}-{ident.name}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=ident.name, namespace=ns.metadata.name, labels=MANAGED),
                    rules=_rules(ident.rules), opts=child)
                k8s.rbac.v1.RoleBinding(
                    f"{name}-binding-{ident.namespace_key.replace('/', '-')}-{ident.name}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=ident.name, namespace=ns.metadata.name, labels=MANAGED),
                    role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role",
                                                     name=role.metadata.name),
                    subjects=[subject], opts=child)
            if ident.cluster_rules:
                cluster_name = f"plumbing-{ident.namespace}-{ident.name}"
                role = k8s.rbac.v1.ClusterRole(
                    f"{name}-clusterrole-{ident.namespace_key.replace('/', '-')}-{ident.name}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=cluster_name, labels=MANAGED),
                    rules=_rules(ident.cluster_rules), opts=child)
                k8s.rbac.v1.ClusterRoleBinding(
                    f"{name}-clusterbinding-{ident.namespace_key.replace('/', '-')}-{ident.name}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=cluster_name, labels=MANAGED),
                    role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole",
                                                     name=role.metadata.name),
                    subjects=[subject], opts=child)
        self.register_outputs({"namespaces": {k: v.metadata.name for k, v in self.namespaces.items()}})
