"""Promotion: a verified nightly of Pipelines becomes a bump pull request without anyone typing
a version; an unverified one never does; never more than one open pull request per component."""

from __future__ import annotations

import json

from click.testing import CliRunner
from github_server import TOKEN

from plumbing.cli.main import plumbing

from .conftest import git, publish

BRANCH = "plumbing/bump/dogfooding/pipeline"


def promote(repo_dir, remote, server, *extra):
    return CliRunner().invoke(plumbing, [
        "versions", "promote", "-s", "dogfooding", "--remote", f"file://{remote}", "--github-api", server.url,
        "--root", str(repo_dir), *extra], env={"GITHUB_TOKEN": TOKEN})


def test_nothing_when_no_verified_version_is_newer(repo_dir, buckets, remote, github_server):
    publish(buckets["nightly"], "pipeline", "v20261124-1111111111", None)       # untested
    publish(buckets["nightly"], "pipeline", "v20261123-2222222222", "failed")
    result = promote(repo_dir, remote, github_server)
    assert result.exit_code == 0, result.output
    assert "pipeline (nightly): no newer verified nightly version than v1.0.0" in result.output
    assert github_server.calls("POST", "/repos/tektoncd/plumbing/pulls") == []
    assert BRANCH not in git(remote, "branch", "--list")


def test_a_verified_nightly_becomes_one_pull_request_updated_by_the_next(repo_dir, buckets, remote, github_server):
    publish(buckets["nightly"], "pipeline", "v20261123-2222222222", "passed")
    publish(buckets["nightly"], "pipeline", "v20261124-1111111111", None)      # newer but untested: skipped
    first = promote(repo_dir, remote, github_server, "--output", "json")
    assert first.exit_code == 0, first.output
    step = json.loads(first.output)["components"][0]
    assert (step["component"], step["candidate"], step["action"]) == ("pipeline", "v20261123-2222222222", "created")
    assert "    pipeline: v20261123-2222222222\n" in git(remote, "show", f"{BRANCH}:Pulumi.dogfooding.yaml")

    again = promote(repo_dir, remote, github_server)            # same candidate: the same PR, updated
    assert again.exit_code == 0 and "updated pull request" in again.output
    publish(buckets["nightly"], "pipeline", "v20261125-3333333333", "passed")
    newer = promote(repo_dir, remote, github_server)
    assert newer.exit_code == 0 and "updated pull request for v20261125-3333333333" in newer.output

    pulls = [p for p in github_server.pulls["tektoncd/plumbing"] if p["state"] == "open"]
    assert len(pulls) == 1 and len(github_server.calls("POST", "/repos/tektoncd/plumbing/pulls")) == 1
    assert "`v20261125-3333333333`" in pulls[0]["body"] and "**passed**" in pulls[0]["body"]
    assert "https://github.com/tektoncd/pipeline/commits/3333333333" in pulls[0]["body"]
    assert "    pipeline: v20261125-3333333333\n" in git(remote, "show", f"{BRANCH}:Pulumi.dogfooding.yaml")


def test_merged_pin_means_nothing_more_to_do(repo_dir, buckets, remote, github_server, tmp_path):
    publish(buckets["nightly"], "pipeline", "v20261123-2222222222", "passed")
    work = tmp_path / "merge"
    git(tmp_path, "clone", "-q", f"file://{remote}", str(work))
    text = (work / "Pulumi.dogfooding.yaml").read_text().replace("pipeline: v1.0.0", "pipeline: v20261123-2222222222")
    (work / "Pulumi.dogfooding.yaml").write_text(text)
    git(work, "commit", "-qam", "merged bump")
    git(work, "push", "-q", "origin", "main")
    result = promote(repo_dir, remote, github_server)
    assert result.exit_code == 0 and "no newer verified nightly version than v20261123-2222222222" in result.output
    assert github_server.calls("POST", "/repos/tektoncd/plumbing/pulls") == []
