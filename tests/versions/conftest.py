"""A plumbing repository with both stack files, buckets (file:// folders, or the GCS test server)
holding Tekton components' releases with post-release verdicts, and a real git remote."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from plumbing import layout
from plumbing.storage import open_bucket
from plumbing.verdict import make_verdict, write_verdict

ROOT = Path(__file__).resolve().parents[2]
STACK_FILES = ("Pulumi.yaml", "Pulumi.dogfooding.yaml", "Pulumi.local.yaml")


def digest(n: int) -> str:
    return f"sha256:{n:064x}"


def image(component: str, name: str, n: int) -> str:
    return f"ghcr.io/tektoncd/{component}/{name}:v@{digest(n)}"


def release_yaml(component: str, n: int) -> bytes:
    """A release file whose one Deployment runs image number `n` by digest."""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {component}-controller\n"
            f"spec:\n  template:\n    spec:\n      containers:\n      - image: {image(component, 'controller', n)}\n").encode()


def publish(bucket_url: str, component: str, version: str, verdict: str | None = None, n: int = 1) -> None:
    """A complete release (release.yaml last, as publish does) and, when given, its verdict."""
    bucket = open_bucket(bucket_url)
    bucket.write(layout.release_file(component, version, layout.NOTAGS_YAML), release_yaml(component, n))
    bucket.write(layout.release_file(component, version, layout.RELEASE_YAML), release_yaml(component, n))
    if verdict:
        assert write_verdict(bucket, make_verdict(project=component, version=version, verdict=verdict,
                                                  run=f"test-{component}-{version}", started="2026-11-24T03:00:00Z"))


def make_repo(dest: Path, buckets: dict[str, str]) -> Path:
    """plumbing.yaml with `buckets` ({nightly, release, logs: url}), the stack files, releases/."""
    text = (ROOT / "plumbing.yaml").read_text()
    text = (text.replace("gs://tekton-releases-nightly", buckets["nightly"])
                .replace("gs://tekton-releases\n", buckets["release"] + "\n")
                .replace("gs://tekton-release-logs", buckets["logs"]))
    assert all(url in text for url in buckets.values()), "plumbing.yaml's buckets changed; update the test"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "plumbing.yaml").write_text(text)
    for name in STACK_FILES:
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "releases", dest / "releases")
    return dest


@pytest.fixture
def buckets(tmp_path) -> dict[str, str]:
    out = {}
    for key in ("nightly", "release", "logs"):
        (tmp_path / "buckets" / key).mkdir(parents=True)
        out[key] = f"file://{tmp_path}/buckets/{key}"
    return out


@pytest.fixture
def repo_dir(tmp_path, buckets) -> Path:
    return make_repo(tmp_path / "repo", buckets)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture
def remote(tmp_path, repo_dir) -> Path:
    """A bare repository holding repo_dir's files on main, reached through file://."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(repo_dir, "init", "-q", "-b", "main")
    git(repo_dir, "add", ".")
    git(repo_dir, "commit", "-q", "-m", "the plumbing repository")
    git(repo_dir, "push", "-q", f"file://{bare}", "main")
    return bare
