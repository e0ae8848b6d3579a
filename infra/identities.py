"""Google service accounts bound to Kubernetes service accounts through Workload Identity,
each with bucket roles on exactly the buckets its job writes or reads. No keys anywhere:
pods get short-lived tokens from the GKE metadata server.

Writes are custom roles (plumbing.inventory.isolation) limited by IAM conditions on the object
name: a project's identity creates only under <bucket>/<project>/ and replaces only its latest/
and run records. The break-glass role is declared and bound by nobody."""

from __future__ import annotations

import pulumi
from pulumi_gcp import projects, serviceaccount, storage

from plumbing.inventory.isolation import CUSTOM_ROLES, PROJECT_LABEL, role_name


class Identities(pulumi.ComponentResource):
    def __init__(self, name: str, *, identities, buckets, settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Identities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        by_id = {role.role_id: role for role in CUSTOM_ROLES}
        roles = {role.role_id: projects.IAMCustomRole(
            f"{name}-role-{role.role_id}", role_id=role.role_id, title=role.title, description=role.description,
            permissions=list(role.permissions), project=settings.gcp_project, opts=child) for role in CUSTOM_ROLES}
        self.emails: dict[str, pulumi.Output] = {}
        for ident in identities:
            if not ident.gcp:
                continue
            account = serviceaccount.Account(
                f"{name}-{ident.name}", account_id=ident.gcp_id,
                display_name=f"{ident.key}: {ident.purpose}"[:100],
                # Read by the policies: whose prefix and registry path this identity may write.
                description=f"{PROJECT_LABEL}={ident.project}" if ident.project else None, opts=child)
            serviceaccount.IAMMember(
                f"{name}-{ident.name}-workload-identity", service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=f"serviceAccount:{settings.workload_pool}[{ident.namespace}/{ident.name}]",
                opts=child)
            member = account.email.apply(lambda e: f"serviceAccount:{e}")
            for grant in ident.grants:
                custom = roles.get(grant.role)
                condition = grant.condition and storage.BucketIAMMemberConditionArgs(
                    title=grant.condition.title, expression=grant.condition.expression,
                    description=grant.condition.description)
                # Logical names of existing grants stay (a renamed BucketIAMMember is deleted after its
                # replacement is created, and the delete would remove the binding both manage).
                suffix = "reader" if grant.role == "roles/storage.objectViewer" else grant.role.rsplit(".", 1)[-1]
                storage.BucketIAMMember(
                    f"{name}-{ident.name}-{grant.bucket}-{suffix}",
                    bucket=buckets.buckets[grant.bucket].name,
                    role=role_name(settings.gcp_project, by_id[grant.role]) if custom else grant.role,
                    member=member, condition=condition,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[custom] if custom else None))
            self.emails[ident.key] = account.email
        self.register_outputs({"accounts": self.emails})
