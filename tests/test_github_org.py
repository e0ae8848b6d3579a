"""github.yaml: the shipped file loads; bad entries are findings naming file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from plumbing.config import load_repo
from plumbing.findings import ConfigError
from plumbing.github_org import (
    RELEASE_NOTE_LABELS,
    check_github,
    load_github,
    pr_check_context,
    this_repository,
)

# A small organisation: one released project (releases/ holds only pipeline.yaml) and this repository.
SMALL = """\
organisation: tektoncd
labels:
  - {name: kind/feature, color: c7def8, description: feature}
  - {name: kind/bug, color: e11d21, description: bug}
  - {name: kind/deprecation, color: fbca04, description: deprecation}
  - {name: kind/api-change, color: e99695, description: api}
  - {name: kind/documentation, color: c7def8, description: docs}
  - {name: kind/misc, color: c7def8, description: misc}
  - {name: release-note-none, color: ededed, description: no note}
teams:
  pipeline-maintainers: {description: maintainers}
  release-managers: {description: releases}
  readers: {description: read-only}
members:
  alice: [pipeline-maintainers, release-managers]
  bob: [pipeline-maintainers, release-managers]
  carol: [readers]
repositories:
  pipeline: {teams: {pipeline-maintainers: maintain, release-managers: maintain, readers: pull}}
  plumbing: {teams: {pipeline-maintainers: push}, labels: [{name: area/infra, color: 0052cc, description: infra}]}
protections:
  - repositories: [pipeline]
    branches: [main, release-v*]
    required_reviews: 1
  - repositories: [plumbing]
    branches: [main]
    required_reviews: 2
    required_checks: [tektoncd/plumbing-pr-checks]
