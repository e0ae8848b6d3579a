"""`release publish`, `release status`, `release precheck` end to end through the CLI."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from plumbing.ages import schedule_period
from plumbing.cli.main import release
from plumbing.github import Retry
from plumbing.storage import open_bucket

NIGHTLY = "v20260101-aaaaaaaaaa"


def run(*args):
    return CliRunner().invoke(release, [str(a) for a in args])


def test_publish_prints_what_it_did_and_public_urls(gcs_bucket_url, release_dir, root):
    d = release_dir("v1.2.3")
    r = run("publish", "pipeline", "v1.2.3", "--from", d, "--bucket", gcs_bucket_url, "--root", root)
    assert r.exit_code == 0, r.output
    name = gcs_bucket_url[len("gs://"):]
    assert f"https://storage.googleapis.com/{name}/pipeline/previous/v1.2.3/release.yaml" in r.stdout
    assert "2 uploaded" in r.stdout and "latest/: now mirrors v1.2.3" in r.stdout


def test_publish_json(gcs_bucket_url, release_dir, root):
    r = run("publish", "pipeline", "v1.2.3", "--from", release_dir("v1.2.3"), "--bucket", gcs_bucket_url,
            "--root", root, "--output", "json")
    data = json.loads(r.stdout)
    assert data["uploaded"] == ["release.notags.yaml", "release.yaml"] and data["latest_moved"]


def test_publish_default_buckets_follow_the_version_kind(root, release_dir, tmp_path):
    assert run("publish", "pipeline", "v1.2.3", "--from", release_dir("v1.2.3"), "--root", root).exit_code == 0
    assert run("publish", "pipeline", NIGHTLY, "--from", release_dir(NIGHTLY), "--root", root).exit_code == 0
    assert (tmp_path / "b-release/pipeline/previous/v1.2.3/release.yaml").is_file()
    assert (tmp_path / "b-nightly/pipeline/previous" / NIGHTLY / "release.yaml").is_file()
    assert not (tmp_path / "b-release/pipeline/previous" / NIGHTLY).exists()


def test_publish_refuses_an_existing_release_with_exit_1(gcs_bucket_url, release_dir, root):
    args = ("publish", "pipeline", "v1.2.3", "--bucket", gcs_bucket_url, "--root", root, "--from")
    assert run(*args, release_dir("v1.2.3")).exit_code == 0
    r = run(*args, release_dir("v1.2.3", salt="rebuilt"))
    assert r.exit_code == 1 and "already holds a release" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output


def test_tekton_mistake_release_into_the_nightly_bucket_exits_1(root, release_dir, tmp_path):
    r = run("publish", "pipeline", "v1.2.3", "--from", release_dir("v1.2.3"), "--root", root,
            "--bucket", (tmp_path / "b-nightly").as_uri())
    assert r.exit_code == 1 and "into the nightly bucket" in r.stderr
    r = run("publish", "pipeline", NIGHTLY, "--from", release_dir(NIGHTLY), "--root", root,
            "--bucket", (tmp_path / "b-release").as_uri(), "--latest", "never")
    assert r.exit_code == 1 and "into the release bucket" in r.stderr
    assert not (tmp_path / "b-nightly").exists() and not (tmp_path / "b-release").exists()


def test_tekton_mistake_devel_labels_exit_1_and_upload_nothing(gcs_bucket_url, release_dir, root):
    r = run("publish", "pipeline", "v1.2.3", "--from", release_dir("v1.2.3", labels="devel"),
            "--bucket", gcs_bucket_url, "--root", root)
    assert r.exit_code == 1 and "wrong resource version" in r.stderr
    assert open_bucket(gcs_bucket_url).list("") == []


@pytest.mark.parametrize("args, message", [
    (("nosuch", "v1.2.3"), "unknown project"),
    (("pipeline", "1.2.3"), "is not vX.Y.Z"),
])
def test_publish_usage_errors_exit_2(root, release_dir, args, message):
    r = run("publish", *args, "--from", release_dir("v1.2.3"), "--root", root)
    assert r.exit_code == 2 and message in r.stderr


# --- status --------------------------------------------------------------------------------

def iso(dt):
    return dt.isoformat()


def test_status_fresh_stale_and_missing_nightlies(root, release_dir, tmp_path):
    for version in ("v1.2.3", "v1.10.0", NIGHTLY, "v20251231-bbbbbbbbbb"):
        assert run("publish", "pipeline", version, "--from", release_dir(version), "--root", root).exit_code == 0
    now = datetime.now(UTC)
    fresh = run("status", "pipeline", "--root", root, "--now", iso(now + timedelta(hours=1)))
    assert fresh.exit_code == 0, fresh.output
    assert f"full v1.10.0 (1 hour ago), nightly {NIGHTLY} (1 hour ago)" in fresh.stdout
    stale = run("status", "pipeline", "--root", root, "--now", iso(now + timedelta(days=2, hours=1)),
                "--output", "json")
    assert stale.exit_code == 1
    data = json.loads(stale.stdout)
    assert data["stale"] == ["pipeline"] and data["projects"][0]["period_seconds"] == 86400
    every = run("status", "--root", root, "--now", iso(now + timedelta(hours=1)))
    assert every.exit_code == 1  # the other projects have schedules but no nightly at all
    assert re.search(r"^STALE [a-z-]+: .*no nightly published", every.stdout, re.M)
    assert re.search(r"^pipeline: ", every.stdout, re.M)


def test_status_reads_gcs_buckets(gcs_bucket_url, release_dir, root, tmp_path):
    assert run("publish", "pipeline", NIGHTLY, "--from", release_dir(NIGHTLY), "--bucket", gcs_bucket_url,
               "--root", root).exit_code == 0
    r = run("status", "pipeline", "--root", root, "--nightly-bucket", gcs_bucket_url, "--output", "json")
    data = json.loads(r.stdout)["projects"][0]
    assert r.exit_code == 0 and data["nightly"]["version"] == NIGHTLY and data["full"]["version"] is None


def test_schedule_period_is_the_longest_gap():
    monday = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert schedule_period("0 3 * * *", monday) == timedelta(days=1)
    assert schedule_period("0 3 * * 1-5", monday) == timedelta(days=3)
    assert schedule_period("*/30 * * * *", monday) == timedelta(minutes=30)
    assert schedule_period("0 2 * * 0", monday) == timedelta(days=7)


def test_status_bad_now_is_exit_2(root):
    r = run("status", "--root", root, "--now", "yesterday")
    assert r.exit_code == 2 and "ISO 8601" in r.stderr


# --- precheck ------------------------------------------------------------------------------

@pytest.fixture
def git_repo(tmp_path):
    repo = tmp_path / "upstream"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for cmd in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "one"], ["tag", "-a", "v1.2.2", "-m", "v1.2.2"]):
        subprocess.run(["git", *cmd], cwd=repo, env=env, check=True)
    return repo.as_uri()


@pytest.fixture
def github_api(github_server):
    """The local GitHub API: release v1.2.2 of tektoncd/pipeline exists."""
    github_server.add_release("tektoncd/pipeline", "v1.2.2")
    return github_server.url, github_server


FAST = {"github_retry": Retry(attempts=3, backoff=0.01)}


def test_precheck_clear(root, git_repo, github_api, gcs_bucket_url):
    api, server = github_api
    r = run("precheck", "pipeline", "v1.2.3", "--root", root, "--repository", git_repo,
            "--github-api", api, "--bucket", gcs_bucket_url)
    assert r.exit_code == 0, r.output
    assert [c.path for c in server.received] == ["/repos/tektoncd/pipeline/releases/tags/v1.2.3"]


def test_precheck_fails_one_line_per_check(root, git_repo, github_api, gcs_bucket_url, release_dir):
    api, _ = github_api
    assert run("publish", "pipeline", "v1.2.2", "--from", release_dir("v1.2.2"), "--bucket", gcs_bucket_url,
               "--root", root).exit_code == 0
    r = run("precheck", "pipeline", "v1.2.2", "--root", root, "--repository", git_repo,
            "--github-api", api, "--bucket", gcs_bucket_url)
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 3
    assert "tag v1.2.2 already exists" in lines[0]
    assert "previous/v1.2.2/release.yaml already exists" in lines[1]
    assert "GitHub release v1.2.2 already exists on tektoncd/pipeline" in lines[2]
    skipped = run("precheck", "pipeline", "v1.2.2", "--root", root, "--repository", git_repo,
                  "--skip-github", "--bucket", gcs_bucket_url, "--output", "json")
    assert skipped.exit_code == 1 and len(json.loads(skipped.stdout)["failures"]) == 2


def test_precheck_sends_the_token_from_the_environment(root, git_repo, github_api, gcs_bucket_url, monkeypatch):
    api, server = github_api
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    r = run("precheck", "pipeline", "v1.2.3", "--root", root, "--repository", git_repo,
            "--github-api", api, "--bucket", gcs_bucket_url)
    assert r.exit_code == 2 and r.stderr == (f"release precheck: GET {api}/repos/tektoncd/pipeline/releases/tags/v1.2.3: "
                                             "HTTP 401 Bad credentials\n")
    assert server.received[0].headers["authorization"] == "token wrong"


def test_precheck_github_500_is_one_line_exit_2(root, git_repo, github_api, gcs_bucket_url):
    api, server = github_api
    server.fail("GET", ".*", 500, times=3)
    r = CliRunner().invoke(release, ["precheck", "pipeline", "v1.2.3", "--root", str(root), "--repository", git_repo,
                                     "--github-api", api, "--bucket", gcs_bucket_url], obj=FAST)
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.stderr == f"release precheck: GET {api}/repos/tektoncd/pipeline/releases/tags/v1.2.3: HTTP 500 Server Error\n"
    assert len(server.received) == 3   # a read: retried, bounded


def test_precheck_github_503_then_200_is_retried(root, git_repo, github_api, gcs_bucket_url):
    api, server = github_api
    server.fail("GET", ".*", 503, times=2)
    r = CliRunner().invoke(release, ["precheck", "pipeline", "v1.2.2", "--root", str(root), "--repository", git_repo,
                                     "--github-api", api, "--bucket", gcs_bucket_url], obj=FAST)
    assert r.exit_code == 1 and "GitHub release v1.2.2 already exists" in r.stderr
    assert len(server.received) == 3


def test_precheck_rate_limited_is_one_clear_line(root, git_repo, github_api, gcs_bucket_url):
    api, server = github_api
    server.rate_limit("GET", ".*", reset_in=1800)
    r = run("precheck", "pipeline", "v1.2.3", "--root", root, "--repository", git_repo,
            "--github-api", api, "--bucket", gcs_bucket_url)
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert re.search(r"^release precheck: GET \S+/releases/tags/v1\.2\.3: HTTP 403: rate limited by GitHub for "
                     r"1[78]\d\ds more, longer than the 60s we wait \(API rate limit exceeded", r.stderr)
    assert len(server.received) == 1


def test_precheck_github_unreachable_is_exit_2(root, git_repo, gcs_bucket_url):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    r = run("precheck", "pipeline", "v1.2.3", "--root", root, "--repository", git_repo,
            "--github-api", f"http://127.0.0.1:{port}", "--bucket", gcs_bucket_url)
    assert r.exit_code == 2 and "GET http://127.0.0.1" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_precheck_unreachable_repository_is_exit_2(root, tmp_path, gcs_bucket_url):
    r = run("precheck", "pipeline", "v1.2.3", "--root", root, "--repository", (tmp_path / "none").as_uri(),
            "--skip-github", "--bucket", gcs_bucket_url)
    assert r.exit_code == 2 and "git ls-remote" in r.stderr


def test_bucket_commands_do_not_import_the_cloud_sdk_until_a_gs_bucket_is_used():
    """Rendering and linting never import cloud SDKs; neither do our modules on import."""
    code = ("import sys, plumbing.storage, plumbing.release.publish, plumbing.release.status, "
            "plumbing.release.precheck, plumbing.cli.publish_cmds; "
            "print(sorted(m for m in sys.modules if m.startswith('google')))")
    out = subprocess.run([__import__("sys").executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
