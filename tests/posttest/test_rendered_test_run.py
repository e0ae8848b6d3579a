"""`release test` for every project that is tested: valid Tekton v1, lint-clean, golden for two,
and the plan (text and --output json) from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tekton_schemas import assert_valid, assert_valid_run, crd_schema

from plumbing.cli.main import release
from plumbing.config import load_repo
from plumbing.lint.engine import lint_paths
from plumbing.posttest.plan import make_test_plan, render_test, write_test

SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "post-release-test"
TESTED = ["chains", "dashboard", "operator", "pipeline", "triggers"]
FILES = ["pipelinerun.yaml", "pipeline.yaml", "tasks.yaml"]


def render(root, project, out: Path, version="v1.2.3", revision=None):
    repo = load_repo(root)
    rendered = render_test(repo, make_test_plan(repo, project, version, revision=revision))
    write_test(repo, rendered, out)
    return rendered


@pytest.mark.parametrize("project", TESTED)
def test_every_document_is_valid_tekton_v1_and_lint_clean(repo_root, shared, tmp_path, project):
    rendered = render(repo_root, project, tmp_path)
    schemas = {kind: crd_schema(shared, kind) for kind in ("Task", "Pipeline", "PipelineRun")}
    kinds = []
    for name in FILES:
        for doc in yaml.safe_load_all((tmp_path / name).read_text()):
            assert doc["apiVersion"] == "tekton.dev/v1"
            assert_valid(schemas[doc["kind"]], doc, f"{name} {doc['kind']}")
            kinds.append(doc["kind"])
            if doc["kind"] == "PipelineRun":
                assert_valid_run(shared, doc)
    assert kinds.count("Task") == 5 and kinds.count("Pipeline") == 1 and kinds.count("PipelineRun") == 1
    result = lint_paths([str(tmp_path)])
    assert [f.format() for f in result.findings if f.severity in ("error", "warning")] == []
    spec = rendered.pipelinerun["spec"]
    # finally always has its own budget: a timed-out test still deletes its vcluster
    assert [t["name"] for t in spec["pipelineSpec"]["finally"]] == ["delete-cluster", "record"]
    assert spec["timeouts"]["finally"] == "15m"


@pytest.mark.parametrize("project, version, revision", [
    ("pipeline", "v1.2.3", None), ("triggers", "v20261124-3ee1745ae5", SHA)])
def test_golden(repo_root, tmp_path, request, project, version, revision):
    render(repo_root, project, tmp_path, version, revision)
    golden = GOLDEN / project
    if request.config.getoption("--update-golden"):
        golden.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            (golden / name).write_text((tmp_path / name).read_text())
    for name in FILES:
        assert (golden / name).is_file(), f"no golden file {golden / name}; run pytest --update-golden"
        assert (tmp_path / name).read_text() == (golden / name).read_text(), (
            f"{project}: {name} differs from {golden / name}; if intended, run pytest --update-golden")


def test_installs_from_the_published_urls_dependencies_first(repo_root):
    plan = make_test_plan(load_repo(repo_root), "dashboard", "v0.50.0")
    assert [(i["project"], i["version"]) for i in plan.installs] == [("pipeline", "newest-full"),
                                                                    ("dashboard", "v0.50.0")]
    assert plan.installs[1]["files"] == [{"name": "release.yaml", "url": "https://storage.googleapis.com/"
                                          "tekton-releases/dashboard/previous/v0.50.0/release.yaml"}]
    assert plan.revision == "v0.50.0"  # a full release's smoke tests come from its tag


def test_cli_plan_json_and_one_line_mistakes(repo_root, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(release, ["test", "triggers", "v20261124-3ee1745ae5", "--revision", SHA, "--output", "json",
                                 "--out", str(tmp_path), "--root", str(repo_root)])
    assert ok.exit_code == 0, ok.output
    plan = json.loads(ok.output)
    assert plan["namespace"] == "post-release-test" and plan["mode"] == "nightly"
    assert plan["installs"][1]["files"][0]["url"].startswith("https://storage.googleapis.com/tekton-releases-nightly/")
    assert sorted(Path(f).name for f in plan["files"]) == sorted(FILES)
    for args, code, text in [
        (["test", "triggers", "v20261124-3ee1745ae5"], 2, "pass --revision"),
        (["test", "triggers", "v20261124-3ee1745ae5", "--revision", "f" * 40], 2, "is not the commit of"),
        (["test", "cli", "v1.2.3"], 2, "enabled is false"),
        (["test", "pipeline", "1.2.3"], 2, "1.2.3"),
    ]:
        bad = runner.invoke(release, [*args, "--out", str(tmp_path / "x"), "--root", str(repo_root)])
        assert bad.exit_code == code, bad.output
        assert text in bad.output and "Traceback" not in bad.output and len(bad.output.strip().splitlines()) == 1
