"""`plumbing infra stale` against kmock with the real kubernetes client: what is stale, and
`--delete` never touching what it must not."""

from __future__ import annotations

import asyncio
import json

import pytest

from plumbing.cluster import kube
from plumbing.cluster import stale as st
from plumbing.deploy import commands

M = {"app.kubernetes.io/managed-by": "plumbing"}
CJ, SA, SEC, CM = "batch/v1/cronjobs", "v1/serviceaccounts", "v1/secrets", "v1/configmaps"
ROLE, CROLE, NSR = "rbac.authorization.k8s.io/v1/roles", "rbac.authorization.k8s.io/v1/clusterroles", "v1/namespaces"


def res(type_, name, namespace=None):
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"type": f"kubernetes:{type_}", "name": f"x-{name}", "component": "x", "inputs": {"metadata": meta}}


INVENTORY = [
    res("core/v1:Namespace", "release-nightly"),
    res("batch/v1:CronJob", "nightly-pipeline", "release-nightly"),
    res("core/v1:ServiceAccount", "release-nightly", "release-nightly"),
    res("rbac.authorization.k8s.io/v1:Role", "release-nightly", "release-nightly"),
    res("rbac.authorization.k8s.io/v1:ClusterRole", "plumbing-deployer"),
    {"type": "kubernetes:yaml/v2:ConfigFile", "name": "tekton", "component": "t", "inputs": {"file": "x"}},
]


def put(km, resource, name, ns=None, **extra):
    km.objects[resource, ns, name] = {"metadata": {"name": name, **({"namespace": ns} if ns else {}),
                                                   **extra.pop("meta", {})}, **extra}


@pytest.fixture
def populated(cluster):
    km, ns = cluster.kmock, "release-nightly"
    for resource in (CJ, SA, SEC, CM, ROLE, CROLE, NSR, "rbac.authorization.k8s.io/v1/rolebindings",
                     "rbac.authorization.k8s.io/v1/clusterrolebindings", "batch/v1/jobs"):
        km.resources[resource] = {}
    put(km, NSR, ns, meta={"labels": M})
    put(km, CJ, "nightly-pipeline", ns)                      # declared
    put(km, CJ, "nightly-old-project", ns)                   # left by an older program
    put(km, SA, "release-nightly", ns)                       # declared (conftest has it too)
    put(km, SA, "default", ns)                               # Kubernetes' own
    put(km, SA, "made-by-hand", ns)                          # stale RBAC: kept unless named
    put(km, CM, "kube-root-ca.crt", ns)                      # Kubernetes' own
    put(km, CM, "scratch-notes", ns)                         # stale
    put(km, SEC, "sa-token", ns, type="kubernetes.io/service-account-token")
    put(km, "batch/v1/jobs", "nightly-pipeline-123", ns, meta={"ownerReferences": [{"kind": "CronJob"}]})
    put(km, ROLE, "release-nightly", ns)                     # declared
    put(km, ROLE, "old-role", ns)                            # stale RBAC
    put(km, CROLE, "plumbing-deployer", meta={"labels": M})  # declared
    put(km, CROLE, "plumbing-old", meta={"labels": M})       # stale, cluster-wide RBAC
    put(km, CROLE, "system:aggregate-to-view")               # not ours: never looked at
    put(km, NSR, "kube-system")
    return cluster


async def test_finds_exactly_what_is_stale(populated, repo, kubeconfig):
    found = await asyncio.to_thread(st.find, kube.connect(repo), INVENTORY)
    assert [o.ref for o in found] == [
        "ClusterRole/plumbing-old", "ConfigMap/release-nightly/scratch-notes",
        "CronJob/release-nightly/nightly-old-project", "Role/release-nightly/old-role",
        "ServiceAccount/release-nightly/made-by-hand"]


async def test_dry_run_deletes_nothing_and_exits_1(populated, repo, repo_dir, kubeconfig, capsys):
    code = await asyncio.to_thread(commands.stale, repo_dir, "dogfooding", False, set(), "json", INVENTORY)
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["deleted"] == [] and len(out["kept"]) == 5
    assert not [r for r in populated.kmock if str(r.method).upper().endswith("DELETE")]


async def test_delete_spares_rbac_and_namespaces_unless_named(populated, repo, repo_dir, kubeconfig, capsys):
    km = populated.kmock
    include = {"Role/release-nightly/old-role"}
    code = await asyncio.to_thread(commands.stale, repo_dir, "dogfooding", True, include, "json", INVENTORY)
    out = json.loads(capsys.readouterr().out)
    assert sorted(out["deleted"]) == ["ConfigMap/release-nightly/scratch-notes",
                                      "CronJob/release-nightly/nightly-old-project", "Role/release-nightly/old-role"]
    assert sorted(out["kept"]) == ["ClusterRole/plumbing-old", "ServiceAccount/release-nightly/made-by-hand"]
    assert code == 1
    deletes = sorted(r.url.path for r in km if str(r.method).upper().endswith("DELETE"))
    assert deletes == ["/api/v1/namespaces/release-nightly/configmaps/scratch-notes",
                       "/apis/batch/v1/namespaces/release-nightly/cronjobs/nightly-old-project",
                       "/apis/rbac.authorization.k8s.io/v1/namespaces/release-nightly/roles/old-role"]
    # declared objects, Kubernetes' own and other owners' objects are all still there
    for key in [(CJ, "release-nightly", "nightly-pipeline"), (SA, "release-nightly", "default"),
                ("batch/v1/jobs", "release-nightly", "nightly-pipeline-123"), (CROLE, None, "plumbing-deployer")]:
        assert not km.objects[key].deleted, key


async def test_include_must_name_a_stale_object(populated, repo, repo_dir, kubeconfig):
    from plumbing.findings import ConfigError

    with pytest.raises(ConfigError, match="--include ClusterRole/plumbing-deployer: not among the stale objects"):
        await asyncio.to_thread(commands.stale, repo_dir, "dogfooding", True, {"ClusterRole/plumbing-deployer"},
                                "text", INVENTORY)
