"""`release follow` (detach with Ctrl-C, re-attach) and `release logs` (print, upload)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from click.testing import CliRunner

from plumbing.cli.main import release
from plumbing.cluster import kube
from plumbing.cluster.follow import follow_run

from .conftest import NS, make_plan


async def start_run(cluster, repo, fail=False) -> tuple[str, str]:
    from plumbing.cluster.apply import create_run

    plan, run = make_plan(repo)
    target = kube.connect(repo)
    name = await asyncio.to_thread(create_run, target, NS, run, "pipeline-release")
    await cluster.play(NS, name, fail=fail, follower=False)
    return NS, name


async def invoke(*args, root=None):
    runner = CliRunner()
    full = [*args, *(["--root", str(root)] if root else [])]
    return await asyncio.to_thread(runner.invoke, release, full, catch_exceptions=False)


async def test_logs_in_task_and_step_order(cluster, repo, kubeconfig, repo_dir):
    ns, name = await start_run(cluster, repo, fail=True)
    result = await invoke("logs", name, root=repo_dir)  # no -n: found in plumbing.yaml's namespaces
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] == ["[clone/fetch] cloning", "[clone/fetch] cloned at abc123",
                         "[build/compile] go build ./...", "[build/test] test line 0"]
    assert lines[-1] == "[build/test] FAIL: TestThing"


async def test_logs_upload_next_to_the_release_and_refresh(cluster, repo, kubeconfig, repo_dir, tmp_path):
    ns, name = await start_run(cluster, repo)
    result = await invoke("logs", name, "-n", ns, "--upload", root=repo_dir)
    assert result.exit_code == 0, result.output
    path = tmp_path / "buckets" / "release" / "pipeline" / "previous" / "v1.2.3" / "logs.txt"
    assert result.output.strip() == f"uploaded 34 log lines to file://{path}"
    assert path.read_text().startswith("[clone/fetch] cloning\n")
    cluster.logs[(f"{name}-clone-pod", "step-fetch")] = "re-run\n"   # a re-run refreshes logs.txt
    result = await invoke("logs", name, "-n", ns, "--upload", "--bucket",
                          f"file://{tmp_path}/buckets/release", root=repo_dir)
    assert result.exit_code == 0, result.output
    assert path.read_text().startswith("[clone/fetch] re-run\n")


async def test_logs_of_a_missing_run_is_one_line(cluster, repo, kubeconfig, repo_dir):
    result = await invoke("logs", "nope", "-n", NS, root=repo_dir)
    assert result.exit_code == 2
    assert result.output.strip() == "release logs: no PipelineRun 'nope' in namespace pipeline-release"


async def test_ctrl_c_detaches_and_follow_reattaches(cluster, repo, kubeconfig, repo_dir):
    from plumbing.cluster.apply import create_run

    plan, run = make_plan(repo)
    target = kube.connect(repo)
    name = await asyncio.to_thread(create_run, target, NS, run, "pipeline-release")
    cluster.put_taskrun(NS, name, "clone", state="running", steps=[("fetch", None)])
    cluster.set_run(NS, name, status={"conditions": [{"type": "Succeeded", "status": "Unknown",
                                                      "reason": "Running"}]})
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from plumbing.cli.main import release; release()",
        "follow", name, "-n", NS, "--interval", "0.05", "--root", str(repo_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    first = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert first.decode().startswith(f"following PipelineRun {name} in {NS}")
    second = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert second.decode().split() == ["clone", "running"]
    proc.send_signal(signal.SIGINT)
    rest, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 130, err.decode()
    assert (f"detached: PipelineRun {name} keeps running; re-attach with: "
            f"release follow {name} -n {NS}") in rest.decode()
    assert len(cluster.posts()) == 1  # detaching deletes nothing, creates nothing

    # re-attach while Tekton finishes the run
    import io
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(follow_run, target, NS, name, out=out, interval=0.03))
    await cluster.play(NS, name)
    assert await asyncio.wait_for(task, 10) == 0
    assert f"PipelineRun {name} succeeded" in out.getvalue()
