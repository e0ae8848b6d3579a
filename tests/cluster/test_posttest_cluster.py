"""The post-release test's in-cluster parts with the real kubernetes client against kmock:
readiness read from the API, the start from a release's finally (on success only), and the
record step (TaskRuns -> tested.json + test-logs.txt in the bucket, and a notification)."""

from __future__ import annotations

import asyncio
import io
import json

from github_server import TOKEN

from plumbing import layout
from plumbing.cluster import kube
from plumbing.posttest import readiness
from plumbing.posttest.command import record_test, start_test
from plumbing.storage import open_bucket
from plumbing.verdict import read_verdict

from .conftest import PR, TR

TEST_NS = "post-release-test"
DEPLOY = "apps/v1/deployments"
CRD = "apiextensions.k8s.io/v1/customresourcedefinitions"
NIGHTLY = "v20261124-3ee1745ae5"
SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"


def deployment(ready: bool) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "tekton-pipelines-controller", "namespace": "tekton-pipelines", "generation": 1},
            "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "updatedReplicas": 1, "availableReplicas": 1 if ready else 0,
                       "conditions": [{"type": "Available", "status": "True" if ready else "False"}]}}


async def test_wait_ready_reads_deployments_and_crds_with_the_real_client(cluster, repo, kubeconfig):
    km = cluster.kmock
    km.resources[DEPLOY] = {}
    km.resources[CRD] = {}
    km.objects[DEPLOY, "tekton-pipelines", "tekton-pipelines-controller"] = deployment(ready=False)
    km.objects[CRD, None, "tasks.tekton.dev"] = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "tasks.tekton.dev"},
        "status": {"conditions": [{"type": "Established", "status": "True"}]}}
    want = readiness.Expected([("tekton-pipelines", "tekton-pipelines-controller")], ["tasks.tekton.dev"])
    api = kube.connect(repo).api_client
    left = await asyncio.to_thread(readiness.wait_ready, api, want, timeout=0)
    assert left == ["Deployment tekton-pipelines/tekton-pipelines-controller: 0 of 1 replicas available"]

    waiting = asyncio.create_task(asyncio.to_thread(readiness.wait_ready, api, want, timeout=20, poll=0.05))
    await asyncio.sleep(0.2)
    km.objects[DEPLOY, "tekton-pipelines", "tekton-pipelines-controller"] = deployment(ready=True)
    assert await asyncio.wait_for(waiting, 20) == []
    missing = readiness.Expected([("tekton-pipelines", "nope")], [])
    assert await asyncio.to_thread(readiness.wait_ready, api, missing, timeout=0) == [
        "Deployment tekton-pipelines/nope: does not exist"]


async def test_a_failed_release_starts_no_test(cluster, repo_dir, kubeconfig):
    target = kube.connect(None)
    out = io.StringIO()
    code = await asyncio.to_thread(start_test, "pipeline", NIGHTLY, status="Failed", revision=SHA,
                                   root=repo_dir, stdout=out, target=target)
    assert code == 0 and "the release run ended 'Failed'" in out.getvalue()
    assert cluster.posts() == []


async def test_a_successful_release_starts_its_test_and_returns_once_accepted(cluster, repo_dir, kubeconfig):
    target = kube.connect(None)
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(start_test, "triggers", NIGHTLY, status="Succeeded",
                                                 revision=SHA, root=repo_dir, stdout=out, target=target))
    ns, name = await cluster.wait_for_run()
    cluster.set_run(ns, name, status={"conditions": [{"type": "Succeeded", "status": "Unknown",
                                                      "reason": "Running"}]})
    assert await asyncio.wait_for(task, 20) == 0
    run = cluster.run(ns, name)
    assert ns == TEST_NS and name.startswith("test-triggers-")
    assert run["spec"]["taskRunTemplate"]["serviceAccountName"] == "post-release-tester"
    assert {p["name"]: p["value"] for p in run["spec"]["params"]}["version"] == NIGHTLY
    assert f"started post-release test {TEST_NS}/{name}" in out.getvalue()


def play_test_run(cluster, name: str, *, smoke_fails: bool) -> None:
    tasks = ["create-cluster", "install", "check-images", "smoke"]
    spec = {"tasks": [{"name": t} for t in [*tasks, "command"]],
            "finally": [{"name": "delete-cluster"}, {"name": "record"}]}
    cluster.kmock.objects[PR, TEST_NS, name] = {
        "apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
        "metadata": {"name": name, "namespace": TEST_NS},
        "spec": {"pipelineSpec": spec},
        "status": {"startTime": "2026-11-24T05:00:00Z",
                   "skippedTasks": [{"name": "command", "reason": "When Expressions evaluated to false"}],
                   "childReferences": [{"kind": "TaskRun", "name": f"{name}-{t}", "pipelineTaskName": t}
                                       for t in [*tasks, "delete-cluster"]]}}
    for t in [*tasks, "delete-cluster"]:
        state = "failed" if smoke_fails and t == "smoke" else "succeeded"
        cluster.put_taskrun(TEST_NS, name, t, state=state, steps=[("run", 1 if state == "failed" else 0)])
        cluster.logs[(f"{name}-{t}-pod", "step-run")] = f"{t} says hello\n"


