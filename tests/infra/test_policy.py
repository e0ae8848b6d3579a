"""Policies over each stack's whole inventory pass, and each policy reports a bad inventory,
naming the offending resource."""

from __future__ import annotations

import copy

import pytest

from plumbing.ci_images import load_images
from plumbing.config import load_repo
from plumbing.inventory import policies as policy

from .conftest import ROOT, named, of_type


def expected(stack="dogfooding"):
    """Every CronJob the stack must declare: nightlies, image builds, jobs and the deployer's."""
    from plumbing.inventory.commands import expected_jobs

    return expected_jobs(ROOT, stack)


def test_every_policy_holds_for_each_stack(inventory, stack):
    assert policy.check(inventory) == [], stack


def test_one_cronjob_per_nightly_project_image_and_job(inventory, stack):
    assert policy.coverage(inventory, expected(stack)) == []
    repo = load_repo(ROOT)
    nightly = sorted(n for n, p in repo.projects.items() if p.has_nightly)
    names = sorted(r["inputs"]["metadata"]["name"] for r in of_type(inventory, "batch/v1:CronJob"))
    assert [n for n in names if n.startswith("nightly-")] == [f"nightly-{p}" for p in nightly]
    assert [n for n in names if n.startswith("image-build-")] == ["image-build-plumbing"]
    for r in of_type(inventory, "batch/v1:CronJob"):
        meta = r["inputs"]["metadata"]
        if meta["name"].startswith("nightly-"):
            project = meta["name"].removeprefix("nightly-")
            assert r["inputs"]["spec"]["schedule"] == repo.projects[project].schedule


def _violations(inv, pid):
    return list(policy.POLICIES[pid](inv))


def _add(inv, type_, name, inputs):
    inv.append({"type": type_, "name": name, "component": "x", "inputs": inputs})
    return inv


def _cron(inv):
    return named(inv, "nightlies-nightly-pipeline")


