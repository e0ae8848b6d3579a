"""The PR inventory diff: base and head are real checkouts (the base planned with its own code),
and the one PR comment against the local GitHub API: created once, then edited in place."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from plumbing.cli.main import plumbing
from plumbing.deploy import pr_diff as prd
from plumbing.github import Client

from .conftest import ROOT

TOKEN = "ghp_test_token"
PARTS = ("src", "infra", "plumbing.yaml", "releases", "images", "cronjobs", "triggers", "tasks", "pipelines",
         "Pulumi.yaml", "Pulumi.local.yaml")


def checkout(dest):
    dest.mkdir()
    for part in PARTS:
        src = ROOT / part
        (shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
         if src.is_dir() else shutil.copy(src, dest / part))
    return dest


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pr")
    base, head = checkout(tmp / "base"), checkout(tmp / "head")
    cli = head / "releases" / "cli.yaml"
    cli.write_text(cli.read_text().replace('schedule: "0 6 * * *"', 'schedule: "30 6 * * *"'))
    (head / "releases" / "dashboard.yaml").unlink()
    return base, head


def test_diff_names_added_removed_changed_fields(trees):
    base, head = trees
    d = prd.stack_diff(base, head, "local")
    assert d.note == "" and d.policies == []
    removed = {r["name"] for r in d.diff["removed"]}
    assert any("nightly-dashboard" in n for n in removed)
    [cj] = [c for c in d.diff["changed"] if c["name"].endswith("nightly-cli")]
    assert {"path": "spec.schedule", "old": "0 6 * * *", "new": "30 6 * * *"} in cj["changes"]
    text = prd.markdown([d], "a" * 40, "b" * 40)
    # dashboard's own namespaces and runners leave the pruner's config and the post-release test
    # launchers too (docs/isolation.md)
    assert sorted(c["name"] for c in d.diff["changed"]) == [
        "nightlies-nightly-cli", "post-release-tests-launcher-binding", "tekton-pruner-config"]
    assert text.startswith(prd.MARKER) and "`local`: 0 to add, 3 to change" in text
    assert "spec.schedule: \"0 6 * * *\" -> \"30 6 * * *\"" in text and "Policies: all hold." in text


def test_the_base_runs_its_own_program(trees, tmp_path):
    """A change to infra/ (not the config) shows: the base is planned with the base's code."""
    base, _ = trees
    head = checkout(tmp_path / "head2")
    sched = head / "infra" / "schedules.py"
    sched.write_text(sched.read_text().replace("FAILED_HISTORY = 5", "FAILED_HISTORY = 6"))
    d = prd.stack_diff(base, head, "local")
    assert d.diff["changed"] and all(
        c["path"] == "spec.failedJobsHistoryLimit" and (c["old"], c["new"]) == (5, 6)
        for r in d.diff["changed"] for c in r["changes"])
    sched.write_text(sched.read_text().replace("FAILED_HISTORY = 6", "FAILED_HISTORY = 5"))


def test_a_new_stack_is_all_added(trees, tmp_path):
    base, head = trees
    shutil.copy(head / "Pulumi.local.yaml", head / "Pulumi.kind.yaml")
    try:
        d = prd.stack_diff(base, head, "kind")
    finally:
        (head / "Pulumi.kind.yaml").unlink()
    assert d.note == "stack kind is new in this pull request" and d.diff["removed"] == [] and d.diff["added"]


