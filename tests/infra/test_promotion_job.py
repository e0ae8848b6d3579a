"""The version-promotion CronJob: in each stack's inventory, runs `plumbing versions promote`
from the pinned plumbing image with its GitHub token from a Secret, reads (never writes) the
release buckets, and every policy holds."""

from __future__ import annotations

from plumbing.inventory.policies import check


def _one(inventory, type_, name):
    found = [r for r in inventory if r["type"] == type_ and r["name"] == name]
    assert len(found) == 1, f"{type_} {name}: {len(found)} found"
    return found[0]["inputs"]


def test_promotion_cronjob_is_declared_with_its_token_and_read_only_buckets(dogfooding):
    job = _one(dogfooding, "kubernetes:batch/v1:CronJob", "jobs-version-promotion")
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["plumbing", "versions", "promote", "-s", "dogfooding"]
    token = next(e for e in container["env"] if e["name"] == "GITHUB_TOKEN")
    assert token["valueFrom"]["secretKeyRef"] == {"name": "version-promotion-github", "key": "token"}
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    secret = _one(dogfooding, "kubernetes:core/v1:Secret", "secrets-release-version-promotion-github")
    assert secret["metadata"]["namespace"] == "release"
    roles = {r["name"]: r["inputs"]["role"] for r in dogfooding if r["name"].startswith("identities-version-promotion-")
             and r["type"] == "gcp:storage/bucketIAMMember:BucketIAMMember"}
    assert roles and all(role.endswith("objectViewer") for role in roles.values()), roles
    assert check(dogfooding) == []
