"""Post-release testing's cluster side: what the program declares, and the isolation policy
reporting each way the throwaway clusters could reach the dogfooding cluster."""

from __future__ import annotations

from plumbing.inventory import policies as policy
from plumbing.inventory.posttest import LAUNCH_RULES, QUOTA

from .conftest import named

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
TESTER_ROLE = "access-role-test-post-release-tester"


def violations(inv):
    return list(policy.post_release_test_isolation(inv))


def test_the_program_declares_a_namespaced_tester_the_launcher_role_and_a_quota(inventory):
    assert named(inventory, "access-ns-test")["inputs"]["metadata"]["name"] == "post-release-test"
    sa = named(inventory, "access-sa-test-post-release-tester")["inputs"]["metadata"]
    assert sa["namespace"] == "post-release-test"
    role = named(inventory, TESTER_ROLE)["inputs"]
    assert role["metadata"]["namespace"] == "post-release-test"
    assert not [r for r in inventory if r["type"].endswith("ClusterRoleBinding")
                and any(s["name"] == "post-release-tester" for s in r["inputs"].get("subjects") or [])]
    launcher = named(inventory, "post-release-tests-launcher-binding")["inputs"]
    assert launcher["metadata"]["namespace"] == "post-release-test"
    # each project's own release runners (docs/isolation.md), no shared account
    assert sorted((s["namespace"], s["name"]) for s in launcher["subjects"]) == sorted(
        (f"{p}-{m}", f"{p}-{m}") for p in ("chains", "cli", "dashboard", "operator", "pipeline", "triggers")
        for m in ("nightly", "release"))
    rules = named(inventory, "post-release-tests-launcher-role")["inputs"]["rules"]
    assert [(r["apiGroups"], r["resources"], r["verbs"]) for r in rules] == [
        (x["api_groups"], x["resources"], x["verbs"]) for x in LAUNCH_RULES]
    assert named(inventory, "post-release-tests-quota")["inputs"]["spec"]["hard"] == QUOTA
    assert violations(inventory) == []


def test_a_cluster_wide_binding_for_the_tester_is_reported(dogfooding):
    dogfooding.append({"type": "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "name": "oops",
                       "component": "x", "inputs": {
                           "metadata": {"name": "oops"}, "roleRef": {"kind": "ClusterRole", "name": "edit"},
                           "subjects": [{"kind": "ServiceAccount", "name": "post-release-tester",
                                         "namespace": "post-release-test"}]}})
    assert violations(dogfooding) == [
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding oops: binds the post-release tester "
        "outside its own namespace"]


def test_tekton_writes_for_the_tester_or_more_for_the_launchers_are_reported(dogfooding):
    named(dogfooding, TESTER_ROLE)["inputs"]["rules"].append(
        {"apiGroups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["create"]})
    named(dogfooding, "post-release-tests-launcher-role")["inputs"]["rules"][0]["verbs"].append("delete")
    found = violations(dogfooding)
    assert any(m.startswith(f"{ROLE} {TESTER_ROLE}: rules[") and "change Tekton objects" in m for m in found), found
    assert (f"{ROLE} post-release-tests-launcher-role: rules[0] grants more than creating and reading "
            "PipelineRuns") in found
