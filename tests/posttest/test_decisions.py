"""The post-release test's decisions, tested directly: readiness, the digest and label check,
which release runs start a test, and the verdict from a test run's TaskRuns."""

from __future__ import annotations

from plumbing import verdict
from plumbing.config import load_repo
from plumbing.posttest import digests, readiness
from plumbing.posttest.launch import should_start
from plumbing.posttest.record import judge, steps_of

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64
REG = "ghcr.io/tektoncd/pipeline/cmd"
RELEASE = f"""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: tasks.tekton.dev, labels: {{pipeline.tekton.dev/release: v1.2.3}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tekton-pipelines-controller
  namespace: tekton-pipelines
  labels: {{app.kubernetes.io/version: v1.2.3, pipeline.tekton.dev/release: v1.2.3}}
spec:
  template:
    metadata: {{labels: {{app.kubernetes.io/version: v1.2.3}}}}
    spec:
      containers:
        - name: tekton-pipelines-controller
          image: {REG}/controller:v1.2.3@{D1}
          args: [-entrypoint-image, {REG}/entrypoint:v1.2.3@{D2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: tekton-pipelines-webhook, namespace: tekton-pipelines, labels: {{version: v1.2.3}}}}
spec:
  template:
    spec:
      containers: [{{name: webhook, image: "{REG}/webhook:v1.2.3@{D3}"}}]
"""


def docs(text=RELEASE):
    import yaml

    return [d for d in yaml.safe_load_all(text) if d]


def available(name, ns="tekton-pipelines", **status):
    base = {"observedGeneration": 1, "updatedReplicas": 1, "availableReplicas": 1,
            "conditions": [{"type": "Available", "status": "True"}]}
    return {"metadata": {"name": name, "namespace": ns, "generation": 1}, "spec": {"replicas": 1},
            "status": {**base, **status}}


# --- readiness ------------------------------------------------------------------------------

def test_every_deployment_and_crd_is_expected_by_default_or_only_the_named_ones():
    want = readiness.expected(docs(), None)
    assert want.deployments == [("tekton-pipelines", "tekton-pipelines-controller"),
                                ("tekton-pipelines", "tekton-pipelines-webhook")]
    assert want.crds == ["tasks.tekton.dev"]
    named = readiness.expected(docs(), ("tekton-pipelines-webhook",), crds=False)
    assert (named.deployments, named.crds) == ([("tekton-pipelines", "tekton-pipelines-webhook")], [])
    assert readiness.missing_names(docs(), ("tekton-dashboard",)) == ["tekton-dashboard"]


def test_ready_only_when_every_deployment_is_available_and_every_crd_established():
    want = readiness.expected(docs(), None)
    crd = {"tasks.tekton.dev": {"status": {"conditions": [{"type": "Established", "status": "True"}]}}}
    deps = {k: available(k[1]) for k in want.deployments}
    assert readiness.problems(want, deps, crd) == []
    rolling = {**deps, want.deployments[0]: available(want.deployments[0][1], availableReplicas=0,
                                                      conditions=[{"type": "Available", "status": "False"}])}
    stale = {**deps, want.deployments[1]: {**available(want.deployments[1][1]),
                                           "metadata": {"name": "x", "generation": 2}}}
    assert readiness.problems(want, rolling, crd) == [
        "Deployment tekton-pipelines/tekton-pipelines-controller: 0 of 1 replicas available"]
    assert "has not seen the current spec" in readiness.problems(want, stale, crd)[0]
    assert readiness.problems(want, {}, {"tasks.tekton.dev": {"status": {}}}) == [
        "Deployment tekton-pipelines/tekton-pipelines-controller: does not exist",
        "Deployment tekton-pipelines/tekton-pipelines-webhook: does not exist",
        "CustomResourceDefinition tasks.tekton.dev: condition Established is not True"]


# --- the digest and label check -------------------------------------------------------------

def pod(image, image_id, name="c"):
    return {"metadata": {"name": "p", "namespace": "tekton-pipelines"},
            "spec": {"containers": [{"name": name, "image": image}]},
            "status": {"containerStatuses": [{"name": name, "image": image, "imageID": image_id}]}}


