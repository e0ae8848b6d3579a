"""The GitHub policies: each holds for the shipped organisation and reports a broken inventory,
naming the offending resource; the released-project checks; the CLI's exit code."""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner

from plumbing.cli.main import plumbing
from plumbing.config import load_repo
from plumbing.github_org import pr_check_target, released_repositories
from plumbing.inventory import policies as policy

from ..test_github_org import SMALL
from .conftest import ROOT, named
from .test_github_org import scratch


def _inputs(name):
    return lambda inv: named(inv, name)["inputs"]


def _set(get, key, value):
    def mutate(inv):
        get(inv)[key] = value
        return inv
    return mutate


def _drop(name):
    return lambda inv: [r for r in inv if r["name"] != name]


def _add(type_, name, inputs):
    return lambda inv: inv + [{"type": type_, "name": name, "component": "github", "inputs": inputs,
                               "provider": "github-provider"}]


def _reviews(name):
    return lambda inv: named(inv, name)["inputs"]["requiredPullRequestReviews"][0]


GITHUB_BAD = {
    "github-protected-branches": [
        ("github-default-branch-pipeline", _drop("github-protect-pipeline-main")),
        ("github-protect-cli-main", _set(_reviews("github-protect-cli-main"), "requiredApprovingReviewCount", 0)),
        ("github-protect-cli-main", _set(_inputs("github-protect-cli-main"), "requiredPullRequestReviews", [])),
    ],
    "github-no-bypass": [
        ("github-protect-chains-release-v*", _set(_inputs("github-protect-chains-release-v*"), "allowsForcePushes", True)),
        ("github-protect-chains-main", lambda inv: (named(inv, "github-protect-chains-main")["inputs"].pop("allowsForcePushes"), inv)[1]),
        ("github-protect-plumbing-main", _set(_inputs("github-protect-plumbing-main"), "forcePushBypassers", ["/someone"])),
        ("github-protect-pipeline-main", _set(_inputs("github-protect-pipeline-main"), "enforceAdmins", False)),
        ("github-protect-pipeline-main", _set(_reviews("github-protect-pipeline-main"), "pullRequestBypassers", ["tektoncd/x"])),
    ],
    "github-team-size": [
        ("github-team-dashboard-maintainers", _drop("github-member-dashboard-maintainers-steveodonovan")),
        # a read-only team may have one member; once it can push it may not
        ("github-team-readers", _set(_inputs("github-access-readers-cli"), "permission", "push")),
    ],
    "github-no-admin-collaborators": [
        ("bad-collaborator", _add(policy.GH_COLLABORATOR, "bad-collaborator",
                                  {"repository": "pipeline", "username": "mallory", "permission": "admin"})),
        ("bad-collaborators", _add(policy.GH_COLLABORATORS, "bad-collaborators",
                                   {"repository": "cli", "users": [{"username": "mallory", "permission": "admin"}]})),
    ],
    "explicit-provider": [
        ("github-repo-cli", lambda inv: (named(inv, "github-repo-cli").pop("provider"), inv)[1]),
    ],
}
CASES = [(pid, i, name, fn) for pid, cases in GITHUB_BAD.items() for i, (name, fn) in enumerate(cases)]


@pytest.mark.parametrize("pid,i,name,mutate", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_github_policy_reports_a_bad_inventory_naming_the_resource(dogfooding, pid, i, name, mutate):
    assert list(policy.POLICIES[pid](dogfooding)) == []
    bad = mutate(copy.deepcopy(dogfooding))
    found = list(policy.POLICIES[pid](bad))
    assert found, f"{pid} missed case {i}"
    assert all(m.split(" ", 2)[1].rstrip(":") == name for m in found), found
    assert pid in {p for p, _ in policy.check(bad)}


def test_what_a_policy_allows(dogfooding):
    allowed = [_add(policy.GH_COLLABORATOR, "ok-collaborator", {"repository": "cli", "username": "x", "permission": "push"}),
               _drop("github-protect-pipeline-release-v*")]   # release branches: policy asks only for the default branch
    for mutate in allowed:
        assert policy.check(mutate(copy.deepcopy(dogfooding))) == []


def _released(inventory):
    repo = load_repo(ROOT)
    return policy.github_released(inventory, released_repositories(repo), pr_check_target(repo))


def test_released_projects_hold_for_each_stack(inventory):
    assert _released(inventory) == []


@pytest.mark.parametrize("mutate,needle", [
    (_drop("github-repo-pipeline"),
     "github:index/repository:Repository pipeline: releases/pipeline.yaml releases from it, but it is not declared"),
    (_drop("github-protect-operator-main"),
     "github:index/repository:Repository github-repo-operator: default branch 'main' (releases/operator.yaml) is not protected"),
    (_drop("github-label-triggers-kind/bug"),
     "github:index/repository:Repository github-repo-triggers: lacks the release-note labels kind/bug"),
    (_drop("github-label-cli-release-note-none"),
     "github:index/repository:Repository github-repo-cli: lacks the release-note labels release-note-none"),
    (_set(lambda inv: named(inv, "github-protect-plumbing-main")["inputs"]["requiredStatusChecks"][0], "contexts", ["ci"]),
     "github:index/branchProtection:BranchProtection github-protect-plumbing-main: does not require the PR check "
     "'tektoncd/plumbing-pr-checks'"),
    (_drop("github-protect-plumbing-main"),
     "github:index/branchProtection:BranchProtection plumbing/main: this repository's default branch is not protected"),
])
def test_released_projects_break(dogfooding, mutate, needle):
    assert _released(mutate(copy.deepcopy(dogfooding))) == [needle]


def _plan_cli(path, github):
    import shutil

    path.mkdir()
    root = scratch(path, github)
    shutil.copytree(ROOT / "infra", root / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    return CliRunner().invoke(plumbing, ["infra", "plan", "-s", "gh", "--root", str(root)])


def test_a_github_yaml_that_allows_force_pushes_fails_the_plan_with_exit_1(tmp_path):
    ok = _plan_cli(tmp_path / "ok", SMALL)
    assert ok.exit_code == 0 and ok.stderr == "", ok.output
    text = SMALL.replace("    required_reviews: 1\n", "    required_reviews: 1\n    allow_force_pushes: true\n    enforce_admins: false\n")
    result = _plan_cli(tmp_path / "bad", text)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line]
    assert all(line.startswith("Pulumi.gh.yaml:") for line in lines), lines
    assert sorted(line.split(" ", 1)[1] for line in lines) == sorted(
        f"error infra-github-no-bypass github:index/branchProtection:BranchProtection "
        f"github-protect-pipeline-{branch}: {what}"
        for branch in ("main", "release-v*")
        for what in ("allows force pushes (allowsForcePushes must be false, no forcePushBypassers)",
                     "administrators bypass it (enforceAdmins must be true)"))