"""


def small_root(tmp_path: Path, repo_root: Path, text: str = SMALL) -> Path:
    shutil.copy(repo_root / "plumbing.yaml", tmp_path / "plumbing.yaml")
    (tmp_path / "releases").mkdir()
    shutil.copy(repo_root / "releases" / "pipeline.yaml", tmp_path / "releases" / "pipeline.yaml")
    (tmp_path / "github.yaml").write_text(text)
    return tmp_path


def test_shipped_github_yaml_is_clean_and_covers_every_released_project(repo_root):
    repo = load_repo(repo_root)
    org = load_github(repo)
    names = {r.name for r in org.repositories}
    assert {p.repository.rsplit("/", 1)[1] for p in repo.projects.values()} | {"plumbing"} <= names
    for r in org.repositories:
        assert set(RELEASE_NOTE_LABELS) <= {label.name for label in r.labels}, r.name
    protected = {(p.repository, p.pattern) for p in org.protections}
    for name in names:
        assert (name, "main") in protected
    assert next(p for p in org.protections if p.repository == "plumbing").required_checks == ("tektoncd/plumbing-pr-checks",)


def test_small_file_model(tmp_path, repo_root):
    root = small_root(tmp_path, repo_root)
    org = load_github(load_repo(root))
    assert org.members == ("alice", "bob", "carol")
    assert {t.slug: t.members for t in org.teams}["release-managers"] == ("alice", "bob")
    plumbing = org.repository("plumbing")
    assert plumbing.default_branch == "main" and plumbing.merge == ("squash", "rebase") and plumbing.visibility == "public"
    assert [label.name for label in plumbing.labels][-1] == "area/infra"
    rules = {(p.repository, p.pattern): p for p in org.protections}
    assert set(rules) == {("pipeline", "main"), ("pipeline", "release-v*"), ("plumbing", "main")}
    assert rules["pipeline", "release-v*"].enforce_admins is True and rules["pipeline", "main"].allow_force_pushes is False


def _edit(old: str, new: str) -> str:
    assert old in SMALL, old
    return SMALL.replace(old, new, 1)


BAD = [
    # (what, edit, line, message part)
    ("unknown team in members", _edit("carol: [readers]", "carol: [reviewers]"), 17,
     "members.carol: unknown team 'reviewers'"),
    ("unknown team in a repository", _edit("readers: pull}}", "auditors: pull}}"), 19,
     "repositories.pipeline.teams: unknown team 'auditors'"),
    ("duplicate label", _edit("{name: kind/misc,", "{name: Kind/Bug,"), 8,
     "labels.5.name: duplicate label 'Kind/Bug' (also at labels.1)"),
    ("repository label repeats an organisation label", _edit("{name: area/infra,", "{name: kind/feature,"), 20,
     "repositories.plumbing.labels.0.name: duplicate label 'kind/feature' (also at labels.0)"),
    ("member in no team", _edit("carol: [readers]", "carol: []"), 17,
     "members.carol: in no team"),
    ("protection for an undeclared repository", _edit("repositories: [pipeline]\n", "repositories: [pipeline, results]\n"),
     22, "protections.0.repositories: 'results' is not declared under repositories"),
    ("released project missing", _edit("  pipeline: {teams", "  pipelines: {teams"), 18,
     "repositories: 'pipeline' is missing (releases/pipeline.yaml releases from it)"),
    ("this repository missing", _edit("  plumbing: {teams", "  plumber: {teams"), 18,
     "repositories: 'plumbing' is missing (plumbing.yaml notify.github_repository"),
    ("protected twice", SMALL + "  - repositories: [plumbing]\n    branches: [main]\n    required_reviews: 1\n", 30,
     "plumbing 'main' is already protected by protections.1"),
    ("other organisation", _edit("organisation: tektoncd", "organisation: tekton"), 1,
     "organisation: 'tekton' differs from plumbing.yaml's 'tektoncd'"),
    ("bad colour", _edit("color: e11d21", "color: '#e11d21'"), 4, "labels.1.color:"),
    ("no review", _edit("required_reviews: 2", "required_reviews: 0"), 27, "protections.1.required_reviews:"),
    ("unknown field", _edit("    required_reviews: 2\n", "    required_reviews: 2\n    force_push: true\n"), 28,
     "protections.1.force_push: Unexpected element"),
    ("bad permission", _edit("pipeline-maintainers: push}", "pipeline-maintainers: write}"), 20,
     "repositories.plumbing.teams.pipeline-maintainers:"),
]


@pytest.mark.parametrize("what,text,line,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_entries_are_findings_with_file_line_and_field(tmp_path, repo_root, what, text, line, needle):
    root = small_root(tmp_path, repo_root, text)
    repo = load_repo(root)
    org, findings = check_github(root, repo.org, repo.projects)
    assert org is None and findings, what
    hits = [f for f in findings if needle in f.message]
    assert hits, [f.format() for f in findings]
    assert hits[0].path == "github.yaml" and hits[0].line == line and hits[0].rule == "github-config", hits[0].format()
    # the program's loader refuses it with one line naming the first finding
    with pytest.raises(ConfigError) as err:
        load_github(repo)
    assert str(err.value).startswith("github.yaml:") and "\n" not in str(err.value)


def test_missing_file_is_a_one_line_error_only_when_asked_for(tmp_path, repo_root):
    root = small_root(tmp_path, repo_root)
    (root / "github.yaml").unlink()
    assert check_github(root) == (None, [])
    with pytest.raises(ConfigError, match="github.yaml: missing"):
        load_github(load_repo(root))


def test_yaml_syntax_error_has_a_position(tmp_path, repo_root):
    root = small_root(tmp_path, repo_root, SMALL + "teams: [\n")
    _, findings = check_github(root)
    assert findings and findings[0].rule == "yaml-syntax" and findings[0].line > 1


def test_plumbing_lint_reports_github_yaml(tmp_path, repo_root):
    from plumbing.lint.engine import lint_paths

    root = small_root(tmp_path, repo_root)
    assert lint_paths([str(root / "github.yaml")]).findings == []
    (root / "github.yaml").write_text(_edit("carol: [readers]", "carol: []"))
    found = lint_paths([str(root / "github.yaml")]).findings
    assert [(f.rule, f.line) for f in found] == [("github-config", 17)]
    assert found[0].message.startswith("members.carol: in no team")


def test_the_pr_check_context_is_the_one_the_pr_pipeline_reports(repo_root):
    """Both ends of the required status check, so a rename on one side fails here."""
    import re

    from plumbing.render import render_template

    repo = load_repo(repo_root)
    (pipeline,) = render_template(repo, "pipelines/pr-checks.yaml.j2")
    steps = [s for t in pipeline["spec"]["finally"] for s in t["taskSpec"]["steps"]]
    reported = [e["value"] for s in steps for e in s.get("env", []) if e["name"] == "CONTEXT"]
    assert reported == [pr_check_context(repo.org.organisation)] == ["tektoncd/plumbing-pr-checks"]
    trigger = (repo_root / "triggers" / "pr-checks.yaml").read_text()
    assert re.findall(r"body\.repository\.full_name == '([^']+)'", trigger) == [this_repository(repo.org)]


def test_typed_config_values_work_as_well_as_mappings(tmp_path, repo_root):
    """The config loader is moving to typed values; the cross-file checks read either."""
    from types import SimpleNamespace as Typed

    root = small_root(tmp_path, repo_root)
    org = Typed(organisation="tektoncd", notify=Typed(github_repository="tektoncd/plumbing"))
    pipeline = Typed(repository="https://github.com/tektoncd/pipeline", default_branch="main")
    assert check_github(root, org, {"pipeline": pipeline})[1] == []
    moved = Typed(repository="https://github.com/tektoncd/pipeline", default_branch="trunk")
    (finding,) = check_github(root, org, {"pipeline": moved})[1]
    assert finding.line == 19 and "default branch differs from releases/pipeline.yaml's default_branch 'trunk'" in finding.message