async def test_record_writes_the_verdict_and_logs_and_a_failure_notifies(cluster, repo_dir, kubeconfig, tmp_path,
                                                                         github_server):
    cluster.kmock.resources[TR] = {}
    bucket = open_bucket(f"file://{tmp_path}/buckets/nightly")
    play_test_run(cluster, "test-pipeline-aaaaa", smoke_fails=True)
    versions = tmp_path / "versions.json"
    versions.write_text('{"pipeline": "v20261124-3ee1745ae5"}')
    env = {"GITHUB_API_URL": github_server.url, "GITHUB_TOKEN": TOKEN}
    out = io.StringIO()
    code = await asyncio.to_thread(record_test, "pipeline", NIGHTLY, run="test-pipeline-aaaaa", status="Failed",
                                   versions_file=str(versions), root=repo_dir, target=kube.connect(None),
                                   notify_env=env, stdout=out)
    assert code == 0, out.getvalue()
    record = read_verdict(bucket, "pipeline", NIGHTLY)
    assert (record.verdict, record.failed_step, record.run) == ("failed", "smoke", "test-pipeline-aaaaa")
    assert [(s.name, s.result) for s in record.steps] == [
        ("create-cluster", "passed"), ("install", "passed"), ("check-images", "passed"), ("smoke", "failed"),
        ("command", "skipped")]
    assert record.steps[0].seconds == 42.0 and record.tekton == {"pipeline": NIGHTLY}
    logs = bucket.read(layout.release_file("pipeline", NIGHTLY, layout.TEST_LOGS)).decode()
    assert "[smoke/run] smoke says hello" in logs and "[install/run] install says hello" in logs
    (issue,) = github_server.issues["tektoncd/plumbing"]
    assert issue["title"] == "[release-failure] pipeline test"
    assert "failed step smoke" in issue["body"] and layout.TEST_LOGS in issue["body"]

    # An older run's record (started earlier) arriving late does not replace it.
    play_test_run(cluster, "test-pipeline-older", smoke_fails=False)
    run = cluster.run(TEST_NS, "test-pipeline-older")
    run["status"]["startTime"] = "2026-11-24T04:00:00Z"
    cluster.kmock.objects[PR, TEST_NS, "test-pipeline-older"] = run
    out = io.StringIO()
    await asyncio.to_thread(record_test, "pipeline", NIGHTLY, run="test-pipeline-older", status="Succeeded",
                            versions_file=None, root=repo_dir, target=kube.connect(None), notify_env={}, stdout=out)
    assert "a newer test run's verdict stands" in out.getvalue()
    assert read_verdict(bucket, "pipeline", NIGHTLY).run == "test-pipeline-aaaaa"


# (No Namespace document: kmock answers a namespace create with 500, one of its quirks.)
RELEASE = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: tasks.tekton.dev}
spec: {group: tekton.dev, names: {kind: Task, plural: tasks}, scope: Namespaced, versions: []}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tekton-pipelines-controller, namespace: tekton-pipelines, labels: {version: "VERSION"}}
spec:
  selector: {matchLabels: {app: controller}}
  template:
    metadata: {labels: {app: controller}}
    spec:
      containers: [{name: controller, image: "ghcr.io/tektoncd/nightly/pipeline/controller:VERSION@DIGEST"}]