def test_matching_digests_pass():
    published = digests.published_digests(RELEASE)
    assert published == {f"{REG}/controller": D1, f"{REG}/entrypoint": D2, f"{REG}/webhook": D3}
    running = [pod(f"{REG}/controller:v1.2.3@{D1}", f"{REG}/controller@{D1}"),
               pod("docker.io/library/busybox:1.36", "docker.io/library/busybox@" + D2)]  # not ours: ignored
    assert digests.running_mismatches(running, published) == []
    assert digests.unpinned(docs()) == []
    assert digests.leftover_labels(docs(), "v1.2.3") == []


def test_a_missing_digest_is_reported():
    text = RELEASE.replace(f"{REG}/webhook:v1.2.3@{D3}", f"{REG}/webhook:v1.2.3")
    assert digests.unpinned(docs(text)) == [
        "Deployment tekton-pipelines/tekton-pipelines-webhook container webhook: image "
        f"{REG}/webhook:v1.2.3 has no digest in release.yaml"]
    no_id = pod(f"{REG}/controller:v1.2.3", "")
    assert "no known digest" in digests.running_mismatches([no_id], digests.published_digests(RELEASE))[0]


def test_a_different_digest_is_reported():
    running = [pod(f"{REG}/controller:v1.2.3@{D1}", f"docker-pullable://{REG}/controller@{D2}")]
    assert digests.running_mismatches(running, digests.published_digests(RELEASE)) == [
        f"pod tekton-pipelines/p container c: runs {REG}/controller@{D2}, release.yaml publishes {D1}"]


def test_a_leftover_devel_or_other_version_label_is_reported():
    text = RELEASE.replace("labels: {version: v1.2.3}", "labels: {version: devel}").replace(
        "metadata: {labels: {app.kubernetes.io/version: v1.2.3}}", "metadata: {labels: {app.kubernetes.io/version: v1.2.2}}")
    assert digests.leftover_labels(docs(text), "v1.2.3") == [
        "Deployment tekton-pipelines/tekton-pipelines-controller pod template label app.kubernetes.io/version: "
        "says 'v1.2.2', not v1.2.3",
        "Deployment tekton-pipelines/tekton-pipelines-webhook label version: devel left, not v1.2.3"]


# --- the trigger: a release that succeeded, and only that, starts a test ----------------------

def test_only_a_successful_release_of_a_tested_project_starts_a_test(repo_root):
    repo = load_repo(repo_root)
    assert should_start("Succeeded", repo.project("pipeline"))[0]
    assert should_start("Completed", repo.project("pipeline"))[0]  # succeeded, some tasks skipped
    for status in ("Failed", "None", "Cancelled", "PipelineRunTimeout", ""):
        assert not should_start(status, repo.project("pipeline"))[0], status
    start, why = should_start("Succeeded", repo.project("cli"))
    assert not start and "enabled: false" in why


# --- the verdict from the test run ----------------------------------------------------------

def taskrun(task, status, start="2026-11-24T03:00:00Z", end="2026-11-24T03:00:41Z"):
    return {"metadata": {"name": f"run-{task}"}, "status": {
        "conditions": [{"type": "Succeeded", "status": status}], "startTime": start, "completionTime": end}}


def test_steps_and_verdict_come_from_the_taskruns():
    run = {"spec": {"pipelineSpec": {"tasks": [{"name": n} for n in ("create-cluster", "install", "smoke",
                                                                      "command")],
                                     "finally": [{"name": "delete-cluster"}, {"name": "record"}]}},
           "status": {"skippedTasks": [{"name": "command", "reason": "When Expressions evaluated to false"}]}}
    trs = {"create-cluster": taskrun("create-cluster", "True"), "install": taskrun("install", "True"),
           "smoke": taskrun("smoke", "False"), "delete-cluster": taskrun("delete-cluster", "True")}
    steps = steps_of(run, trs)
    assert [(s.name, s.result, s.seconds) for s in steps] == [
        ("create-cluster", "passed", 41.0), ("install", "passed", 41.0), ("smoke", "failed", 41.0),
        ("command", "skipped", None)]
    assert judge("Failed", steps) == verdict.FAILED
    passing = [s for s in steps if s.name != "smoke"]
    assert judge("Completed", passing) == verdict.PASSED
    assert judge("Failed", passing) == verdict.FAILED   # e.g. cancelled before anything failed
