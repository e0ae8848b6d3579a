"""The GitHubOrg component under Pulumi's mocks: the inventory of a small github.yaml and of the
shipped one, the provider and its secret token, the knob and the secrets listing."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest
from click.testing import CliRunner

from plumbing.cli.main import plumbing
from plumbing.config import load_repo
from plumbing.github_org import load_github
from plumbing.inventory.mocks import plan

from ..test_github_org import SMALL
from .conftest import ROOT

GH = "github:index/"
STACK = "config:\n  plumbing:target: existing\n  plumbing:kubeContext: k\n  plumbing:githubOrg: true\n"


def scratch(tmp_path, github: str | None = SMALL, stack: str = STACK):
    """A config copy with one released project (pipeline) and `github` as github.yaml; the
    program stays the checkout's."""
    for name in ("plumbing.yaml", "Pulumi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "releases").mkdir()
    shutil.copy(ROOT / "releases" / "pipeline.yaml", tmp_path / "releases" / "pipeline.yaml")
    if github is not None:
        (tmp_path / "github.yaml").write_text(github)
    (tmp_path / "Pulumi.gh.yaml").write_text(stack)
    return tmp_path


def github_counts(inventory) -> Counter:
    return Counter(r["type"].rsplit(":", 1)[1] for r in inventory
                   if r["type"].startswith(GH) or r["type"] == "pulumi:providers:github")


def test_small_github_yaml_inventory(tmp_path):
    inventory = plan(scratch(tmp_path), "gh", program_root=ROOT)
    assert github_counts(inventory) == Counter({
        "github": 1, "Team": 3, "TeamMembership": 5, "Repository": 2, "BranchDefault": 2, "TeamRepository": 4,
        "IssueLabel": 7 + 8, "BranchProtection": 3})
    by_name = {r["name"]: r for r in inventory}
    assert by_name["github"]["type"] == "plumbing:infra:GitHubOrg"
    provider = by_name["github-provider"]
    assert provider["inputs"]["owner"] == "tektoncd" and provider["inputs"]["token"] == "[secret]"
    for r in inventory:
        if r["type"].startswith(GH):
            assert r["component"] == "github" and r.get("provider") == "github-provider", r["name"]
    rule = by_name["github-protect-plumbing-main"]["inputs"]
    assert rule["repositoryId"] == "plumbing" and rule["pattern"] == "main"
    assert rule["requiredStatusChecks"] == [{"contexts": ["tektoncd/plumbing-pr-checks"], "strict": True}]
    assert rule["requiredPullRequestReviews"][0]["requiredApprovingReviewCount"] == 2
    assert rule["enforceAdmins"] is True and rule["allowsForcePushes"] is False and rule["allowsDeletions"] is False
    assert "requiredStatusChecks" not in by_name["github-protect-pipeline-release-v*"]["inputs"]
    # memberships and team access name the team by the slug GitHub computes (the mock answers it)
    assert by_name["github-member-release-managers-alice"]["inputs"] == {
        "teamId": "release-managers", "username": "alice", "role": "member"}
    assert by_name["github-access-readers-pipeline"]["inputs"] == {
        "teamId": "readers", "repository": "pipeline", "permission": "pull"}
    repo = by_name["github-repo-plumbing"]["inputs"]
    assert (repo["allowSquashMerge"], repo["allowRebaseMerge"], repo["allowMergeCommit"]) == (True, True, False)
    assert repo["visibility"] == "public" and repo["deleteBranchOnMerge"] is True and repo["archiveOnDestroy"] is True
    assert by_name["github-label-plumbing-area/infra"]["inputs"] == {
        "repository": "plumbing", "name": "area/infra", "color": "0052cc", "description": "infra"}
    assert by_name["github-default-branch-pipeline"]["inputs"] == {"repository": "pipeline", "branch": "main"}


def test_shipped_github_yaml_in_the_dogfooding_stack(dogfooding, local):
    org = load_github(load_repo(ROOT))
    memberships = sum(len(t.members) for t in org.teams)
    assert github_counts(dogfooding) == Counter({
        "github": 1, "Team": len(org.teams), "TeamMembership": memberships,
        "Repository": len(org.repositories), "BranchDefault": len(org.repositories),
        "TeamRepository": sum(len(r.teams) for r in org.repositories),
        "IssueLabel": sum(len(r.labels) for r in org.repositories), "BranchProtection": len(org.protections)})
    assert github_counts(local) == Counter(), "the local stack does not enable plumbing:githubOrg"


def test_plan_text_and_json_show_the_github_resources():
    result = CliRunner().invoke(plumbing, ["infra", "plan", "-s", "dogfooding", "--root", str(ROOT)])
    assert result.exit_code == 0, result.output
    assert "github (plumbing:infra:GitHubOrg" in result.stdout
    assert "owner=tektoncd token=[secret]" in result.stdout
    assert ("plumbing 'main' reviews=1 checks=['tektoncd/plumbing-pr-checks'] enforceAdmins=True forcePushes=False"
            in result.stdout)
    assert "placeholder-for-" not in result.stdout


def test_the_org_token_is_required_only_where_enabled(tmp_path):
    def keys(stack, root=ROOT):
        result = CliRunner().invoke(plumbing, ["infra", "secrets", "-s", stack, "--output", "json", "--root", str(root)])
        assert result.exit_code == 0, result.output
        return {row["key"] for row in json.loads(result.stdout)["secrets"]}

    assert "plumbing:githubOrgToken" in keys("dogfooding")
    assert "plumbing:githubOrgToken" not in keys("local")
    off = scratch(tmp_path, stack=STACK.replace("githubOrg: true", "githubOrg: false"))
    assert "plumbing:githubOrgToken" not in keys("gh", off)
    assert github_counts(plan(off, "gh", program_root=ROOT)) == Counter()


def test_adoption_imports_every_github_object_by_the_id_the_provider_expects(tmp_path):
    inventory = plan(scratch(tmp_path, stack=STACK + "  plumbing:githubAdopt: true\n"), "gh", program_root=ROOT)
    ids = {r["name"]: r.get("import") for r in inventory if r["type"].startswith(GH)}
    assert all(ids.values()), [n for n, i in ids.items() if not i]
    assert {n: ids[n] for n in ("github-team-readers", "github-member-release-managers-alice", "github-repo-pipeline",
                                "github-default-branch-pipeline", "github-access-readers-pipeline",
                                "github-label-plumbing-area/infra", "github-protect-pipeline-release-v*")} == {
        "github-team-readers": "readers", "github-member-release-managers-alice": "release-managers:alice",
        "github-repo-pipeline": "pipeline", "github-default-branch-pipeline": "pipeline",
        "github-access-readers-pipeline": "readers:pipeline", "github-label-plumbing-area/infra": "plumbing:area/infra",
        "github-protect-pipeline-release-v*": "pipeline:release-v*"}
    assert "import" not in next(r for r in inventory if r["name"] == "github-provider")
    # the same inputs as without adoption: adopting changes nothing on GitHub
    (tmp_path / "plain").mkdir()
    plain = {r["name"]: r["inputs"] for r in plan(scratch(tmp_path / "plain"), "gh", program_root=ROOT)}
    assert {r["name"]: r["inputs"] for r in inventory} == plain
    from plumbing.inventory.report import format_text

    assert "      import 'plumbing:area/infra'" in format_text(inventory, "gh")


def test_no_import_ids_without_adoption(dogfooding):
    assert not [r["name"] for r in dogfooding if "import" in r]


@pytest.mark.parametrize("github,stack,needle", [
    (SMALL, STACK.replace("githubOrg: true", "githubOrg: yes please"), "plumbing:githubOrg must be true or false"),
    (None, STACK, "github.yaml: missing"),
    (SMALL, STACK.replace("githubOrg: true", "githubAdopt: true"), "plumbing:githubAdopt: needs plumbing:githubOrg: true"),
    (SMALL.replace("carol: [readers]", "carol: []"), STACK, "github.yaml:17:3: error github-config members.carol: in no team"),
])
def test_bad_github_config_is_one_line_exit_2(tmp_path, github, stack, needle):
    root = scratch(tmp_path, github, stack)
    shutil.copytree(ROOT / "infra", root / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    result = CliRunner().invoke(plumbing, ["infra", "plan", "-s", "gh", "--root", str(root)])
    assert result.exit_code == 2, result.output
    assert needle in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
