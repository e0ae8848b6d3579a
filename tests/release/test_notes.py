"""Release notes from a real git history and pull requests answered by the local GitHub server."""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner
from github_server import TOKEN
from notes_repo import REPO, make_history, note, now_iso

from plumbing.cli.main import release
from plumbing.config import load_repo
from plumbing.github import Client
from plumbing.release import history as h
from plumbing.release.notes import UNSORTED, make_notes, markdown, release_note, section_of
from plumbing.storage import open_bucket

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture
def upstream(tmp_path, github_server):
    return make_history(tmp_path, github_server)


@pytest.fixture
def project(scratch_repo):
    return load_repo(scratch_repo).project("pipeline")


@pytest.fixture
def bucket_url(tmp_path):
    root = tmp_path / "bucket"
    root.mkdir()
    url = f"file://{root}"
    b = open_bucket(url)
    for v in ("v1.0.1", "v1.1.0"):
        b.write(f"pipeline/previous/{v}/release.notags.yaml", b"image: x\n")
        b.write(f"pipeline/previous/{v}/release.yaml",
                f"image: ghcr.io/tektoncd/pipeline/controller:{v}@{DIGEST}\n".encode())
    return url


def notes_for(upstream, github_server, project, version="v1.1.0", revision=None, **kw):
    with Client(TOKEN, github_server.url) as client:
        return make_notes(project, version, revision or upstream.commits["direct"], git_dir=upstream.path / ".git",
                          client=client, cosign_key=kw.pop("cosign_key", "cosign.pub"), **kw)


def numbers(notes) -> list[int]:
    return sorted(p.number for pulls in notes.sections.values() for p in pulls)


def test_previous_release_is_on_the_line():
    tags = ["v1.0.0", "v1.0.1", "v1.1.0", "v1.1.1", "v1.2.0-rc.1", "v2.0.0", "nightly", "v1.1.3"]
    assert h.previous_release("v1.1.2", tags) == "v1.1.1"      # a patch: the previous patch of its line
    assert h.previous_release("v1.2.0", tags) == "v1.1.3"      # a new minor: the newest of the line before
    assert h.previous_release("v1.0.2", tags) == "v1.0.1"
    assert h.previous_release("v2.1.0", tags) == "v2.0.0"
    assert h.previous_release("v1.0.0", tags) is None


def test_notes_since_the_previous_release(upstream, github_server, project, bucket_url):
    n = notes_for(upstream, github_server, project, bucket=open_bucket(bucket_url), bucket_url=bucket_url,
                  transparency="https://rekor.example/entries?logIndex=7")
    assert n.previous == "v1.0.1"                         # the newest release of the line before v1.1
    assert n.base == upstream.commits["pr1"]              # merge-base of v1.0.1 and main: the v1.0.0 commit
    # PR1 (the boundary commit) is not listed; PR4 was cherry-picked into v1.0.1; PR5 is on the branch only
    assert numbers(n) == [2, 3, 6, 7]
    assert n.left_out == [4]
    every = [p.number for pulls in n.sections.values() for p in pulls]
    assert len(every) == len(set(every))                  # each PR in exactly one section
    assert [p.number for p in n.sections["Features"]] == [2]
    assert [p.number for p in n.sections["Fixes"]] == [3]
    assert [p.number for p in n.sections[UNSORTED]] == [6]
    docs = n.sections["Docs"][0]
    assert docs.note_none and docs.note is None           # NONE: listed, without text
    assert n.authors == ["alice", "bob", "carol", "erin"]
    assert n.without_pr == [upstream.commits["direct"]]
    assert n.install.endswith("/pipeline/previous/v1.1.0/release.yaml")
    assert [f["name"] for f in n.files] == ["release.notags.yaml", "release.yaml"]
    assert n.images == [{"image": "ghcr.io/tektoncd/pipeline/controller", "tag": "v1.1.0", "digest": DIGEST}]
    assert any("verify-attestation" in c and DIGEST in c for c in n.verify)
    text = markdown(n)
    assert "Pipelines can do X. ([#2]" in text and "## Unsorted" in text and "PR pr1" not in text
    assert "Transparency log entry of the signatures: https://rekor.example/entries?logIndex=7" in text
    assert "kubectl apply -f " in text and "Thanks to @alice, @bob, @carol, @erin." in text


def test_boundary_commit_never_listed_when_tag_is_on_main(upstream, github_server, project):
    # v1.0.0 is tagged at PR1's merge commit; a patch v1.0.1 from main would compare with it
    n = notes_for(upstream, github_server, project, version="v1.1.0", previous="v1.0.0",
                  revision=upstream.commits["pr2"])
    assert numbers(n) == [2]


