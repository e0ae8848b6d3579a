"""The CronJob mode: in-cluster, create, check Tekton accepted the run, exit non-zero if not.

The `in_cluster` fixture serves kmock over HTTPS and mounts a service-account folder, so the
kubernetes client's own in-cluster loader (token, CA, KUBERNETES_SERVICE_HOST) connects."""

from __future__ import annotations

import asyncio
import io

import pytest

from plumbing.cluster import kube
from plumbing.cluster.apply import RunRejected, apply_release

from .conftest import make_plan


async def test_api_rejecting_the_run_fails_the_job(cluster, repo, in_cluster):
    cluster.kmock["post", "/apis/tekton.dev/v1/namespaces/pipeline-nightly/pipelineruns"] << 422 << {
        "apiVersion": "v1", "kind": "Status", "status": "Failure", "code": 422, "reason": "Invalid",
        "message": 'admission webhook "validation.webhook.pipeline.tekton.dev" denied the request: '
                   "invalid value: foo: spec.params"}
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    with pytest.raises(RunRejected) as info:
        await asyncio.to_thread(apply_release, repo, plan, run, out=io.StringIO())
    assert info.value.exit_code == 1
    assert str(info.value).startswith("the API refused the PipelineRun in pipeline-nightly: 422 admission webhook")


async def test_tekton_failing_validation_fails_the_job(cluster, repo, in_cluster):
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(
        apply_release, repo, plan, run, out=out, interval=0.03,
        accept_wait=10))
    ns, name = await cluster.wait_for_run()
    cluster.set_run(ns, name, status={"conditions": [{
        "type": "Succeeded", "status": "False", "reason": "PipelineValidationFailed",
        "message": "Pipeline pipeline-nightly/x can't be Run; it has an invalid spec"}]})
    assert await asyncio.wait_for(task, 10) == 1
    assert f"Tekton rejected PipelineRun {ns}/{name}: PipelineValidationFailed: Pipeline" in out.getvalue()


async def test_accepted_run_exits_zero_without_following(cluster, repo, in_cluster):
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(
        apply_release, repo, plan, run, out=out, interval=0.03,
        accept_wait=10))
    ns, name = await cluster.wait_for_run()
    cluster.set_run(ns, name, status={"conditions": [{"type": "Succeeded", "status": "Unknown",
                                                      "reason": "Running"}]})
    assert await asyncio.wait_for(task, 10) == 0
    assert f"PipelineRun {ns}/{name} accepted and running" in out.getvalue()


async def test_no_status_within_the_wait_counts_as_accepted(cluster, repo, in_cluster):
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    out = io.StringIO()
    code = await asyncio.to_thread(apply_release, repo, plan, run, out=out,
                                   interval=0.03, accept_wait=0.2)
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
    (sa / "namespace").write_text("pipeline-nightly\n")
    assert kube.in_cluster()
    target = kube.connect(None)
    assert target.in_cluster and target.namespace == "pipeline-nightly"
    assert target.api_client.configuration.host == "https://127.0.0.1:6443"
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    assert not kube.in_cluster()


async def test_cronjob_release_nightly_apply_over_the_in_cluster_config(cluster, in_cluster, repo_dir, git_remote,
                                                                       monkeypatch):
    """What the nightly CronJob runs, through the real in-cluster loader (HTTPS, token, CA)."""
    from click.testing import CliRunner

    from plumbing.cli.main import release

    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.file://{git_remote}.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "https://github.com/tektoncd/pipeline")
    args = ["nightly", "pipeline", "--apply", "--root", str(repo_dir)]
    task = asyncio.create_task(asyncio.to_thread(CliRunner().invoke, release, args))
    ns, name = await cluster.wait_for_run()
    cluster.set_run(ns, name, status={"conditions": [{"type": "Succeeded", "status": "Unknown",
                                                      "reason": "Running"}]})
    result = await asyncio.wait_for(task, 30)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"created PipelineRun {name} in pipeline-nightly (in-cluster service account)" in result.output
    assert f"PipelineRun {ns}/{name} accepted and running" in result.output
    post = cluster.posts()[0]
    assert post.headers.get("Authorization").lower() == "bearer in-cluster-token"
    assert post.url.scheme == "https"


async def test_cronjob_fails_when_the_api_rejects_the_run(cluster, in_cluster, repo_dir, git_remote, monkeypatch):
    from click.testing import CliRunner

    from plumbing.cli.main import release

    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.file://{git_remote}.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "https://github.com/tektoncd/pipeline")
    cluster.kmock["post", "/apis/tekton.dev/v1/namespaces/pipeline-nightly/pipelineruns"] << 403 << {
        "apiVersion": "v1", "kind": "Status", "status": "Failure", "code": 403, "reason": "Forbidden",
        "message": 'pipelineruns.tekton.dev is forbidden: User "system:serviceaccount:pipeline-nightly:'
                   'pipeline-nightly" cannot create resource "pipelineruns"'}
    result = await asyncio.to_thread(CliRunner().invoke, release,
                                     ["nightly", "pipeline", "--apply", "--root", str(repo_dir)])
    assert result.exit_code == 1
    assert result.stderr.startswith("release nightly: the API refused the PipelineRun in pipeline-nightly: "
                                    "403 pipelineruns.tekton.dev is forbidden")


async def test_finally_task_uploads_logs_in_cluster_without_plumbing_yaml(cluster, repo, in_cluster, tmp_path,
                                                                          monkeypatch):
    """What the release pipeline's finally runs: `release logs RUN --upload --bucket URL`, in a
    container with no plumbing.yaml; the run is found in the pod's namespace."""
    from click.testing import CliRunner

    from plumbing.cli.main import release
    from plumbing.cluster.apply import create_run

    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    name = await asyncio.to_thread(create_run, kube.connect(None), "pipeline-nightly", run, "pipeline-nightly")
    await cluster.play("pipeline-nightly", name, fail=True, follower=False)
    empty = tmp_path / "container"
    empty.mkdir()
    monkeypatch.chdir(empty)
    bucket = tmp_path / "buckets" / "nightly"
    result = await asyncio.to_thread(CliRunner().invoke, release,
                                     ["logs", name, "--upload", "--bucket", f"file://{bucket}"])
    assert result.exit_code == 0, result.output + result.stderr
    logs = (bucket / "pipeline" / "previous" / "v20261124-0123456789" / "logs.txt").read_text()
    assert logs.splitlines()[0] == "[clone/fetch] cloning"
    assert logs.splitlines()[-1] == "[build/test] FAIL: TestThing"
