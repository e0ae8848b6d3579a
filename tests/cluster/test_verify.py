"""`plumbing verify` against kmock with the real kubernetes client: each gate passing and failing."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from plumbing.cli.main import plumbing
from plumbing.cluster import kube
from plumbing.cluster import verify as v
from plumbing.config import load_repo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(repo_dir):
    """The scratch repository plus what verify reads: triggers/, cronjobs/, images/, the stack file."""
    for folder in ("triggers", "cronjobs", "images"):
        shutil.copytree(ROOT / folder, repo_dir / folder)
    shutil.copy(ROOT / "Pulumi.dogfooding.yaml", repo_dir / "Pulumi.dogfooding.yaml")
    return load_repo(repo_dir)


IMAGE = "ghcr.io/tektoncd/plumbing/plumbing@sha256:" + "2" * 64
DEPLOY = "apps/v1/deployments"
CRD = "apiextensions.k8s.io/v1/customresourcedefinitions"
CJ = "batch/v1/cronjobs"
EL = "triggers.tekton.dev/v1beta1/eventlisteners"


def healthy(kmock, repo, image=IMAGE):
    """A cluster where everything the program declares is up."""
    for component, (ns, part_of) in v.COMPONENTS.items():
        kmock.objects[DEPLOY, ns, f"{component}-controller"] = {
            "metadata": {"name": f"{component}-controller", "namespace": ns, "labels": {v.PART_OF: part_of}},
            "status": {"conditions": [{"type": "Available", "status": "True"}]}}
    for crd in v.CRDS:
        kmock.objects[CRD, None, crd] = {"metadata": {"name": crd},
                                         "status": {"conditions": [{"type": "Established", "status": "True"}]}}
    kmock.resources["tekton.dev/v1/tasks"] = {}
    exp = v.expected(repo, image)
    for ns, name in exp.eventlisteners:
        kmock.objects[EL, ns, name] = {"metadata": {"name": name, "namespace": ns},
                                       "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    for ns, name in exp.cronjobs:
        kmock.objects[CJ, ns, name] = cronjob(ns, name, image)
    return exp


def cronjob(ns, name, image, suspend=False):
    return {"metadata": {"name": name, "namespace": ns},
            "spec": {"schedule": "0 3 * * *", "suspend": suspend, "jobTemplate": {"spec": {"template": {
                "spec": {"containers": [{"name": "job", "image": image}], "restartPolicy": "Never"}}}}}}


async def gates(repo, exp, **kw):
    target = kube.connect(repo)
    return await asyncio.to_thread(v.verify, target, exp, **kw)


async def test_everything_passes(cluster, repo, kubeconfig):
    exp = healthy(cluster.kmock, repo)
    assert exp.cronjobs and exp.eventlisteners == [("plumbing-deploy", "plumbing-deploy"), ("ci", "pr-checks")]
    result = await gates(repo, exp)
    assert v.failed(result) == []
    names = {g.name for g in result}
    assert {"deployment/pipeline", "deployment/chains", "crd/tasks.tekton.dev", "webhook",
            "eventlistener/ci/pr-checks", f"cronjob/{exp.cronjobs[0][0]}/{exp.cronjobs[0][1]}"} <= names
    posts = [r for r in cluster.posts() if r.resource is not None and r.resource.plural == "tasks"]
    assert len(posts) == 1 and posts[0].params.get("dryRun") == "All"


async def test_each_gate_fails_and_is_named(cluster, repo, kubeconfig):
    km = cluster.kmock
    exp = healthy(km, repo)
    km.objects[DEPLOY, "tekton-chains", "chains-controller"] = {
        "metadata": {"name": "chains-controller", "namespace": "tekton-chains", "labels": {v.PART_OF: "tekton-chains"}},
        "status": {"conditions": [{"type": "Available", "status": "False", "message": "0/1 replicas"}]}}
    del km.objects[DEPLOY, "tekton-pipelines", "pruner-controller"]
    km.objects[CRD, None, "pipelineruns.tekton.dev"] = {"metadata": {"name": "pipelineruns.tekton.dev"},
                                                        "status": {"conditions": []}}
    km.objects[EL, "ci", "pr-checks"] = {"metadata": {"name": "pr-checks", "namespace": "ci"},
                                         "status": {"conditions": [{"type": "Ready", "status": "False",
                                                                    "message": "Deployment not ready"}]}}
    (ns1, cj1), (ns2, cj2), (ns3, cj3) = exp.cronjobs[:3]
    km.objects[CJ, ns1, cj1] = cronjob(ns1, cj1, "ghcr.io/tektoncd/plumbing/plumbing:v0.1.0")
    km.objects[CJ, ns2, cj2] = cronjob(ns2, cj2, IMAGE, suspend=True)
    del km.objects[CJ, ns3, cj3]
    km["post", f"/apis/tekton.dev/v1/namespaces/{exp.webhook_namespace}/tasks"] << 500 << {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 500,
        "message": 'Internal error occurred: failed calling webhook "validation.webhook.pipeline.tekton.dev"'}
    bad = v.failed(await gates(repo, exp))
    text = "\n".join(bad)
    assert "deployment/chains (not available: chains-controller)" in bad
    assert "deployment/pruner (no Deployment labelled app.kubernetes.io/part-of=tekton-pruner in tekton-pipelines)" in bad
    assert "crd/pipelineruns.tekton.dev (no Established condition)" in bad
    assert "eventlistener/ci/pr-checks (Deployment not ready)" in bad
    assert f"cronjob/{ns1}/{cj1} (runs ghcr.io/tektoncd/plumbing/plumbing:v0.1.0, not {IMAGE})" in bad
    assert f"cronjob/{ns2}/{cj2} (suspended)" in bad
    assert f"cronjob/{ns3}/{cj3} (404" in text
    assert "webhook (dry-run create of a Task in ci: 500 Internal error occurred: failed calling webhook" in text
    assert len(bad) == 8


async def test_smoke_run_succeeds_and_is_deleted(cluster, repo, kubeconfig):
    exp = healthy(cluster.kmock, repo)
    cluster.kmock.resources["tekton.dev/v1/pipelineruns"] = {}
    task = asyncio.create_task(gates(repo, exp, smoke=True, smoke_timeout=20, poll=0.02))
    ns, name = await cluster.wait_for_run()
    assert ns == v.SMOKE_NAMESPACE and cluster.run(ns, name)["spec"]["pipelineSpec"]["tasks"][0]["taskSpec"][
        "steps"][0]["image"] == IMAGE
    cluster.set_run(ns, name, status={"conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}]})
    result = await task
    assert v.failed(result) == [] and result[-1].name == "smoke"
    assert cluster.kmock.objects["tekton.dev/v1/pipelineruns", ns, name].deleted


@pytest.mark.parametrize("verdict", ["failed", "timeout"])
async def test_smoke_run_failing_or_late_fails_and_is_deleted(cluster, repo, kubeconfig, verdict):
    exp = healthy(cluster.kmock, repo)
    task = asyncio.create_task(gates(repo, exp, smoke=True, smoke_timeout=0.5 if verdict == "timeout" else 20,
                                     poll=0.02))
    ns, name = await cluster.wait_for_run()
    if verdict == "failed":
        cluster.set_run(ns, name, status={"conditions": [{"type": "Succeeded", "status": "False",
                                                          "reason": "Failed", "message": "Tasks Completed: 1 (Failed: 1)"}]})
    result = await task
    [bad] = v.failed(result)
    assert bad.startswith("smoke (") and ("Failed" in bad if verdict == "failed" else "did not finish" in bad)
    assert cluster.kmock.objects["tekton.dev/v1/pipelineruns", ns, name].deleted


async def test_cli_exit_1_names_gates_and_json(cluster, repo_dir, repo, kubeconfig):
    exp = healthy(cluster.kmock, repo)
    ns, name = exp.cronjobs[0]
    cluster.kmock.objects[CJ, ns, name] = cronjob(ns, name, IMAGE, suspend=True)
    result = await asyncio.to_thread(CliRunner().invoke, plumbing, [
        "verify", "-s", "dogfooding", "--image", IMAGE, "--output", "json", "--root", str(repo_dir)])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is False and [g["name"] for g in data["gates"] if not g["ok"]] == [f"cronjob/{ns}/{name}"]
    assert f"plumbing verify: 1 gate failed: cronjob/{ns}/{name} (suspended)" in result.stderr
    ok = await asyncio.to_thread(CliRunner().invoke, plumbing, [
        "verify", "-s", "dogfooding", "--image", "not-a-digest", "--root", str(repo_dir)])
    assert ok.exit_code == 2 and "pinned by digest" in ok.stderr
