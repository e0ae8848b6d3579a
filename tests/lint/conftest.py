"""Helpers for the lint tests: lint YAML text in a temporary file."""

from __future__ import annotations

from pathlib import Path

import pytest

from plumbing.lint.config import Settings
from plumbing.lint.engine import lint_paths

ROOT = Path(__file__).resolve().parents[2]
SHARED = (ROOT / ".." / "shared").resolve()


@pytest.fixture
def corpus() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"{SHARED}/corpus (the shared corpus) is not beside the repository")
    return SHARED / "corpus"


@pytest.fixture
def lint_text(tmp_path):
    def run(text: str, name: str = "doc.yaml", settings: Settings | None = None):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return lint_paths([str(path)], settings)
    return run