def test_patch_release_off_its_branch_warns(upstream, github_server, project):
    n = notes_for(upstream, github_server, project, version="v1.0.2", revision=upstream.commits["direct"])
    assert n.previous == "v1.0.1"
    assert any("is not on release-v1.0.x" in w for w in n.warnings)
    on_branch = notes_for(upstream, github_server, project, version="v1.0.2", revision=upstream.commits["pr5"])
    assert not [w for w in on_branch.warnings if "release-v1.0.x" in w]
    assert numbers(on_branch) == []


def test_one_paged_list_call_and_it_stops_at_old_pulls(upstream, github_server, project):
    for i in range(30):   # pull requests updated long before the range: never read past them
        github_server.add_merged_pull(REPO, f"old {i}", "f" * 40, merged_at="2020-01-01T00:00:00Z")
    github_server.max_per_page = 5
    notes_for(upstream, github_server, project)
    gets = github_server.calls("GET")
    assert all(r.path == f"/repos/{REPO}/pulls" for r in gets)    # no per-PR request
    assert 1 < len(gets) < 7                                      # 38 PRs at 5 a page would be 8 pages


def test_release_note_parsing():
    assert release_note(note("Text."), []) == ("Text.", False)
    assert release_note(note("none"), []) == (None, True)
    assert release_note("no block", ["release-note-none"]) == (None, True)
    assert release_note("no block", []) == (None, False)
    assert section_of(["kind/bug", "kind/api-change"]) == "API changes"
    assert section_of(["area/x"]) == UNSORTED


def test_cli_writes_markdown_and_json(upstream, github_server, scratch_repo, tmp_path, bucket_url, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    out = tmp_path / "out"
    args = ["notes", "pipeline", "--version", "v1.1.0", "--revision", upstream.commits["direct"],
            "--repository", upstream.url, "--bucket", bucket_url, "--github-api", github_server.url,
            "--root", str(scratch_repo), "--out", str(out), "--output", "json"]
    result = CliRunner().invoke(release, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["pull_requests"] == 4 and data["previous"] == "v1.0.1"
    assert data["verify"][0].startswith("cosign verify --key k8s://tekton-chains/signing-secrets ")
    # the organisation's public key, from plumbing.yaml, once it is configured
    config = scratch_repo / "plumbing.yaml"
    config.write_text(config.read_text() + "signing:\n  public_key: https://example.org/release.pub\n")
    result = CliRunner().invoke(release, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verify"][0].startswith("cosign verify --key https://example.org/release.pub ")
    assert (out / "notes.md").read_text().startswith("# pipeline v1.1.0")


def test_cli_bad_previous_is_one_line(upstream, github_server, scratch_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    args = ["notes", "pipeline", "--version", "v1.1.0", "--revision", upstream.commits["direct"], "--previous",
            "v0.9.9", "--repository", upstream.url, "--github-api", github_server.url, "--root", str(scratch_repo),
            "--out", str(tmp_path / "o"), "--bucket", f"file://{tmp_path}"]
    result = CliRunner().invoke(release, args)
    assert result.exit_code == 2
    assert "previous release v0.9.9 is not a tag" in result.stderr and "Traceback" not in result.output


def test_history_comes_from_a_clone(upstream, tmp_path):
    git_dir = h.open_history(upstream.url, None, tmp_path)
    assert "v1.0.1" in h.tags(git_dir)
    assert h.on_branch(git_dir, upstream.commits["pr5"], "release-v1.0.x") is True
    assert subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "-e", upstream.commits["direct"]]).returncode == 0


def test_merge_pr_cherry_picked_commit_by_commit(upstream, github_server, project):
    """A PR is merged with a merge commit of two commits; both are cherry-picked one by one to the
    release branch (the second changed in the picking, found by its -x line) and tagged v1.0.2."""
    u = upstream
    u.git("checkout", "-q", "-b", "topic9", "main")
    u.commit("topic9a", "t9a.txt")
    u.commit("topic9b", "t9b.txt")
    u.git("checkout", "-q", "main")
    u.git("merge", "-q", "--no-ff", "-m", "Merge pull request #9", "topic9")
    u.commits["pr9"] = u.git("rev-parse", "HEAD")
    number = github_server.add_merged_pull(REPO, "PR pr9", u.commits["pr9"], labels=["kind/bug"],
                                           body=note("Fixed W."), merged_at=now_iso())["number"]
    u.git("checkout", "-q", "release-v1.0.x")
    u.git("cherry-pick", u.commits["topic9a"])
    u.git("cherry-pick", "-x", "--no-commit", u.commits["topic9b"])
    (u.path / "t9b.txt").write_text("adapted to the branch\n")
    u.git("add", "t9b.txt")
    u.git("commit", "-q", "-m", f"topic9b\n\n(cherry picked from commit {u.commits['topic9b']})")
    u.git("tag", "v1.0.2")
    u.git("checkout", "-q", "main")
    n = notes_for(upstream, github_server, project, revision=u.commits["pr9"], previous="v1.0.2")
    assert number in n.left_out and number not in numbers(n)
    assert numbers(n) == [2, 3, 6, 7]
