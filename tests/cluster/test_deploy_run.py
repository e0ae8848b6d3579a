"""`plumbing deploy run` wired to its real parts: the cluster (kmock, real kubernetes client) for
verification, a real git clone for the rollback checkout, the logs bucket (file://), and the
notify path (local GitHub API). Only Pulumi is a stand-in: its CLI cannot run here."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime

from github_server import TOKEN

from plumbing.deploy import commands
from plumbing.deploy import records as rec
from plumbing.deploy.pulumi_cli import Preview
from plumbing.storage import open_bucket

from .test_verify import IMAGE as OLD_IMG
from .test_verify import ROOT, healthy
from .test_verify import repo as repo  # noqa: F401,PLC0414  (fixture: scratch repo with triggers/, cronjobs/, images/)

NEW_IMG = OLD_IMG.replace("2" * 64, "3" * 64)


class Engine:
    def __init__(self):
        self.calls = []

    def preview(self, workdir, stack, *, image, plan_file, refresh=False):
        self.calls.append(("preview", workdir, image))
        return Preview({"update": 1}, plan_file)

    def up(self, workdir, stack, *, image, plan_file):
        # the commit of the program it is given, read while the checkout exists
        self.calls.append(("up", git(workdir, "rev-parse", "HEAD"), image))


def git(path, *args):
    return subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def plumbing_clone(tmp_path):
    """The deploy's clone: two commits, the older one verified before."""
    path = tmp_path / "clone"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "Pulumi.dogfooding.yaml").write_text((ROOT / "Pulumi.dogfooding.yaml").read_text())
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "verified")
    old = git(path, "rev-parse", "HEAD")
    (path / "infra.txt").write_text("a change that breaks the cluster\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "breaks")
    return path, old, git(path, "rev-parse", "HEAD")


async def test_failed_verification_rolls_back_to_a_real_checkout_and_opens_an_issue(
        cluster, repo, repo_dir, kubeconfig, tmp_path, github_server, monkeypatch, capsys):
    healthy(cluster.kmock, repo, image=OLD_IMG)      # the cluster keeps running the old digest
    clone, old, new = plumbing_clone(tmp_path)
    logs = open_bucket(repo.org.buckets.logs)
    rec.move_marker(logs, "dogfooding", commit=old, image=OLD_IMG, now=datetime(2026, 12, 1, tzinfo=UTC),
                    seen=None)
    github_server.add_issue("tektoncd/plumbing", "unrelated")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    engine = Engine()
    code = await asyncio.to_thread(commands.run, repo_dir, "dogfooding", new, NEW_IMG, clone, "plumbing-deploy-x",
                                   False, "json", engine)
    assert code == 1
    record = json.loads(capsys.readouterr().out)
    assert record["result"] == "rolled-back", record["rollback_failure"]
    assert record["previous"] == old and record["notified"] is True
    assert "verify: cronjob/" in record["failure"] and f"not {NEW_IMG}" in record["failure"]
    assert engine.calls[1:] == [("up", new, NEW_IMG), ("up", old, OLD_IMG)]
    assert rec.read_marker(logs, "dogfooding").commit == old
    [issue] = [i for i in github_server.issues["tektoncd/plumbing"] if i["title"].startswith("[release-failure]")]
    assert issue["title"] == "[release-failure] plumbing deploy-dogfooding" and "rolled back" in issue["body"]


async def test_verified_deploy_moves_last_good(cluster, repo, repo_dir, kubeconfig, tmp_path, capsys):
    healthy(cluster.kmock, repo, image=NEW_IMG)      # up put the new digest on every CronJob
    clone, old, new = plumbing_clone(tmp_path)
    code = await asyncio.to_thread(commands.run, repo_dir, "dogfooding", new, NEW_IMG, clone, "r", False, "text",
                                   Engine())
    assert code == 0 and f"deploy of dogfooding at {new[:12]}: deployed (1 to update)" in capsys.readouterr().out
    assert rec.read_marker(open_bucket(repo.org.buckets.logs), "dogfooding").commit == new
