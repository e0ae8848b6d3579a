"""Post-release testing's cluster side beyond its identity (declared in Access): the release
runs may start test runs in the test namespace (a Role there, bound to their service accounts),
and a ResourceQuota caps the throwaway vclusters. See plumbing.inventory.posttest."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra.access import MANAGED, _rules
from plumbing.inventory import posttest


class PostReleaseTests(pulumi.ComponentResource):
    def __init__(self, name: str, *, repo, namespace: k8s.core.v1.Namespace,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:PostReleaseTests", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns = namespace.metadata.name
        role = k8s.rbac.v1.Role(
            f"{name}-launcher-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=posttest.LAUNCHER_ROLE, namespace=ns, labels=MANAGED),
            rules=_rules(posttest.LAUNCH_RULES), opts=child)
        k8s.rbac.v1.RoleBinding(
            f"{name}-launcher-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=posttest.LAUNCHER_ROLE, namespace=ns, labels=MANAGED),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role",
                                             name=role.metadata.name),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=sa, namespace=sa_ns)
                      for sa_ns, sa in posttest.launchers(repo)],
            opts=child)
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="post-release-tests", namespace=ns, labels=MANAGED),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=dict(posttest.QUOTA)), opts=child)
        self.register_outputs({"namespace": ns})
