"""The draft GitHub release: one per tag whatever the re-runs, refused for what the bucket lacks,
"latest" only for the highest version. GitHub is the local server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from github_server import TOKEN

from plumbing.cli.main import release
from plumbing.config import load_repo
from plumbing.findings import CheckFailed
from plumbing.github import Client
from plumbing.release.draft import draft_release
from plumbing.storage import open_bucket

REPO = "tektoncd/pipeline"


@pytest.fixture
def project(scratch_repo):
    return load_repo(scratch_repo).project("pipeline")


@pytest.fixture
def bucket_url(tmp_path):
    (tmp_path / "bucket").mkdir()
    url = f"file://{tmp_path}/bucket"
    b = open_bucket(url)
    for v in ("v1.0.0", "v1.1.0", "v1.0.1"):
        b.write(f"pipeline/previous/{v}/release.yaml", f"# {v}\n".encode())
    return url


def run_draft(github_server, bucket_url, project, version, body="notes"):
    with Client(TOKEN, github_server.url) as client:
        return draft_release(client, open_bucket(bucket_url), project, version, body, "a" * 40)


def test_three_runs_make_one_draft(github_server, bucket_url, project):
    first = run_draft(github_server, bucket_url, project, "v1.1.0", "notes one")
    second = run_draft(github_server, bucket_url, project, "v1.1.0", "notes two")
    third = run_draft(github_server, bucket_url, project, "v1.1.0", "notes two")
    assert (first.action, second.action, third.action) == ("created", "updated", "unchanged")
    drafts = github_server.releases[REPO]
    assert len(drafts) == 1 and drafts[0]["draft"] and drafts[0]["body"] == "notes two"
    assert first.id == second.id == third.id
    assert len(github_server.calls("POST", f"/repos/{REPO}/releases")) == 1


def test_refuses_a_version_not_in_the_bucket(github_server, bucket_url, project):
    with pytest.raises(CheckFailed, match="v1.2.0 is not in the bucket"):
        run_draft(github_server, bucket_url, project, "v1.2.0")
    assert not github_server.calls("POST") and not github_server.calls("PATCH")


def test_latest_only_for_the_highest(github_server, bucket_url, project):
    assert run_draft(github_server, bucket_url, project, "v1.1.0").make_latest
    assert not run_draft(github_server, bucket_url, project, "v1.0.1").make_latest   # a backport
    made = {r["tag_name"]: r["make_latest"] for r in github_server.releases[REPO]}
    assert made == {"v1.1.0": "true", "v1.0.1": "false"}


def test_published_release_is_left_alone(github_server, bucket_url, project):
    github_server.add_release(REPO, "v1.1.0", body="published by hand")
    with pytest.raises(CheckFailed, match="already has a published release"):
        run_draft(github_server, bucket_url, project, "v1.1.0")
    assert github_server.releases[REPO][0]["body"] == "published by hand"


def test_a_racing_duplicate_is_removed(github_server, bucket_url, project):
    # another run's draft appears between our listing and our POST

    def racing(s, req):
        if not [r for r in s.releases.get(REPO, []) if r["tag_name"] == "v1.1.0"]:
            s.add_release(REPO, "v1.1.0", draft=True, body="other run")
        rel = s.add_release(REPO, req.body["tag_name"], draft=True, body=req.body["body"])
        return 201, rel

    github_server.route("POST", f"/repos/{REPO}/releases")(racing)
    result = run_draft(github_server, bucket_url, project, "v1.1.0")
    assert len(github_server.releases[REPO]) == 1
    assert result.duplicates_removed and result.id == github_server.releases[REPO][0]["id"]


def test_cli_draft(github_server, bucket_url, scratch_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    notes = tmp_path / "notes.md"
    notes.write_text("# pipeline v1.1.0\n")
    args = ["draft", "pipeline", "v1.1.0", "--notes", str(notes), "--bucket", bucket_url,
            "--github-api", github_server.url, "--root", str(scratch_repo)]
    for _ in range(3):
        result = CliRunner().invoke(release, [*args, "--output", "json"])
        assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["action"] == "unchanged"
    assert len(github_server.releases[REPO]) == 1
    missing = CliRunner().invoke(release, ["draft", "pipeline", "v9.9.9", *args[3:]])
    assert missing.exit_code == 1 and "not in the bucket" in missing.stderr and "Traceback" not in missing.output


def test_cli_malformed_version_is_one_line(scratch_repo, tmp_path):
    for args in (["draft", "pipeline", "1.2", "--notes", "x"],
                 ["notes", "pipeline", "--version", "v1.2.0", "--revision", "abc"]):
        result = CliRunner().invoke(release, [*args, "--root", str(scratch_repo), "--bucket", f"file://{tmp_path}"])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert len(result.stderr.splitlines()) == 1
