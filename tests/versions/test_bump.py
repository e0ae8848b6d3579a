"""`plumbing versions bump`: only the version changes, byte for byte elsewhere; unverified
versions are refused; --force --reason; --pr opens one pull request, then updates it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from github_server import TOKEN

from plumbing.bump import edit_text
from plumbing.cli.main import plumbing
from plumbing.findings import PlumbingError

from .conftest import ROOT, git, publish

NIGHTLY = "v20261124-1111111111"


def run(*args, env=None):
    return CliRunner().invoke(plumbing, [str(a) for a in args], env=env)


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


@pytest.mark.parametrize("stack", ["dogfooding", "local"])
@pytest.mark.parametrize("component", ["pipeline", "pruner"])
def test_only_the_version_line_changes_in_the_real_stack_files(stack, component):
    before = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    after, old = edit_text(before, component, "v9.8.7")
    assert old is not None
    assert changed_lines(before, after) == [(f"    {component}: {old}\n", f"    {component}: v9.8.7\n")]


def test_quoting_comments_and_order_are_kept():
    before = ('# head comment\nconfig:\n  # versions below\n  plumbing:tektonVersions:\n'
              '    chains: \'v0.24.0\'   # signed\n    pipeline: "v1.0.0"  # the engine\n'
              '  plumbing:target: existing\n')
    after, _ = edit_text(before, "pipeline", NIGHTLY)
    assert after == before.replace('"v1.0.0"', f'"{NIGHTLY}"')
    after, _ = edit_text(before, "chains", "v0.25.0")
    assert after == before.replace("'v0.24.0'", "'v0.25.0'")


def test_a_default_pin_is_added_as_one_line():
    before = "config:\n  plumbing:target: existing\n  plumbing:tektonVersions:\n    pipeline: v1.0.0\n"
    after, old = edit_text(before, "chains", "v0.25.0")
    assert old is None
    assert after == before + "    chains: v0.25.0\n"


def test_flow_style_is_edited_in_place_and_an_addition_there_refused():
    before = "config:\n  plumbing:tektonVersions: {pipeline: v1.0.0, chains: v0.24.0}  # x\n  plumbing:target: existing\n"
    after, _ = edit_text(before, "chains", "v0.25.0")
    assert after == before.replace("v0.24.0", "v0.25.0")
    with pytest.raises(PlumbingError, match="add pruner by hand"):
        edit_text(before, "pruner", "v0.4.0")


@pytest.mark.parametrize("verdict", ["failed", None])
def test_unverified_versions_are_refused_and_nothing_changes(repo_dir, buckets, verdict):
    publish(buckets["release"], "pipeline", "v1.1.0", verdict)
    before = (repo_dir / "Pulumi.dogfooding.yaml").read_bytes()
    result = run("versions", "bump", "pipeline", "--to", "v1.1.0", "--root", repo_dir)
    assert result.exit_code == 1, result.output
    assert f"pipeline v1.1.0: post-release test {verdict or 'untested'}" in result.output
    assert "Traceback" not in result.output
    assert (repo_dir / "Pulumi.dogfooding.yaml").read_bytes() == before


def test_a_verified_nightly_is_pinned_in_place(repo_dir, buckets):
    publish(buckets["nightly"], "pipeline", NIGHTLY, "passed")
    before = (repo_dir / "Pulumi.dogfooding.yaml").read_text()
    result = run("versions", "bump", "pipeline", "--channel", "--root", repo_dir, "--output", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert (out["old"], out["new"], out["verdict"], out["action"]) == ("v1.0.0", NIGHTLY, "passed", "edited")
    after = (repo_dir / "Pulumi.dogfooding.yaml").read_text()
    assert changed_lines(before, after) == [("    pipeline: v1.0.0\n", f"    pipeline: {NIGHTLY}\n")]
    again = run("versions", "bump", "pipeline", "--to", NIGHTLY, "--root", repo_dir)
    assert again.exit_code == 0 and "already pins" in again.output


@pytest.mark.parametrize("args,needle", [
    (["--to", "v1.1.0", "--force"], "--force needs --reason"),
    (["--to", "v1.1.0", "--reason", "x"], "--reason goes with --force"),
    ([], "--to VERSION or --channel"),
    (["--to", "v1.1.0", "--channel"], "--to VERSION or --channel"),
    (["--channel", "-s", "local"], "follows no channel"),
    (["--to", "v1.2"], "--to: version 'v1.2' is not vX.Y.Z"),
])
def test_usage_mistakes_are_one_line_and_exit_2(repo_dir, args, needle):
    result = run("versions", "bump", "pipeline", *args, "--root", repo_dir)
    assert result.exit_code == 2, result.output
    assert needle in result.output and len(result.output.strip().splitlines()) == 1


def test_unknown_component_exit_2(repo_dir):
    result = run("versions", "bump", "results", "--to", "v0.1.0", "--root", repo_dir)
    assert result.exit_code == 2 and "unknown component 'results'" in result.output


def test_force_with_reason_skips_the_lookup(repo_dir):
    result = run("versions", "bump", "pipeline", "--to", "v1.1.0", "--force", "--reason", "CVE fix, test infra down",
                 "--root", repo_dir)
    assert result.exit_code == 0, result.output
    assert "pipeline: v1.1.0" in (repo_dir / "Pulumi.dogfooding.yaml").read_text()


def _pr(repo_dir, remote, server, *extra):
    return run("versions", "bump", "pipeline", "-s", "dogfooding", "--pr", "--remote", f"file://{remote}",
               "--github-api", server.url, "--root", repo_dir, *extra, env={"GITHUB_TOKEN": TOKEN})


def test_pull_request_is_created_once_then_updated(repo_dir, buckets, remote, github_server):
    publish(buckets["release"], "pipeline", "v1.1.0", "passed")
    publish(buckets["release"], "pipeline", "v1.2.0", "passed")
    first = _pr(repo_dir, remote, github_server, "--to", "v1.1.0")
    assert first.exit_code == 0, first.output
    assert "created pull request" in first.output
    second = _pr(repo_dir, remote, github_server, "--to", "v1.2.0")
    assert second.exit_code == 0, second.output
    assert "updated pull request" in second.output

    pulls = github_server.pulls["tektoncd/plumbing"]
    assert len(pulls) == 1 and pulls[0]["state"] == "open"
    assert len(github_server.calls("POST", "/repos/tektoncd/plumbing/pulls")) == 1
    assert len(github_server.calls("PATCH", "/repos/tektoncd/plumbing/pulls/1")) == 1
    body = pulls[0]["body"]
    assert "`v1.0.0`" in body and "`v1.2.0`" in body and "**passed**" in body
    assert "https://github.com/tektoncd/pipeline/releases/tag/v1.2.0" in body
    assert pulls[0]["title"] == "dogfooding: bump pipeline from v1.0.0 to v1.2.0"

    branch = "plumbing/bump/dogfooding/pipeline"
    assert pulls[0]["head"]["ref"] == branch
    pinned = git(remote, "show", f"{branch}:Pulumi.dogfooding.yaml")
    assert "    pipeline: v1.2.0\n" in pinned
    # one commit on top of main: the branch was replaced, not stacked
    assert git(remote, "rev-list", "--count", f"main..{branch}").strip() == "1"
    assert "v1.0.0" in git(remote, "show", "main:Pulumi.dogfooding.yaml")


def test_forced_reason_reaches_the_commit_and_the_pull_request(repo_dir, remote, github_server):
    result = _pr(repo_dir, remote, github_server, "--to", "v1.1.0", "--force", "--reason", "hotfix for CVE-2026-1")
    assert result.exit_code == 0, result.output
    assert "hotfix for CVE-2026-1" in github_server.pulls["tektoncd/plumbing"][0]["body"]
    assert "hotfix for CVE-2026-1" in git(remote, "log", "-1", "--format=%B", "plumbing/bump/dogfooding/pipeline")