"""
DIGEST = "sha256:" + "4" * 64


def serve_kinds(km):
    for key, kind, namespaced in (("v1/namespaces", "Namespace", False), (DEPLOY, "Deployment", True),
                                  (CRD, "CustomResourceDefinition", False), ("v1/pods", "Pod", True)):
        km.resources[key] = {"kind": kind, "namespaced": namespaced, "verbs": ["create", "get", "list"]}


async def test_install_applies_the_published_files_and_waits_for_readiness(cluster, repo_dir, kubeconfig, tmp_path):
    from plumbing.config import load_repo
    from plumbing.posttest import steps

    km = cluster.kmock
    serve_kinds(km)
    bucket = open_bucket(f"file://{tmp_path}/buckets/nightly")
    bucket.write(layout.release_file("pipeline", NIGHTLY, layout.RELEASE_YAML),
                 RELEASE.replace("VERSION", NIGHTLY).replace("DIGEST", DIGEST).encode())
    repo = load_repo(repo_dir)
    api = kube.connect(None).api_client
    out = io.StringIO()
    installing = asyncio.create_task(asyncio.to_thread(
        steps.install, repo, "pipeline", NIGHTLY, api, kube_dir=tmp_path, timeout=20, out=out, poll=0.05))
    deadline = asyncio.get_running_loop().time() + 20
    while not [r for r in cluster.posts() if r.url.path.endswith("/deployments")]:
        assert not installing.done() or installing.result(), "install ended without creating the Deployment"
        assert asyncio.get_running_loop().time() < deadline, "install created no Deployment"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.1)
    created = dict(km.objects[DEPLOY, "tekton-pipelines", "tekton-pipelines-controller"].raw)
    assert created["spec"]["template"]["spec"]["containers"][0]["image"].endswith(DIGEST)
    km.objects[DEPLOY, "tekton-pipelines", "tekton-pipelines-controller"] = {**created, **deployment(ready=True),
                                                                             "spec": created["spec"]}
    km.objects[CRD, None, "tasks.tekton.dev"] = {
        **dict(km.objects[CRD, None, "tasks.tekton.dev"].raw),
        "status": {"conditions": [{"type": "Established", "status": "True"}]}}
    assert await asyncio.wait_for(installing, 20) == {"pipeline": NIGHTLY}
    assert (tmp_path / "versions.json").read_text() == json.dumps({"pipeline": NIGHTLY})
    assert "pipeline v20261124-3ee1745ae5: 1 Deployments available, 1 CRDs Established" in out.getvalue()


def running_pod(image_id: str) -> dict:
    image = f"ghcr.io/tektoncd/nightly/pipeline/controller:{NIGHTLY}@{DIGEST}"
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "controller-abc", "namespace": "tekton-pipelines"},
            "spec": {"containers": [{"name": "controller", "image": image}]},
            "status": {"containerStatuses": [{"name": "controller", "image": image, "imageID": image_id,
                                              "ready": True, "restartCount": 0}]}}


async def test_check_images_reads_the_running_pods_and_live_labels(cluster, repo_dir, kubeconfig, tmp_path):
    from plumbing.config import load_repo
    from plumbing.posttest import steps

    km = cluster.kmock
    serve_kinds(km)
    bucket = open_bucket(f"file://{tmp_path}/buckets/nightly")
    bucket.write(layout.release_file("pipeline", NIGHTLY, layout.RELEASE_YAML),
                 RELEASE.replace("VERSION", NIGHTLY).replace("DIGEST", DIGEST).encode())
    live = RELEASE.replace("VERSION", NIGHTLY).replace("DIGEST", DIGEST)
    import yaml

    deployment_doc = [d for d in yaml.safe_load_all(live) if d["kind"] == "Deployment"][0]
    km.objects[DEPLOY, "tekton-pipelines", "tekton-pipelines-controller"] = deployment_doc
    km.objects["v1/pods", "tekton-pipelines", "controller-abc"] = running_pod(
        f"ghcr.io/tektoncd/nightly/pipeline/controller@{DIGEST}")
    repo, api = load_repo(repo_dir), kube.connect(None).api_client
    assert await asyncio.to_thread(steps.check_images, repo, "pipeline", NIGHTLY, api, out=io.StringIO()) == []

    other = "sha256:" + "5" * 64
    km.objects["v1/pods", "tekton-pipelines", "controller-abc"] = running_pod(
        f"docker-pullable://ghcr.io/tektoncd/nightly/pipeline/controller@{other}")
    km.objects[DEPLOY, "tekton-pipelines", "tekton-pipelines-controller"] = {
        **deployment_doc, "metadata": {**deployment_doc["metadata"], "labels": {"version": "devel"}}}
    problems = await asyncio.to_thread(steps.check_images, repo, "pipeline", NIGHTLY, api, out=io.StringIO())
    assert problems == [
        f"pod tekton-pipelines/controller-abc container controller: runs "
        f"ghcr.io/tektoncd/nightly/pipeline/controller@{other}, release.yaml publishes {DIGEST}",
        f"Deployment tekton-pipelines/tekton-pipelines-controller label version: devel left, not {NIGHTLY}"]


async def test_smoke_runs_must_succeed(cluster, kubeconfig):
    from plumbing.posttest import steps

    api = kube.connect(None).api_client
    cluster.put_taskrun("smoke", "s", "ok", state="succeeded", steps=[("run", 0)])
    cluster.put_taskrun("smoke", "s", "bad", state="failed", steps=[("run", 1)])
    runs = [("examples/a.yaml", {"kind": "TaskRun", "metadata": {"name": "s-ok", "namespace": "smoke"}}),
            ("examples/b.yaml", {"kind": "TaskRun", "metadata": {"name": "s-bad", "namespace": "smoke"}})]
    out = io.StringIO()
    failures = await asyncio.to_thread(steps.wait_runs, api, runs, timeout=5, poll=0.05, out=out)
    assert failures == ["examples/b.yaml: TaskRun s-bad failed: Failed"]
    assert "smoke examples/a.yaml: TaskRun s-ok succeeded" in out.getvalue()
