"""The post-release test's in-cluster parts with the real kubernetes client against kmock:
readiness read from the API, the start from a release's finally (on success only), and the
record step (TaskRuns -> tested.json + test-logs.txt in the bucket, and a notification)."""

from __future__ import annotations

import asyncio
import io

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
