"""The release, nightly and logs buckets: uniform bucket-level access, public read where users
download releases and logs (objectViewer for allUsers and nothing else public), versioning on
the release bucket, and a lifecycle rule that deletes old nightlies."""

from __future__ import annotations

import pulumi
from pulumi_gcp import storage

from plumbing.inventory.desired import bucket_name

# Who downloads from each bucket: all three are read by users (release files, nightly builds,
# logs of every run); none is writable by anyone but its own service account.
PUBLIC_READ = {"release": True, "nightly": True, "logs": True}


class Buckets(pulumi.ComponentResource):
    def __init__(self, name: str, *, repo, settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Buckets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.buckets: dict[str, storage.Bucket] = {}
        for key in ("release", "nightly", "logs"):
            lifecycle = None
            if key == "nightly":
                lifecycle = [storage.BucketLifecycleRuleArgs(
                    action=storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=storage.BucketLifecycleRuleConditionArgs(age=settings.nightly_retention_days))]
            elif key == "release":
                # Versioning keeps overwritten latest/ objects; drop very old noncurrent copies.
                lifecycle = [storage.BucketLifecycleRuleArgs(
                    action=storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=storage.BucketLifecycleRuleConditionArgs(
                        with_state="ARCHIVED", num_newer_versions=10))]
            bucket = storage.Bucket(
                f"{name}-{key}", name=bucket_name(getattr(repo.org.buckets, key)),
                location=settings.bucket_location,
                uniform_bucket_level_access=True,
                public_access_prevention="inherited" if PUBLIC_READ[key] else "enforced",
                versioning=storage.BucketVersioningArgs(enabled=key == "release"),
                lifecycle_rules=lifecycle,
                force_destroy=False,
                labels={"plumbing": key},
                opts=child)
            self.buckets[key] = bucket
            if PUBLIC_READ[key]:
                storage.BucketIAMMember(
                    f"{name}-{key}-public-read", bucket=bucket.name, role="roles/storage.objectViewer",
                    member="allUsers", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({key: b.url for key, b in self.buckets.items()})
