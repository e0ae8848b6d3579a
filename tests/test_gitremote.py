"""git ls-remote against a real repository reached through file://."""

from __future__ import annotations

import subprocess

import pytest

from plumbing.gitremote import GitRemoteError, branch_tip, resolve, tag_exists


@pytest.fixture
def remote(tmp_path):
    path = tmp_path / "upstream"
    git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "first"], check=True)
    subprocess.run([*git, "tag", "-a", "v1.2.2", "-m", "v1.2.2"], check=True)
    sha = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    return f"file://{path}", sha


def test_tags_branches_and_revisions(remote):
    url, sha = remote
    assert tag_exists(url, "v1.2.2") and not tag_exists(url, "v1.2.3")
    assert branch_tip(url, "main") == sha and branch_tip(url, "release-v1.2.x") is None
    assert resolve(url, "main") == sha
    assert resolve(url, "0" * 40) == "0" * 40  # a full commit is taken as is, without asking
    with pytest.raises(GitRemoteError, match="cannot resolve 'nope': no such branch or tag"):
        resolve(url, "nope")


def test_an_unreachable_remote_is_one_line(tmp_path):
    with pytest.raises(GitRemoteError, match=r"^git ls-remote file:///nonexistent failed: [^\n]+$") as err:
        tag_exists("file:///nonexistent", "v1.0.0")
    assert err.value.exit_code == 2
