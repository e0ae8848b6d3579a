"""`release full PROJECT --apply` ends with a signed release, its notes and exactly one draft GitHub
release: the run is created in kmock, and its new tasks are played the way the cluster would
play them, with the very commands and arguments the rendered PipelineRun carries."""

from __future__ import annotations

import asyncio
import re

from click.testing import CliRunner
from github_server import TOKEN
from notes_repo import REPO, make_history

from plumbing.cli.main import release
from plumbing.storage import open_bucket

from .test_release_apply_cli import redirect_git
from .test_signatures import put_publish

DIGEST = "sha256:" + "cd" * 32
REKOR = "https://rekor.sigstore.dev/api/v1/log/entries?logIndex=99"


def task_steps(run: dict, name: str) -> list[dict]:
    (task,) = [t for t in run["spec"]["pipelineSpec"]["tasks"] if t["name"] == name]
    return task["taskSpec"]["steps"]


def substitute(args: list[str], values: dict[str, str]) -> list[str]:
    def one(m):
        return values[m.group(1)]
    return [re.sub(r"\$\(([^)]+)\)", one, a) for a in args]


async def test_full_release_ends_signed_with_notes_and_one_draft(cluster, kubeconfig, repo_dir, tmp_path,
                                                                 github_server, monkeypatch):
    (tmp_path / "project").mkdir()
    upstream = make_history(tmp_path / "project", github_server)
    redirect_git(monkeypatch, upstream.path)
    monkeypatch.setenv("PLUMBING_POLL_INTERVAL", "0.05")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    revision = upstream.commits["direct"]
    args = ["full", "pipeline", "--version", "v1.1.0", "--revision", revision, "--apply", "--root", str(repo_dir)]
    applying = asyncio.create_task(asyncio.to_thread(CliRunner().invoke, release, args, catch_exceptions=False))
    ns, name = await cluster.wait_for_run(timeout=30)
    run = cluster.run(ns, name)
    params = {p["name"]: p["value"] for p in run["spec"]["params"]}

    # upload: the release is in the bucket
    bucket = open_bucket(params["bucket"])
    bucket.write("pipeline/previous/v1.1.0/release.yaml",
                 f"image: ghcr.io/tektoncd/pipeline/controller:v1.1.0@{DIGEST}\n".encode())

    # wait-for-signatures: Chains signs the publish TaskRun; the step's own arguments are run
    put_publish(cluster, {"chains.tekton.dev/signed": "true", "chains.tekton.dev/transparency": REKOR}, run=name)
    (wait_step,) = task_steps(run, "wait-for-signatures")
    result_file = tmp_path / "transparency"
    wait_args = substitute(wait_step["args"], {"params.run": name, "params.timeout": "5",
                                               "results.transparency.path": str(result_file)})
    signed = await asyncio.to_thread(CliRunner().invoke, release,
                                     [*wait_step["command"][1:], *wait_args, "-n", ns, "--interval", "0.05",
                                      "--root", str(repo_dir)])
    assert signed.exit_code == 0, signed.output
    assert result_file.read_text() == REKOR

    # github-release: notes then draft, three times over (re-runs of the task)
    workspace = tmp_path / "workspace"
    values = {**{f"params.{k}": v for k, v in params.items()}, "params.transparency": result_file.read_text(),
              "workspaces.source.path": str(workspace)}
    for _ in range(3):
        for step in task_steps(run, "github-release"):
            out = await asyncio.to_thread(CliRunner().invoke, release,
                                          [*step["command"][1:], *substitute(step["args"], values),
                                           "--root", str(repo_dir)])
            assert out.exit_code == 0, (step["name"], out.output)
    notes = (workspace / "notes" / "notes.md").read_text()
    assert "Pipelines can do X." in notes and "PR pr1" not in notes and REKOR in notes and DIGEST in notes
    (draft,) = github_server.releases[REPO]
    assert draft["draft"] and draft["tag_name"] == "v1.1.0" and draft["body"] == notes
    assert draft["make_latest"] == "true" and draft["target_commitish"] == revision

    await cluster.play(ns, name)
    finished = await asyncio.wait_for(applying, 30)
    assert finished.exit_code == 0, finished.output
