"""The PR pipeline template renders with the repository's config and lints clean; its trigger
is a GitHub pull_request EventListener wired to it."""

from __future__ import annotations

import re

import yaml

from plumbing.lint.engine import lint_paths
from plumbing.render import render_text

TEMPLATE = "pipelines/pr-checks.yaml.j2"


def render(repo_root, org=None):
    org = org or yaml.safe_load((repo_root / "plumbing.yaml").read_text())
    return render_text(repo_root, TEMPLATE, org=org, header="# generated for a test")


def test_every_inserted_value_is_quoted(repo_root):
    text = (repo_root / TEMPLATE).read_text()
    for expr in re.findall(r"\{\{(.*?)\}\}", text):
        assert expr.strip() == "header" or expr.rstrip().endswith("| q"), expr


def test_renders_and_lints_clean(repo_root, tmp_path):
    out = tmp_path / "pr-checks.yaml"
    out.write_text(render(repo_root))
    result = lint_paths([str(out), str(repo_root / "triggers")])
    assert [f.format() for f in result.findings] == []
    doc = yaml.safe_load(out.read_text())
    assert doc["kind"] == "Pipeline" and doc["metadata"]["name"] == "pr-checks"
    names = [t["name"] for t in doc["spec"]["tasks"]]
    assert names == ["clone", "install", "lint", "render", "infra-diff", "test", "labels"]
    labels = doc["spec"]["tasks"][-1]
    assert "plumbing pr check-labels" in labels["taskSpec"]["steps"][0]["script"]
    assert labels["taskSpec"]["steps"][0]["onError"] == "continue" and "runAfter" not in labels
    assert [t["name"] for t in doc["spec"]["finally"]] == ["report-status"]


def test_hostile_config_values_cannot_change_structure(repo_root):
    org = yaml.safe_load((repo_root / "plumbing.yaml").read_text())
    org["organisation"] = "x\n  evil: true\n# "
    org["tool_images"]["git"] = "img: [1]"
    doc = yaml.safe_load(render(repo_root, org))
    assert doc["metadata"]["labels"]["plumbing.tekton.dev/organisation"] == org["organisation"]
    assert doc["spec"]["tasks"][0]["taskSpec"]["steps"][0]["image"] == "img: [1]"


def test_trigger_wires_github_pull_requests_to_the_pipeline(repo_root):
    docs = list(yaml.safe_load_all((repo_root / "triggers" / "pr-checks.yaml").read_text()))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"TriggerBinding", "TriggerTemplate", "EventListener"}
    trigger = kinds["EventListener"]["spec"]["triggers"][0]
    github = trigger["interceptors"][0]
    assert github["ref"]["name"] == "github"
    params = {p["name"]: p["value"] for p in github["params"]}
    assert params["eventTypes"] == ["pull_request"] and params["secretRef"]["secretName"]
    run = kinds["TriggerTemplate"]["spec"]["resourcetemplates"][0]
    assert run["spec"]["pipelineRef"]["name"] == "pr-checks"
    template_params = {p["name"] for p in kinds["TriggerTemplate"]["spec"]["params"]}
    bound = {p["name"] for p in kinds["TriggerBinding"]["spec"]["params"]}
    assert template_params == bound