def _pod(inv):
    return _cron(inv)["inputs"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def _bucket_binding(role, member):
    return lambda inv: _add(inv, "gcp:storage/bucketIAMMember:BucketIAMMember", "bad-binding",
                            {"bucket": "tekton-releases", "role": role, "member": member})


def _set(path_fn, key, value):
    def mutate(inv):
        target = path_fn(inv)
        if value is KeyError:
            target.pop(key, None)
        else:
            target[key] = value
        return inv
    return mutate


def _role(verbs, resources, groups=("tekton.dev",)):
    return lambda inv: _add(inv, "kubernetes:rbac.authorization.k8s.io/v1:Role", "bad-role",
                            {"metadata": {"name": "r", "namespace": "ci"},
                             "rules": [{"apiGroups": list(groups), "resources": resources, "verbs": verbs}]})


BAD = {
    "public-access": [
        ("bad-binding", _bucket_binding("roles/storage.objectAdmin", "allUsers")),
        ("bad-binding", _bucket_binding("roles/storage.objectViewer", "allAuthenticatedUsers")),
        ("bad-binding", _bucket_binding("roles/storage.objectCreator", "allUsers")),
        ("bad-project", lambda inv: _add(inv, "gcp:projects/iAMMember:IAMMember", "bad-project",
                                         {"project": "p", "role": "roles/viewer", "member": "allUsers"})),
        ("buckets-release", _set(lambda inv: named(inv, "buckets-release")["inputs"], "uniformBucketLevelAccess", False)),
        ("bad-acl", lambda inv: _add(inv, "gcp:storage/defaultObjectACL:DefaultObjectACL", "bad-acl", {"bucket": "b"})),
    ],
    "no-keys": [
        ("bad-key", lambda inv: _add(inv, "gcp:serviceaccount/key:Key", "bad-key", {"serviceAccountId": "x"})),
        ("bad-hmac", lambda inv: _add(inv, "gcp:storage/hmacKey:HmacKey", "bad-hmac", {"serviceAccountEmail": "x"})),
        ("bad-secret", lambda inv: _add(inv, "kubernetes:core/v1:Secret", "bad-secret",
                                        {"metadata": {"name": "gsa"}, "stringData": {"key.json": "[secret]"}})),
    ],
    "no-cluster-admin": [
        ("bad-crb", lambda inv: _add(inv, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "bad-crb",
                                     {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                                      "subjects": [{"kind": "ServiceAccount", "name": "x", "namespace": "ci"}]})),
        ("bad-rb", lambda inv: _add(inv, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "bad-rb",
                                    {"roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": []})),
    ],
    "no-wildcards": [
        ("bad-role", _role(["*"], ["pipelineruns"])),
        ("bad-role", _role(["get"], ["*"])),
        ("bad-role", _role(["get"], ["pipelineruns"], groups=["*"])),
        ("bad-role", _role(["get"], ["pipelineruns/*"])),
    ],
    "cronjob-spec": [
        ("nightlies-nightly-pipeline", _set(lambda inv: _cron(inv)["inputs"]["spec"], "concurrencyPolicy", "Allow")),
        ("nightlies-nightly-pipeline", _set(lambda inv: _cron(inv)["inputs"]["spec"], "startingDeadlineSeconds", KeyError)),
        ("nightlies-nightly-pipeline", _set(lambda inv: _cron(inv)["inputs"]["spec"], "failedJobsHistoryLimit", KeyError)),
        ("nightlies-nightly-pipeline", _set(lambda inv: _cron(inv)["inputs"]["spec"], "successfulJobsHistoryLimit", KeyError)),
        ("nightlies-nightly-pipeline", _set(lambda inv: _cron(inv)["inputs"]["spec"]["jobTemplate"]["spec"],
                                            "activeDeadlineSeconds", KeyError)),
        ("nightlies-nightly-pipeline", _set(lambda inv: _cron(inv)["inputs"]["spec"]["jobTemplate"]["spec"],
                                            "backoffLimit", KeyError)),
        ("nightlies-nightly-pipeline", _set(_pod, "restartPolicy", "OnFailure")),
        ("nightlies-nightly-pipeline", _set(lambda inv: _pod(inv)["containers"][0]["resources"], "limits", KeyError)),
        ("nightlies-nightly-pipeline", _set(lambda inv: _pod(inv)["containers"][0]["resources"], "requests", KeyError)),
        ("nightlies-nightly-pipeline", lambda inv: (_pod(inv)["containers"][0]["securityContext"].pop("runAsNonRoot"),
                                                    _pod(inv)["securityContext"].pop("runAsNonRoot"), inv)[-1]),
        ("nightlies-nightly-pipeline", _set(lambda inv: _pod(inv)["containers"][0]["securityContext"],
                                            "allowPrivilegeEscalation", True)),
        ("nightlies-nightly-pipeline", _set(lambda inv: _pod(inv)["containers"][0]["securityContext"], "runAsUser", 0)),
    ],
    "pinned-images": [
        ("nightlies-nightly-pipeline", _set(lambda inv: _pod(inv)["containers"][0], "image", "ghcr.io/x/plumbing:latest")),
        ("nightlies-nightly-pipeline", _set(lambda inv: _pod(inv)["containers"][0], "image", "ghcr.io/x/plumbing")),
        ("tekton-pipeline-v1.0.0", _set(lambda inv: named(inv, "tekton-pipeline-v1.0.0")["inputs"], "file",
                                        "https://infra.tekton.dev/tekton-releases/pipeline/latest/release.yaml")),
    ],
    "secrets-encrypted": [
        ("secrets-ci-pr-checks-webhook", _set(lambda inv: named(inv, "secrets-ci-pr-checks-webhook")["inputs"], "stringData",
                                       {"secret": "hunter2"})),
    ],
    "typed-objects": [
        ("bad-yaml", lambda inv: _add(inv, "kubernetes:yaml/v2:ConfigFile", "bad-yaml",
                                      {"file": "https://example.com/previous/v1/cronjobs.yaml"})),
        ("bad-inline", lambda inv: _add(inv, "kubernetes:yaml/v2:ConfigGroup", "bad-inline",
                                        {"yaml": ["kind: CronJob"]})),
    ],
    "explicit-provider": [
        ("nightlies-nightly-cli", lambda inv: (named(inv, "nightlies-nightly-cli").pop("provider"), inv)[1]),
    ],
    "cluster-hardening": [
        ("cluster-gke", _set(lambda inv: named(inv, "cluster-gke")["inputs"], "enableLegacyAbac", True)),
        ("cluster-gke", _set(lambda inv: named(inv, "cluster-gke")["inputs"], "workloadIdentityConfig", KeyError)),
        ("cluster-gke", _set(lambda inv: named(inv, "cluster-gke")["inputs"], "releaseChannel", KeyError)),
        ("cluster-gke", _set(lambda inv: named(inv, "cluster-gke")["inputs"], "enableShieldedNodes", False)),
        ("cluster-pool", _set(lambda inv: named(inv, "cluster-pool")["inputs"], "autoscaling", KeyError)),
        ("cluster-pool", _set(lambda inv: named(inv, "cluster-pool")["inputs"]["nodeConfig"],
                              "workloadMetadataConfig", {"mode": "GCE_METADATA"})),
        ("cluster-pool", _set(lambda inv: named(inv, "cluster-pool")["inputs"]["nodeConfig"],
                              "shieldedInstanceConfig", {})),
    ],
    "bucket-settings": [
        ("buckets-release", _set(lambda inv: named(inv, "buckets-release")["inputs"], "versioning", {"enabled": False})),
        ("buckets-nightly", _set(lambda inv: named(inv, "buckets-nightly")["inputs"], "lifecycleRules", KeyError)),
    ],
    "deployed-image": [
        ("nightlies-nightly-pipeline", _set(lambda inv: _pod(inv)["containers"][0], "image",
                                            "ghcr.io/tektoncd/plumbing/plumbing:v0.1.0")),
    ],
    "deployer-least-privilege": [
        ("deployer-clusterrole", lambda inv: (named(inv, "deployer-clusterrole")["inputs"]["rules"].append(
            {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}), inv)[1]),
        ("deployer-clusterrole", lambda inv: (named(inv, "deployer-clusterrole")["inputs"].update(rules=[
            r for r in named(inv, "deployer-clusterrole")["inputs"]["rules"] if "cronjobs" not in r["resources"]]),
            inv)[1]),
    ],
    "state-bucket": [
        ("deployer-state", _set(lambda inv: named(inv, "deployer-state")["inputs"], "versioning", {"enabled": False})),
        ("deployer-state", _set(lambda inv: named(inv, "deployer-state")["inputs"], "publicAccessPrevention",
                                "inherited")),
        ("bad-binding", lambda inv: _add(inv, "gcp:storage/bucketIAMMember:BucketIAMMember", "bad-binding",
                                         {"bucket": "tektoncd-plumbing-state", "role": "roles/storage.objectViewer",
                                          "member": "user:someone@example.com"})),
    ],
    "dashboard-read-only": [
        ("tekton-dashboard-v0.56.0", _set(lambda inv: named(inv, "tekton-dashboard-v0.56.0")["inputs"], "file",
                                          "https://infra.tekton.dev/tekton-releases/dashboard/previous/v0.56.0/release-full.yaml")),
    ],
    "post-release-test-isolation": [
        ("post-release-tests-launcher-role",
         _set(lambda inv: named(inv, "post-release-tests-launcher-role")["inputs"]["rules"][0], "verbs",
              ["create", "get", "delete"])),
    ],
}
CASES = [(pid, i, name, fn) for pid, cases in BAD.items() for i, (name, fn) in enumerate(cases)]


@pytest.mark.parametrize("pid,i,name,mutate", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_policy_reports_a_bad_inventory_naming_the_resource(dogfooding, pid, i, name, mutate):
    bad = mutate(copy.deepcopy(dogfooding))
    found = _violations(bad, pid)
    assert found, f"{pid} missed case {i}"
    assert all(m.split(" ", 2)[1].rstrip(":") == name for m in found), found
    # and the full check attributes it to that policy
    assert pid in {p for p, _ in policy.check(bad)}


def test_every_policy_has_a_failing_case():
    from plumbing.inventory.isolation_policies import POLICIES as ISOLATION  # cases in test_isolation.py

    from .test_github_policy import GITHUB_BAD

    assert set(BAD) | set(GITHUB_BAD) | set(ISOLATION) == set(policy.POLICIES)


def test_coverage_reports_missing_extra_and_wrong_schedule(dogfooding):
    jobs = expected()
    missing = [r for r in dogfooding if r["name"] != "nightlies-nightly-cli"]
    assert any("nightly-cli: expected exactly one for releases/cli.yaml, found 0" in m
               for m in policy.coverage(missing, jobs))
    moved = copy.deepcopy(dogfooding)
    named(moved, "image-builds-image-build-plumbing")["inputs"]["spec"]["schedule"] = "* * * * *"
    (msg,) = policy.coverage(moved, jobs)
    assert msg.startswith("kubernetes:batch/v1:CronJob image-builds-image-build-plumbing: schedule")
    extra = copy.deepcopy(dogfooding)
    clone = copy.deepcopy(named(extra, "nightlies-nightly-cli"))
    clone["name"] = "hand-made"
    clone["inputs"]["metadata"]["name"] = "hand-made"
    extra.append(clone)
    (msg,) = policy.coverage(extra, jobs)
    assert "hand-made" in msg and "matches no releases/" in msg
    wrong_sa = copy.deepcopy(dogfooding)
    _pod(wrong_sa)["serviceAccountName"] = "triggers-nightly-launcher"   # another project's launcher
    assert any("must run as pipeline-nightly-launcher" in m for m in policy.coverage(wrong_sa, jobs))


def test_policy_ids_are_reported_by_the_cli_with_exit_1(monkeypatch):
    from click.testing import CliRunner

    from plumbing.cli.main import plumbing
    from plumbing.inventory import mocks as runner

    real = runner.plan

    def with_admin(root, stack, program_root=None):
        return _add(real(root, stack, program_root), "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
                    "oops", {"roleRef": {"name": "cluster-admin"}, "subjects": []})

    monkeypatch.setattr(runner, "plan", with_admin)
    result = CliRunner().invoke(plumbing, ["infra", "plan", "-s", "local", "--root", str(ROOT)])
    assert result.exit_code == 1
    assert "error infra-no-cluster-admin kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding oops: binds cluster-admin" in result.stderr


def _secret_refs(node):
    """Every Secret name a Tekton document reads: secretKeyRef, secret volumes and workspaces."""
    if isinstance(node, dict):
        ref = node.get("secretKeyRef")
        if isinstance(ref, dict) and ref.get("name"):
            yield ref["name"]
        secret = node.get("secret")
        if isinstance(secret, dict) and secret.get("secretName"):
            yield secret["secretName"]
        for value in node.values():
            yield from _secret_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _secret_refs(value)


@pytest.mark.parametrize("mode", ["nightly", "full"])
def test_every_secret_and_service_account_the_release_runs_use_is_declared(dogfooding, mode):
    from datetime import date

    from plumbing.release.plan import make_plan
    from plumbing.release.rendering import render_release

    repo = load_repo(ROOT)
    declared = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"])
                for r in of_type(dogfooding, "kubernetes:core/v1:Secret")}
    sas = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"])
           for r in of_type(dogfooding, "kubernetes:core/v1:ServiceAccount")}
    sha = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"
    kwargs = ({"revision": sha, "day": date(2026, 11, 24)} if mode == "nightly"
              else {"revision": sha, "version": "v1.2.3", "previous": "v1.2.2"})
    seen = set()
    for project in repo.projects:
        rendered = render_release(repo, make_plan(repo, project, mode, **kwargs))
        run = rendered["pipelinerun"] if isinstance(rendered, dict) else rendered.pipelinerun
        namespace = run["metadata"]["namespace"]
        sa = run["spec"]["taskRunTemplate"]["serviceAccountName"]
        assert (namespace, sa) in sas, f"{project} {mode} runs as {namespace}/{sa}, which infra does not declare"
        for name in set(_secret_refs(run)):
            seen.add(name)
            assert (namespace, name) in declared, f"{project} {mode} reads Secret {namespace}/{name}, which infra does not declare"
    assert {repo.org.notify.slack_webhook_secret, repo.org.notify.github_token_secret} <= seen


