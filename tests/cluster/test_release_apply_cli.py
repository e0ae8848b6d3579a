"""`release full|nightly PROJECT --apply` end to end: the lead's render, our guards, kmock, real git."""

from __future__ import annotations

import asyncio
import subprocess

from click.testing import CliRunner

from plumbing.cli.main import release

from .conftest import NS

SHA = "0123456789abcdef0123456789abcdef01234567"


def redirect_git(monkeypatch, upstream):
    """git's own url.<base>.insteadOf: ls-remote of the project's https URL reads the tmp repo."""
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", f"url.file://{upstream}.insteadOf")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "https://github.com/tektoncd/pipeline")


async def test_release_full_apply_follows_to_success(cluster, kubeconfig, repo_dir, git_remote, monkeypatch):
    redirect_git(monkeypatch, git_remote)
    monkeypatch.setenv("PLUMBING_POLL_INTERVAL", "0.05")
    args = ["full", "pipeline", "--version", "v1.2.3", "--revision", SHA, "--apply", "--root", str(repo_dir)]
    task = asyncio.create_task(asyncio.to_thread(CliRunner().invoke, release, args, catch_exceptions=False))
    ns, name = await cluster.wait_for_run(timeout=30)
    await cluster.play(ns, name)
    result = await asyncio.wait_for(task, 30)
    assert result.exit_code == 0, result.output
    assert ns == NS
    created = cluster.run(ns, name)
    assert created["metadata"]["labels"]["plumbing.tekton.dev/mode"] == "full"
    assert created["spec"]["pipelineSpec"]["tasks"]  # the rendered pipeline is embedded
    assert f"PipelineRun {name} succeeded" in result.output


async def test_release_full_apply_refuses_an_existing_tag(cluster, kubeconfig, repo_dir, git_remote, monkeypatch):
    redirect_git(monkeypatch, git_remote)
    subprocess.run(["git", "-C", str(git_remote), "tag", "v1.2.3"], check=True)
    args = ["full", "pipeline", "--version", "v1.2.3", "--revision", SHA, "--apply", "--root", str(repo_dir)]
    result = await asyncio.to_thread(CliRunner().invoke, release, args)
    assert result.exit_code == 1, result.output
    assert result.stderr == "release full: tag v1.2.3 already exists in https://github.com/tektoncd/pipeline\n"
    assert cluster.posts() == []


async def test_release_nightly_apply_no_follow(cluster, kubeconfig, repo_dir, git_remote, monkeypatch):
    redirect_git(monkeypatch, git_remote)   # the revision is resolved from the (local) upstream
    args = ["nightly", "pipeline", "--apply", "--no-follow", "--root", str(repo_dir)]
    result = await asyncio.to_thread(CliRunner().invoke, release, args)
    assert result.exit_code == 0, result.output + result.stderr
    ((ns, name),) = cluster.runs()
    assert ns == "pipeline-nightly" and name.startswith("release-pipeline-nightly-")
    assert f"follow it with: release follow {name} -n pipeline-nightly" in result.output
