"""Scratch organisations of any size for the isolation tests and bench/bench_infra_scale.py:
the repository's config with releases/ replaced by N generated projects (one file each, no code)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COPIED = ("plumbing.yaml", "github.yaml", "Pulumi.yaml", "Pulumi.dogfooding.yaml", "Pulumi.local.yaml")


def project_name(i: int) -> str:
    return f"project-{i:02d}"


def write_org(dest: Path, count: int) -> Path:
    """`dest` holds plumbing.yaml, the stacks, images/, cronjobs/ and `count` releases/ files,
    each with a nightly a minute apart (two nightlies may not start in the same minute)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, dest / name)
    for folder in ("images", "cronjobs"):
        shutil.copytree(ROOT / folder, dest / folder, dirs_exist_ok=True)
    releases = dest / "releases"
    shutil.rmtree(releases, ignore_errors=True)
    releases.mkdir()
    for i in range(count):
        name = project_name(i)
        (releases / f"{name}.yaml").write_text(
            f"name: {name}\ndescription: generated project {i}\n"
            f"repository: https://github.com/tektoncd/{name}\npackage: github.com/example/{name}\n"
            f"images: [controller, webhook]\nnightly:\n  schedule: \"{i % 60} {1 + i // 60} * * *\"\n",
            encoding="utf-8")
    _add_repositories(dest / "github.yaml", [project_name(i) for i in range(count)])
    return dest


def _add_repositories(github: Path, names: list[str]) -> None:
    """github.yaml declares every released project's repository, protected: add the generated ones."""
    if not github.is_file() or not names:
        return
    text = github.read_text(encoding="utf-8")
    repos = "".join(f"  {n}: {{description: generated, teams: {{readers: pull}}}}\n" for n in names)
    protect = f"  - repositories: [{', '.join(names)}]\n    branches: [main]\n    required_reviews: 1\n"
    text = text.replace("\nrepositories:\n", "\nrepositories:\n" + repos, 1)
    text = text.replace("\nprotections:\n", "\nprotections:\n" + protect, 1)
    github.write_text(text, encoding="utf-8")
