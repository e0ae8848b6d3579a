"""The rendered release pipeline ends a full release on GitHub, after signatures; a nightly never."""

from __future__ import annotations

from datetime import date

from tekton_schemas import assert_valid, assert_valid_run, crd_schema

from plumbing.config import load_repo
from plumbing.lint.engine import lint_paths
from plumbing.release.plan import make_plan
from plumbing.release.rendering import render_release, write_release

SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"


def tasks_of(rendered) -> dict:
    return {t["name"]: t for t in rendered.pipelinerun["spec"]["pipelineSpec"]["tasks"]}


def test_full_release_waits_for_signatures_then_drafts(repo_root, shared, tmp_path):
    repo = load_repo(repo_root)
    rendered = render_release(repo, make_plan(repo, "pipeline", "full", revision=SHA, version="v1.2.3",
                                              previous="v1.2.2"))
    tasks = tasks_of(rendered)
    sig, gh = tasks["wait-for-signatures"], tasks["github-release"]
    assert sig["runAfter"] == ["publish-images"]
    assert set(gh["runAfter"]) == {"upload", "wait-for-signatures"}
    for task in (sig, gh):
        assert task["when"] == [{"input": "$(params.mode)", "operator": "in", "values": ["full"]}]
    params = {p["name"]: p["value"] for p in gh["params"]}
    assert params["transparency"] == "$(tasks.wait-for-signatures.results.transparency)"
    steps = gh["taskSpec"]["steps"]
    assert [s["command"] for s in steps] == [["release", "notes"], ["release", "draft"]]
    assert sig["taskSpec"]["steps"][0]["command"] == ["release", "wait-signatures"]
    assert "$(results.transparency.path)" in sig["taskSpec"]["steps"][0]["args"]
    for name in ("release-wait-signatures", "release-github-draft"):
        assert_valid(crd_schema(shared, "Task"), rendered.tasks[name], name)
    assert_valid_run(shared, rendered.pipelinerun)
    write_release(repo, rendered, tmp_path)
    assert [f.format() for f in lint_paths([str(tmp_path)]).findings] == []


def test_nightly_never_reaches_github(repo_root):
    repo = load_repo(repo_root)
    rendered = render_release(repo, make_plan(repo, "pipeline", "nightly", revision=SHA, day=date(2026, 11, 24)))
    params = {p["name"]: p["value"] for p in rendered.pipelinerun["spec"]["params"]}
    assert params["mode"] == "nightly"
    for name in ("wait-for-signatures", "github-release"):   # guarded by mode == full
        assert "nightly" not in tasks_of(rendered)[name]["when"][0]["values"]
