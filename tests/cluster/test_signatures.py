"""`release wait-signatures`: Tekton Chains' annotation on the publish TaskRun, read through the
Kubernetes API (kmock) by the real client: signed, failed, timeout."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from plumbing.cli.main import release
from plumbing.cluster import kube
from plumbing.cluster.signatures import SIGNED, TRANSPARENCY, wait_for_signature

from .conftest import NS, TR

RUN = "release-full-abc12"
REKOR = "https://rekor.sigstore.dev/api/v1/log/entries?logIndex=42"


def put_publish(cluster, annotations: dict | None = None, task: str = "publish-images", run: str = RUN) -> str:
    name = f"{run}-{task}"
    cluster.put_taskrun(NS, run, task, state="succeeded", steps=[("publish", 0)])
    obj = dict(cluster.kmock.objects[TR, NS, name].raw)
    obj["metadata"] = {**obj["metadata"], "annotations": annotations or {}}
    cluster.kmock.objects[TR, NS, name] = obj
    return name


async def wait(repo, **kw):
    target = kube.connect(repo)
    return await asyncio.to_thread(wait_for_signature, target, NS, RUN, **kw)


async def test_signed_with_a_transparency_entry(cluster, repo, kubeconfig):
    put_publish(cluster, {"chains.tekton.dev/signed": "true", TRANSPARENCY: REKOR})
    put_publish(cluster, {}, task="upload")          # another task of the run: not the one we wait for
    sig = await wait(repo, timeout=5, interval=0.05)
    assert (sig.state, sig.taskrun, sig.transparency) == ("signed", f"{RUN}-publish-images", REKOR)


async def test_signed_after_a_while(cluster, repo, kubeconfig):
    put_publish(cluster)
    target = kube.connect(repo)
    task = asyncio.create_task(asyncio.to_thread(wait_for_signature, target, NS, RUN, timeout=10, interval=0.05))
    await asyncio.sleep(0.3)
    assert not task.done()
    put_publish(cluster, {SIGNED: "true"})
    sig = await asyncio.wait_for(task, 10)
    assert sig.ok and sig.transparency is None


async def test_failed(cluster, repo, kubeconfig):
    put_publish(cluster, {SIGNED: "failed"})
    sig = await wait(repo, timeout=5, interval=0.05)
    assert sig.state == "failed" and not sig.ok


async def test_timeout_with_a_fake_clock(cluster, repo, kubeconfig):
    put_publish(cluster)
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    sig = await wait(repo, timeout=30, interval=10, sleep=sleep, clock=lambda: now[0])
    assert sig.state == "timeout" and sig.taskrun == f"{RUN}-publish-images"
    assert slept == [10, 10, 10]


async def test_cli_exit_codes_and_result_file(cluster, repo, kubeconfig, repo_dir, tmp_path):
    runner = CliRunner()
    put_publish(cluster, {SIGNED: "failed"})
    args = ["wait-signatures", RUN, "-n", NS, "--timeout", "2", "--interval", "0.05", "--root", str(repo_dir)]
    failed = await asyncio.to_thread(runner.invoke, release, args)
    assert failed.exit_code == 1 and "failed to sign" in failed.stderr
    put_publish(cluster, {SIGNED: "true", TRANSPARENCY: REKOR})
    out = tmp_path / "transparency"
    ok = await asyncio.to_thread(runner.invoke, release, [*args, "--result", str(out), "--output", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["state"] == "signed" and out.read_text() == REKOR


async def test_cli_no_publish_taskrun_times_out(cluster, repo, kubeconfig, repo_dir, tmp_path):
    out = tmp_path / "transparency"
    args = ["wait-signatures", "other-run", "-n", NS, "--timeout", "0.2", "--interval", "0.05", "--root", str(repo_dir),
            "--result", str(out)]
    result = await asyncio.to_thread(CliRunner().invoke, release, args)
    assert result.exit_code == 1 and "not found" in result.stderr
    assert out.read_text() == "none"          # a Tekton result is never left empty
