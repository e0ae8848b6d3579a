"""--apply end to end against kmock with the real kubernetes client."""

from __future__ import annotations

import asyncio
import io

from plumbing.cluster.apply import apply_release

from .conftest import NS, make_plan


async def test_create_and_follow_to_success(cluster, repo, kubeconfig):
    plan, run = make_plan(repo)
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(apply_release, repo, plan, run, out=out, interval=0.03))
    ns, name = await cluster.wait_for_run()
    await cluster.play(ns, name)
    code = await asyncio.wait_for(task, 10)
    text = out.getvalue()
    assert code == 0, text
    assert ns == NS and name.startswith("release-pipeline-full-")
    created = cluster.run(ns, name)
    assert created["metadata"]["labels"]["plumbing.tekton.dev/project"] == "pipeline"
    assert created["spec"]["taskRunTemplate"]["serviceAccountName"] == "pipeline-release"
    assert "pre-flight ok" in text
    assert f"created PipelineRun {name} in {NS}" in text
    assert "clone                    running" in text
    assert "clone                    succeeded 42s" in text
    assert "build                    succeeded 42s" in text
    assert f"PipelineRun {name} succeeded in 1m30s" in text
    assert len(cluster.posts()) == 1


async def test_follow_to_failure_names_the_task_and_its_last_lines(cluster, repo, kubeconfig):
    plan, run = make_plan(repo)
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(apply_release, repo, plan, run, out=out, interval=0.03))
    ns, name = await cluster.wait_for_run()
    await cluster.play(ns, name, fail=True)
    code = await asyncio.wait_for(task, 10)
    text = out.getvalue()
    assert code == 1, text
    assert "build                    failed    42s (Failed)" in text
    assert "publish                  skipped" in text
    assert f"PipelineRun {name} failed in 1m30s: Failed: Tasks Completed: 2 (Failed: 1)" in text
    assert "failed task: build (Failed)" in text
    assert "[build/test] FAIL: TestThing" in text
    assert "[build/test] test line 11" in text      # the last 20 lines only
    assert "[build/test] test line 10\n" not in text


async def test_follow_with_logs_prints_steps_as_they_finish(cluster, repo, kubeconfig):
    plan, run = make_plan(repo)
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(
        apply_release, repo, plan, run, out=out, interval=0.03, logs=True))
    ns, name = await cluster.wait_for_run()
    await cluster.play(ns, name)
    assert await asyncio.wait_for(task, 10) == 0
    text = out.getvalue()
    assert text.index("[clone/fetch] cloning") < text.index("[build/compile] go build ./...")
    assert text.index("[build/compile] go build ./...") < text.index("[build/test] PASS")
    assert text.count("[clone/fetch] cloned at abc123") == 1


async def test_no_follow_prints_how_to_follow(cluster, repo, kubeconfig):
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    out = io.StringIO()
    code = await asyncio.to_thread(apply_release, repo, plan, run, out=out, follow=False)
    assert code == 0
    ((ns, name),) = cluster.runs()
    assert ns == "pipeline-nightly"
    assert f"follow it with: release follow {name} -n pipeline-nightly" in out.getvalue()


async def test_logs_of_a_running_step_come_as_they_grow(cluster, repo, kubeconfig):
    plan, run = make_plan(repo)
    out = io.StringIO()
    task = asyncio.create_task(asyncio.to_thread(
        apply_release, repo, plan, run, out=out, interval=0.03, logs=True))
    ns, name = await cluster.wait_for_run()
    cluster.put_taskrun(ns, name, "clone", state="running", steps=[("fetch", None)])
    cluster.set_run(ns, name, status={"conditions": [{"type": "Succeeded", "status": "Unknown",
                                                      "reason": "Running"}]})
    key = (f"{name}-clone-pod", "step-fetch")
    cluster.logs[key] = "first\nsec"                       # "sec" is still being written

    async def until(text):
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            if text in out.getvalue():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{text!r} never printed:\n{out.getvalue()}")

    await until("[clone/fetch] first\n")
    assert "[clone/fetch] sec" not in out.getvalue()
    cluster.logs[key] = "first\nsecond\nthird\n"
    await until("[clone/fetch] third\n")
    await cluster.play(ns, name)   # clone finishes: its log is not printed twice
    assert await asyncio.wait_for(task, 10) == 0
    text = out.getvalue()
    assert text.count("[clone/fetch] first") == 1 and text.count("[clone/fetch] second") == 1
