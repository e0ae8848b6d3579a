"""The inventory holds the deployer, its state bucket and its CronJobs, and every CronJob runs
the digest the deploy set, never the hand-pinned tag."""

from __future__ import annotations

from plumbing.config import load_repo
from plumbing.inventory import deployer
from plumbing.inventory.stack import PLACEHOLDER_DIGEST

from .conftest import ROOT, named, of_type


def test_deployer_account_role_and_trigger_secret(inventory):
    sa = named(inventory, "deployer-sa")["inputs"]["metadata"]
    assert (sa["namespace"], sa["name"]) == (deployer.NAMESPACE, deployer.SERVICE_ACCOUNT)
    role = named(inventory, "deployer-clusterrole")["inputs"]
    assert role["metadata"]["name"] == deployer.SERVICE_ACCOUNT
    assert all("*" not in str(v) for rule in role["rules"] for v in rule.values())
    binding = named(inventory, "deployer-clusterbinding")["inputs"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": deployer.SERVICE_ACCOUNT,
                                    "namespace": deployer.NAMESPACE}]
    secret = named(inventory, "deployer-webhook-secret")["inputs"]["metadata"]
    assert (secret["namespace"], secret["name"]) == (deployer.NAMESPACE, deployer.WEBHOOK_SECRET)


def test_state_bucket_on_gke_only(dogfooding, local):
    bucket = named(dogfooding, "deployer-state")["inputs"]
    assert bucket["name"] == "tektoncd-plumbing-state" and bucket["versioning"] == {"enabled": True}
    assert bucket["publicAccessPrevention"] == "enforced"
    members = [r["inputs"] for r in of_type(dogfooding, "bucketIAMMember:BucketIAMMember")
               if r["inputs"]["bucket"] == "tektoncd-plumbing-state"]
    assert [m["role"] for m in members] == ["roles/storage.objectAdmin"]
    assert all("plumbing-deployer@" in m["member"] for m in members)
    sa = named(dogfooding, "deployer-sa")["inputs"]["metadata"]["annotations"]
    assert sa["iam.gke.io/gcp-service-account"].startswith("plumbing-deployer@")
    assert not [r for r in local if r["name"] == "deployer-state"]


def test_every_cronjob_runs_the_deployed_digest_not_the_tag(inventory):
    tag = load_repo(ROOT).org.tool_images["plumbing"]
    images = {c["image"] for r in of_type(inventory, "batch/v1:CronJob")
              for c in r["inputs"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]}
    assert images == {f"{tag.rsplit(':', 1)[0]}@{PLACEHOLDER_DIGEST}"}
    names = {r["inputs"]["metadata"]["name"] for r in of_type(inventory, "batch/v1:CronJob")}
    assert {deployer.CATCH_UP, deployer.DRIFT} <= names
