"""The CronJob mode: in-cluster, create, check Tekton accepted the run, exit non-zero if not."""

from __future__ import annotations

import asyncio
import io

import pytest

from plumbing.cluster import kube
from plumbing.cluster.apply import RunRejected, apply_release

from .conftest import make_plan


def cronjob_target(kubeconfig) -> kube.Target:
    """The kmock connection, marked in-cluster: kmock speaks plain HTTP, the in-cluster loader
    only HTTPS, so the mode is chosen here while the connection stays the real client's."""
    target = kube.connect(None, check_cluster=False)
    target.in_cluster = True
    return target


async def test_api_rejecting_the_run_fails_the_job(cluster, repo, kubeconfig):
    cluster.kmock["post", "/apis/tekton.dev/v1/namespaces/release-nightly/pipelineruns"] << 422 << {
        "apiVersion": "v1", "kind": "Status", "status": "Failure", "code": 422, "reason": "Invalid",
        "message": 'admission webhook "validation.webhook.pipeline.tekton.dev" denied the request: '
                   "invalid value: foo: spec.params"}
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    target = cronjob_target(kubeconfig)
    with pytest.raises(RunRejected) as info:
        await asyncio.to_thread(apply_release, repo, plan, run, out=io.StringIO(), target=target)
    assert info.value.exit_code == 1
    assert str(info.value).startswith("the API refused the PipelineRun in release-nightly: 422 admission webhook")


async def test_tekton_failing_validation_fails_the_job(cluster, repo, kubeconfig):
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(
        apply_release, repo, plan, run, out=out, target=cronjob_target(kubeconfig), interval=0.03,
        accept_wait=10))
    ns, name = await cluster.wait_for_run()
    cluster.set_run(ns, name, status={"conditions": [{
        "type": "Succeeded", "status": "False", "reason": "PipelineValidationFailed",
        "message": "Pipeline release-nightly/x can't be Run; it has an invalid spec"}]})
    assert await asyncio.wait_for(task, 10) == 1
    assert f"Tekton rejected PipelineRun {ns}/{name}: PipelineValidationFailed: Pipeline" in out.getvalue()


async def test_accepted_run_exits_zero_without_following(cluster, repo, kubeconfig):
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(
        apply_release, repo, plan, run, out=out, target=cronjob_target(kubeconfig), interval=0.03,
        accept_wait=10))
    ns, name = await cluster.wait_for_run()
    cluster.set_run(ns, name, status={"conditions": [{"type": "Succeeded", "status": "Unknown",
                                                      "reason": "Running"}]})
    assert await asyncio.wait_for(task, 10) == 0
    assert f"PipelineRun {ns}/{name} accepted and running" in out.getvalue()


async def test_no_status_within_the_wait_counts_as_accepted(cluster, repo, kubeconfig):
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    out = io.StringIO()
    code = await asyncio.to_thread(apply_release, repo, plan, run, out=out,
                                   target=cronjob_target(kubeconfig), interval=0.03, accept_wait=0.2)
    assert code == 0
    assert "accepted (no failure within 0.2s)" in out.getvalue()


def test_in_cluster_is_detected_from_env_and_token(tmp_path, monkeypatch):
    sa = tmp_path / "sa"
    sa.mkdir()
    monkeypatch.setenv("PLUMBING_SERVICEACCOUNT_DIR", str(sa))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    assert not kube.in_cluster()            # no token mounted
    (sa / "token").write_text("t0ken")
    (sa / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    (sa / "namespace").write_text("release-nightly\n")
    assert kube.in_cluster()
    target = kube.connect(None)
    assert target.in_cluster and target.namespace == "release-nightly"
    assert target.api_client.configuration.host == "https://127.0.0.1:6443"
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    assert not kube.in_cluster()
