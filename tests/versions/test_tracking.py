"""`plumbing versions` against the Kubernetes API test server (kmock), the GCS test server and the
local GitHub server: every mark, the exit codes, the JSON keys."""

from __future__ import annotations

import asyncio
import json

import pytest
import yaml
from click.testing import CliRunner
from github_server import TOKEN

from plumbing.cli.main import plumbing

from .conftest import image, make_repo, publish

DEPLOY = "apps/v1/deployments"
CRON = "batch/v1/cronjobs"
NIGHTLY_OK, NIGHTLY_NEW = "v20261123-aaaaaaaaaa", "v20261124-bbbbbbbbbb"


def kubeconfig(path, url, context):
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": "t", "user": {"token": "t"}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": "t"}}]}))
    return path


def deployment(kmock, ns, name, part_of, version, img):
    labels = {"app.kubernetes.io/part-of": part_of, "app.kubernetes.io/name": name}
    if version:
        labels["app.kubernetes.io/version"] = version
    kmock.objects[DEPLOY, ns, name] = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": img}]}}}}


def cronjob(kmock, ns, name, img):
    kmock.objects[CRON, ns, name] = {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "plumbing"}},
        "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "job", "image": img}]}}}}}}


@pytest.fixture
def world(tmp_path, gcs_bucket_url, kmock, monkeypatch, github_server):
    buckets = {k: f"{gcs_bucket_url}/{k}" for k in ("nightly", "release", "logs")}
    root = make_repo(tmp_path / "repo", buckets)
    kmock.resources[DEPLOY] = {}
    kmock.resources[CRON] = {}
    context = yaml.safe_load((root / "plumbing.yaml").read_text())["cluster"]["context"]
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "kubeconfig", str(kmock.url), context)))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return root, buckets


def releases(buckets):
    publish(buckets["release"], "pipeline", "v1.0.0", "passed", n=1)
    publish(buckets["release"], "pipeline", "v1.1.0", "passed", n=2)
    publish(buckets["release"], "pipeline", "v1.2.0", "failed", n=3)
    publish(buckets["nightly"], "pipeline", NIGHTLY_OK, "passed", n=4)
    publish(buckets["nightly"], "pipeline", NIGHTLY_NEW, None, n=5)
    publish(buckets["release"], "triggers", "v0.31.0", "failed", n=6)
    publish(buckets["release"], "dashboard", "v0.56.0", None, n=7)
    publish(buckets["release"], "chains", "v0.24.0", "passed", n=8)
    publish(buckets["release"], "pruner", "v0.3.5", "passed", n=9)


async def run(root, github_server, *args):
    env = {"GITHUB_TOKEN": TOKEN}
    return await asyncio.to_thread(CliRunner().invoke, plumbing, [
        "versions", "--root", str(root), "--github-api", github_server.url, *args], env=env)