def test_the_image_build_secret_is_declared(dogfooding):
    from plumbing.ci_images import render_build

    repo = load_repo(ROOT)
    run = render_build(repo, load_images(repo)["plumbing"])["pipelinerun"]
    declared = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"])
                for r in of_type(dogfooding, "kubernetes:core/v1:Secret")}
    refs = set(_secret_refs(run))
    assert refs == {"registry-credentials"}
    assert all((run["metadata"]["namespace"], n) in declared for n in refs)
    sas = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"])
           for r in of_type(dogfooding, "kubernetes:core/v1:ServiceAccount")}
    assert (run["metadata"]["namespace"], run["spec"]["taskRunTemplate"]["serviceAccountName"]) in sas


def _trigger_secret_refs(node):
    """Secrets a Triggers document reads: interceptor secretRef params and the run templates'."""
    yield from _secret_refs(node)
    if isinstance(node, dict):
        if isinstance(node.get("secretName"), str) and "secretKey" in node:
            yield node["secretName"]
        for value in node.values():
            yield from _trigger_secret_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _trigger_secret_refs(value)


def test_every_secret_the_pr_trigger_reads_is_declared(dogfooding):
    import yaml

    files = sorted((ROOT / "triggers").glob("*.yaml")) if (ROOT / "triggers").is_dir() else []
    if not files:
        pytest.skip("no triggers/ in this checkout")
    declared = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"])
                for r in of_type(dogfooding, "kubernetes:core/v1:Secret")}
    refs = set()
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                ns = doc["metadata"].get("namespace")
                refs |= {(ns, name) for name in _trigger_secret_refs(doc)}
    assert refs, "the PR trigger reads no Secret?"
    missing = sorted(refs - declared)
    assert not missing, f"triggers/ reads Secrets infra does not declare: {missing}"
