"""Fixtures shared by every test folder: the repository, a scratch copy of it, ../shared."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

# tests/ holds shared fixture modules (gcs_server, github_server); appended so it never shadows a real module.
sys.path.append(str(Path(__file__).resolve().parent))

# One fake-gcs-server for the whole run, whichever folders use it.
from browser import browser  # noqa: E402,F401  (Debian's chromium, for the status page's tests)
from gcs_server import fault_proxy, gcs_bucket_url, gcs_server  # noqa: E402,F401  (fixtures)
from github_server import github_server  # noqa: E402,F401  (fixture: a local GitHub REST API)
from hypothesis import settings  # noqa: E402

# CI (CI=true) explores the same examples on every run, so a landing never hinges on luck;
# locally each run draws new ones. No per-example deadline: the machines are shared and slow.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
# A fixed commit so golden files do not change with every commit of this repository.
FIXED_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="Rewrite tests/golden/ from the current output instead of comparing.")


@pytest.fixture(autouse=True)
def _fixed_commit(monkeypatch):
    monkeypatch.setenv("PLUMBING_COMMIT", FIXED_COMMIT)
    monkeypatch.delenv("PLUMBING_ROOT", raising=False)
    # A CI runner's own GitHub and chat settings must never reach a test (or leave the machine).
    for name in ("GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} (the shared corpus) is not beside the repository")
    return SHARED


def copy_repo(dest: Path) -> Path:
    """A scratch plumbing repository: config and templates, no code."""
    for name in ("plumbing.yaml",):
        shutil.copy(ROOT / name, dest / name)
    for folder in ("releases", "tasks", "pipelines"):
        shutil.copytree(ROOT / folder, dest / folder)
    return dest


@pytest.fixture
def scratch_repo(tmp_path) -> Path:
    return copy_repo(tmp_path)