async def test_every_mark_and_exit_1_on_drift(world, kmock, github_server):
    root, buckets = world
    releases(buckets)
    deployment(kmock, "tekton-pipelines", "tekton-pipelines-controller", "tekton-pipelines", "v1.0.0",
               image("pipeline", "controller", 1))                                   # at the pin
    deployment(kmock, "tekton-pipelines", "tekton-triggers-controller", "tekton-triggers", "v0.32.0",
               image("triggers", "controller", 6))                                   # above the pin
    deployment(kmock, "tekton-pipelines", "tekton-dashboard", "tekton-dashboard", "v0.55.0",
               image("dashboard", "dashboard", 7))                                   # below the pin
    deployment(kmock, "tekton-pipelines", "tekton-pruner-controller", "tekton-pruner", "v0.3.5",
               image("pruner", "controller", 99))                                    # a digest not in v0.3.5
    # chains: no Deployment at all
    cronjob(kmock, "release-nightly", "nightly-pipeline", "ghcr.io/tektoncd/plumbing/plumbing:v0.1.0")
    github_server.add_release("tektoncd/pipeline", "v1.2.0")
    github_server.add_release("tektoncd/pipeline", "v1.3.0-rc.1")["prerelease"] = True
    github_server.add_release("tektoncd/pipeline", "v1.4.0", draft=True)

    result = await run(root, github_server, "-s", "dogfooding", "--output", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"stack", "offline", "sources", "drift", "components"}
    assert report["drift"] is True and report["offline"] is False
    rows = {r["component"]: r for r in report["components"]}
    assert set(rows) == {"pipeline", "triggers", "dashboard", "chains", "pruner", "plumbing-image"}
    assert set(rows["pipeline"]) == {"component", "channel", "pinned", "pinned_verdict", "deployed", "images",
                                     "release", "nightly", "upstream", "candidate", "marks", "notes"}

    p = rows["pipeline"]
    assert (p["channel"], p["pinned"], p["deployed"], p["pinned_verdict"]) == ("nightly", "v1.0.0", ["v1.0.0"], "passed")
    assert p["release"] == {"version": "v1.2.0", "verdict": "failed", "verified": "v1.1.0"}
    assert p["nightly"] == {"version": NIGHTLY_NEW, "verdict": "untested", "verified": NIGHTLY_OK}
    assert p["upstream"] == "v1.2.0"
    assert p["candidate"] == NIGHTLY_OK and p["marks"] == ["behind"]
    assert rows["triggers"]["marks"] == ["drift", "unverified"]
    assert rows["dashboard"]["marks"] == ["drift", "unverified"]
    assert rows["dashboard"]["pinned_verdict"] == "untested"
    assert rows["chains"]["marks"] == ["unknown"]
    assert rows["pruner"]["marks"] == ["drift"]
    assert "not in v0.3.5's release.yaml" in rows["pruner"]["notes"][0]
    assert rows["plumbing-image"]["marks"] == []
    assert "drift: the cluster does not run what git pins" in result.stderr

    text = await run(root, github_server, "-s", "dogfooding")
    assert text.exit_code == 1
    lines = {line.split()[0]: line for line in text.stdout.splitlines() if line.strip()}
    assert lines["pipeline"].endswith("behind") and "v1.2.0 (failed), verified v1.1.0" in lines["pipeline"]
    assert lines["triggers"].endswith("drift, unverified")
    assert lines["chains"].endswith("unknown")
    assert lines["plumbing-image"].endswith("ok")
    assert "triggers: runs v0.32.0, git pins v0.31.0" in text.stdout


async def test_no_drift_exits_0_and_a_behind_release_channel(world, kmock, github_server):
    root, buckets = world
    releases(buckets)
    deployment(kmock, "tekton-pipelines", "tekton-pipelines-controller", "tekton-pipelines", "v1.0.0",
               image("pipeline", "controller", 1))
    text = (root / "Pulumi.dogfooding.yaml").read_text().replace("pipeline: nightly", "pipeline: release")
    (root / "Pulumi.dogfooding.yaml").write_text(text)
    github_server.fail("GET", r"/repos/tektoncd/pruner/releases", status=404)
    result = await run(root, github_server, "-s", "dogfooding", "--output", "json")
    assert result.exit_code == 0, result.output
    rows = {r["component"]: r for r in json.loads(result.stdout)["components"]}
    assert rows["pruner"]["upstream"] is None
    assert any("GitHub has no repository tektoncd/pruner" in n for n in rows["pruner"]["notes"])
    assert rows["pipeline"]["candidate"] == "v1.1.0" and rows["pipeline"]["marks"] == ["behind"]
    assert rows["plumbing-image"]["marks"] == ["unknown"]


async def test_offline_reads_only_git_and_says_so(world, kmock, github_server):
    root, _ = world
    result = await run(root, github_server, "-s", "dogfooding", "--offline")
    assert result.exit_code == 0, result.output
    assert "offline: only what git pins was read" in result.stdout
    assert list(kmock) == [] and github_server.received == []
    data = json.loads((await run(root, github_server, "-s", "dogfooding", "--offline", "--output", "json")).stdout)
    assert data["offline"] is True and data["sources"]["cluster"] is None
    assert {r["component"]: r["pinned"] for r in data["components"]}["pipeline"] == "v1.0.0"


async def test_wrong_cluster_is_one_line(world, kmock, github_server, tmp_path, monkeypatch):
    root, _ = world
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(tmp_path / "other", str(kmock.url), "kind-scratch")))
    result = await run(root, github_server, "-s", "dogfooding")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "is not cluster 'dogfooding'" in result.stderr
