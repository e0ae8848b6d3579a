"""Google service accounts bound to Kubernetes service accounts through Workload Identity,
each with bucket roles on exactly the buckets its job writes or reads. No keys anywhere:
pods get short-lived tokens from the GKE metadata server."""

from __future__ import annotations

import pulumi
from pulumi_gcp import serviceaccount, storage

from plumbing.inventory.desired import BUCKET_ROLES


class Identities(pulumi.ComponentResource):
    def __init__(self, name: str, *, identities, buckets, settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Identities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.emails: dict[str, pulumi.Output] = {}
        for ident in identities:
            if not ident.gcp:
                continue
            account = serviceaccount.Account(
                f"{name}-{ident.name}", account_id=ident.name[:30],
                display_name=f"{ident.key}: {ident.purpose}"[:100], opts=child)
            serviceaccount.IAMMember(
                f"{name}-{ident.name}-workload-identity", service_account_id=account.name,
                role="roles/iam.workloadIdentityUser",
                member=f"serviceAccount:{settings.workload_pool}[{ident.namespace}/{ident.name}]",
                opts=child)
            member = account.email.apply(lambda e: f"serviceAccount:{e}")
            for key, access in sorted(ident.buckets.items()):
                storage.BucketIAMMember(
                    f"{name}-{ident.name}-{key}-{access}", bucket=buckets.buckets[key].name,
                    role=BUCKET_ROLES[access], member=member, opts=child)
            self.emails[ident.key] = account.email
        self.register_outputs({"accounts": self.emails})
