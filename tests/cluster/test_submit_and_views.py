"""submit (plumbing image build --apply), the rich live view, one-line CLI refusals."""

from __future__ import annotations

import asyncio
import io

import pytest
from click.testing import CliRunner

from plumbing.cli.main import release
from plumbing.cluster import kube, runs
from plumbing.cluster.apply import submit
from plumbing.cluster.follow import follow_run

from .conftest import write_kubeconfig


def image_build_run() -> dict:
    return {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
            "metadata": {"generateName": "image-build-plumbing-"},
            "spec": {"pipelineSpec": {"tasks": [{"name": "clone"}, {"name": "build"}]}}}


async def test_submit_creates_with_the_service_account_and_follows(cluster, repo, kubeconfig):
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(
        submit, repo, image_build_run(), namespace="pipeline-nightly", service_account="pipeline-nightly",
        follow=True, out=out, interval=0.03))
    ns, name = await cluster.wait_for_run()
    await cluster.play(ns, name)
    assert await asyncio.wait_for(task, 10) == 0
    assert name.startswith("image-build-plumbing-") and len(name) == len("image-build-plumbing-") + 5
    assert cluster.run(ns, name)["spec"]["taskRunTemplate"]["serviceAccountName"] == "pipeline-nightly"


async def test_submit_refuses_a_missing_service_account(cluster, repo, kubeconfig):
    with pytest.raises(kube.Refused, match="service account 'builder' does not exist"):
        await asyncio.to_thread(submit, repo, image_build_run(), namespace="pipeline-nightly",
                                service_account="builder", follow=False, out=io.StringIO())
    assert cluster.posts() == []


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


async def test_a_terminal_gets_the_rich_live_table(cluster, repo, kubeconfig):
    from plumbing.cluster.apply import create_run

    target = kube.connect(repo)
    name = await asyncio.to_thread(create_run, target, "release", image_build_run(), "pipeline-release")
    await cluster.play("release", name, fail=True, follower=False)
    out = FakeTTY()
    assert await asyncio.to_thread(follow_run, target, "release", name, out=out, interval=0.03) == 1
    text = out.getvalue()
    assert "PipelineRun release/" in text and "duration" in text   # the table's title and header
    assert "failed task: build (Failed)" in text


async def test_follow_cli_refuses_the_wrong_cluster_in_one_line(cluster, repo_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kc", cluster.url, "minikube")))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    result = await asyncio.to_thread(CliRunner().invoke, release,
                                     ["follow", "some-run", "--root", str(repo_dir)])
    assert result.exit_code == 1
    assert result.stderr.startswith("release follow: kube context 'minikube' is not cluster 'dogfooding'")
    assert result.stderr.count("\n") == 1


def test_states_and_durations_from_tekton_status():
    run = {"metadata": {"name": "r"},
           "spec": {"pipelineSpec": {"tasks": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                                     "finally": [{"name": "z"}]}},
           "status": {"skippedTasks": [{"name": "c", "reason": "When Expressions evaluated to false"}]}}
    trs = {"a": {"metadata": {"name": "r-a"}, "status": {
        "startTime": "2026-11-24T05:00:00Z", "completionTime": "2026-11-24T06:02:05Z",
        "conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}]}},
           "b": {"metadata": {"name": "r-b"}, "status": {
               "conditions": [{"type": "Succeeded", "status": "Unknown", "reason": "Pending"}]}}}
    states = runs.task_states(run, trs)
    assert [(s.name, s.state) for s in states] == [
        ("a", "succeeded"), ("b", "pending"), ("c", "skipped"), ("z", "pending")]
    assert runs.format_duration(states[0].duration()) == "1h02m"
    assert runs.format_duration(59.6) == "1m00s"


async def test_following_a_run_that_disappears_is_one_line(cluster, repo, kubeconfig):
    from plumbing.findings import PlumbingError

    target = kube.connect(repo)
    with pytest.raises(PlumbingError, match=r"^cannot read PipelineRun release/gone: 404"):
        await asyncio.to_thread(follow_run, target, "release", "gone", out=io.StringIO(), interval=0.01)


async def test_plumbing_image_build_apply_through_the_cli(cluster, kubeconfig, repo_dir, repo_root):
    """`plumbing image build plumbing --apply --no-follow`: the image CLI's render, our submit."""
    import shutil

    from plumbing.cli.main import plumbing

    shutil.copytree(repo_root / "images", repo_dir / "images")
    cluster.kmock["get /api/v1/namespaces/release"] << {   # the org's namespace for CI images
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "release"}}
    cluster.kmock.objects["v1/serviceaccounts", "release", "image-builder"] = {
        "metadata": {"name": "image-builder", "namespace": "release"}}
    result = await asyncio.to_thread(CliRunner().invoke, plumbing,
                                     ["image", "build", "plumbing", "--apply", "--no-follow",
                                      "--root", str(repo_dir)])
    assert result.exit_code == 0, result.output + result.stderr
    ((ns, name),) = cluster.runs()
    assert ns == "release"
    assert cluster.run(ns, name)["spec"]["taskRunTemplate"]["serviceAccountName"] == "image-builder"
    assert f"follow it with: release follow {name} -n release" in result.output