def test_comment_is_created_once_then_updated_in_place(trees, github_server):
    base, head = trees
    pr = github_server.add_pull("tektoncd/plumbing", "change cli schedule", head="topic")
    github_server.comments.setdefault("tektoncd/plumbing", []).append(
        {"id": 1, "issue_number": pr["number"], "body": "LGTM"})
    args = ["infra", "pr-diff", "--base", str(base), "--root", str(head), "-s", "local", "--pr", str(pr["number"]),
            "--repository", "tektoncd/plumbing", "--github-api", github_server.url]
    env = {"GITHUB_TOKEN": TOKEN}
    first = CliRunner().invoke(plumbing, args, env=env)
    assert first.exit_code == 0, first.output
    assert "comment created" in first.stderr
    second = CliRunner().invoke(plumbing, [*args, "--head-sha", "c" * 40, "--base-sha", "a" * 40], env=env)
    assert second.exit_code == 0 and "comment updated" in second.stderr
    ours = [c for c in github_server.comments["tektoncd/plumbing"] if prd.MARKER in c["body"]]
    assert len(ours) == 1 and "(aaaaaaaaaa → cccccccccc)" in ours[0]["body"]
    assert len(github_server.calls("POST", f"/repos/tektoncd/plumbing/issues/{pr['number']}/comments")) == 1
    assert len(github_server.calls("PATCH", f"/repos/tektoncd/plumbing/issues/comments/{ours[0]['id']}")) == 1
    assert github_server.comments["tektoncd/plumbing"][0]["body"] == "LGTM"


def test_upsert_finds_the_comment_on_a_later_page(github_server):
    pr = github_server.add_pull("o/r", "t", head="x")
    github_server.max_per_page = 2
    for i in range(5):
        github_server.comments.setdefault("o/r", []).append({"id": 100 + i, "issue_number": pr["number"],
                                                             "body": f"note {i}"})
    github_server.comments["o/r"].append({"id": 200, "issue_number": pr["number"], "body": prd.MARKER + "\nold"})
    with Client(token=TOKEN, base_url=github_server.url) as client:
        what, _ = prd.upsert_comment(client, "o/r", pr["number"], prd.MARKER + "\nnew")
    assert what == "updated" and github_server.comments["o/r"][-1]["body"].endswith("new")
    assert github_server.calls("POST", f"/repos/o/r/issues/{pr['number']}/comments") == []


def test_json_and_a_broken_policy_exits_1(trees, tmp_path):
    base, _ = trees
    head = checkout(tmp_path / "head3")
    sched = head / "infra" / "schedules.py"
    sched.write_text(sched.read_text().replace('concurrency_policy="Forbid"', 'concurrency_policy="Allow"'))
    result = CliRunner().invoke(plumbing, ["infra", "pr-diff", "--base", str(base), "--root", str(head), "-s", "local",
                                           "--output", "json"])
    assert result.exit_code == 1, result.output
    [stack] = json.loads(result.stdout)["stacks"]
    assert stack["stack"] == "local" and stack["policies"] and stack["changed"]


def test_unchanged_inputs_plan_once(trees, tmp_path):
    base, _ = trees
    same = checkout(tmp_path / "same")
    (same / "README.extra").write_text("docs only")
    assert prd.inputs_digest(base, "local") == prd.inputs_digest(same, "local")
    d = prd.stack_diff(base, same, "local")
    assert d.note == "the plan's inputs are unchanged" and d.diff == {"added": [], "removed": [], "changed": []}


def test_pr_comment_posts_a_saved_diff_and_refuses_anything_else(github_server, tmp_path):
    pr = github_server.add_pull("o/r", "t", head="x")
    body = tmp_path / "infra-diff.md"
    body.write_text(prd.MARKER + "\n### Infrastructure")
    args = ["infra", "pr-comment", "--body-file", str(body), "--pr", str(pr["number"]), "--repository", "o/r",
            "--github-api", github_server.url]
    for expected in ("created", "updated"):
        result = CliRunner().invoke(plumbing, args, env={"GITHUB_TOKEN": TOKEN})
        assert result.exit_code == 0 and f"comment {expected}" in result.stdout, result.output
    assert len(github_server.comments["o/r"]) == 1
    body.write_text("anything")
    bad = CliRunner().invoke(plumbing, args, env={"GITHUB_TOKEN": TOKEN})
    assert bad.exit_code == 2 and "not a `plumbing infra pr-diff` output" in bad.stderr
