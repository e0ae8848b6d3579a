"""images/<name>/image.yaml and `plumbing image build`: schema with positions, pinned bases,
the rendered PipelineRun valid Tekton v1 with the pipeline embedded, --apply wiring."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from click.testing import CliRunner
from tekton_schemas import assert_valid, assert_valid_run, crd_schema

from plumbing.ci_images import BUILDKIT, check_ci_images, load_images, render_build
from plumbing.cli.main import plumbing
from plumbing.config import load_repo
from plumbing.findings import ConfigError

from .conftest import ROOT

GOOD = 'image: ghcr.io/org/tools/x\nplatforms: [linux/amd64]\nschedule: "0 2 * * 1"\n'


@pytest.fixture
def scratch(tmp_path):
    shutil.copy(ROOT / "plumbing.yaml", tmp_path / "plumbing.yaml")
    for folder in ("releases", "pipelines", "tasks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "images" / "x").mkdir(parents=True)
    (tmp_path / "images" / "x" / "Dockerfile").write_text("FROM alpine:3.20 AS base\nFROM base\nRUN true\n")
    (tmp_path / "images" / "x" / "image.yaml").write_text(GOOD)
    return tmp_path


def findings(root):
    return check_ci_images(root, load_repo(root).org)[1]


def test_the_plumbing_image_is_declared():
    images = load_images(load_repo(ROOT))
    assert "plumbing" in images
    img = images["plumbing"]
    assert img["context"] == "." and img["dockerfile"] == "images/plumbing/Dockerfile"
    assert img["repository"] == "https://github.com/tektoncd/plumbing"


def test_plumbing_dockerfile_is_what_the_cluster_needs():
    text = (ROOT / "images" / "plumbing" / "Dockerfile").read_text()
    assert "FROM python:3.11" in text and "slim" in text
    assert '.[gcs,cluster,notify]' in text
    for path in ("plumbing.yaml", "releases/", "tasks/", "pipelines/"):
        assert f"COPY {path}" in text
    assert "PLUMBING_ROOT=/opt/plumbing" in text
    user = [line for line in text.splitlines() if line.startswith("USER ")]
    assert user and user[-1] != "USER root" and not user[-1].startswith("USER 0")


def test_good_scratch_image_loads(scratch):
    assert findings(scratch) == []


@pytest.mark.parametrize("text,where,needle", [
    ('image: ghcr.io/org/x:latest\nplatforms: [linux/amd64]\nschedule: "0 2 * * 1"\n', "1:1", "image:"),
    ('image: ghcr.io/org/x\nplatforms: [linux/amd65]\nschedule: "0 2 * * 1"\n', "2:", "unknown platform"),
    ('image: ghcr.io/org/x\nplatforms: [linux/amd64]\nschedule: "99 2 * * 1"\n', "3:1", "invalid cron"),
    ('image: ghcr.io/org/x\nplatforms: [linux/amd64]\nschedule: "0 2 * * 1"\nextra: 1\n', "4:1", "extra"),
    ('image: ghcr.io/org/x\nplatforms: [linux/amd64]\nschedule: "0 2 * * 1"\ncontext: ../..\n', "4:1", "inside"),
])
def test_bad_image_yaml_is_reported_with_position(scratch, text, where, needle):
    (scratch / "images" / "x" / "image.yaml").write_text(text)
    (f,) = findings(scratch)
    assert f.path == "images/x/image.yaml" and f"{f.line}:{f.column}".startswith(where.rstrip(":")) and needle in f.message


def test_unpinned_base_image_is_reported(scratch):
    (scratch / "images" / "x" / "Dockerfile").write_text("FROM alpine:3.20\nRUN true\nFROM python:latest\n")
    (f,) = findings(scratch)
    assert (f.path, f.line, f.rule) == ("images/x/Dockerfile", 3, "image-unpinned-base")


def test_missing_dockerfile_and_load_raises_one_line(scratch):
    (scratch / "images" / "x" / "Dockerfile").unlink()
    with pytest.raises(ConfigError, match=r"images/x/image.yaml:1:1: error image-config images/x/ has no Dockerfile"):
        load_images(load_repo(scratch))


# --- rendering ------------------------------------------------------------------------------

def test_rendered_build_is_valid_tekton_v1(shared):
    repo = load_repo(ROOT)
    result = render_build(repo, load_images(repo)["plumbing"])
    assert_valid(crd_schema(shared, "Pipeline"), result["pipeline"], "Pipeline")
    assert_valid_run(shared, result["pipelinerun"])


def test_rendered_build_embeds_the_pipeline_and_pins_everything():
    repo = load_repo(ROOT)
    result = render_build(repo, load_images(repo)["plumbing"])
    run = result["pipelinerun"]
    assert "pipelineRef" not in run["spec"] and run["spec"]["pipelineSpec"] == result["pipeline"]["spec"]
    assert run["metadata"]["annotations"]["plumbing.tekton.dev/content-hash"].startswith("sha256:")
    assert run["metadata"]["namespace"] == repo.org.namespaces["release"]
    assert run["spec"]["taskRunTemplate"]["serviceAccountName"] == "image-builder"
    params = {p["name"]: p["value"] for p in run["spec"]["params"]}
    assert params["image"] == "ghcr.io/tektoncd/plumbing/plumbing" and params["platforms"] == "linux/amd64,linux/arm64"
    steps = [s for t in run["spec"]["pipelineSpec"]["tasks"] for s in t["taskSpec"]["steps"]]
    images = [s["image"] for s in steps]
    assert BUILDKIT in images and "@sha256:" in BUILDKIT and "rootless" in BUILDKIT
    assert not any("docker:" in i or "dind" in i for i in images), "no Docker daemon"
    assert repo.org.tool_images["git"] in images


def test_build_values_are_quoted(scratch):
    """A hostile value in image.yaml cannot change the rendered structure."""
    (scratch / "images" / "x" / "image.yaml").write_text(
        GOOD + 'build_args: {A: "x\\n  injected: true"}\nrevision: "main"\n')
    repo = load_repo(scratch)
    result = render_build(repo, load_images(repo)["x"])
    params = {p["name"]: p["value"] for p in result["pipelinerun"]["spec"]["params"]}
    assert params["build-args"] == ["A=x\n  injected: true"]
    assert "injected" not in result["pipelinerun"]["spec"]


def test_cli_build_writes_dist_and_prints_json(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(plumbing, ["image", "build", "plumbing", "--root", str(ROOT), "--out", str(out),
                                           "--output", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["image"] == "plumbing" and plan["namespace"] == "release"
    docs = list(yaml.safe_load_all((out / "pipelinerun.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["PipelineRun"]
    assert (out / "pipelinerun.yaml").read_text().startswith("# Generated by plumbing")


def test_cli_unknown_image_is_exit_2():
    result = CliRunner().invoke(plumbing, ["image", "build", "nope", "--root", str(ROOT)])
    assert result.exit_code == 2 and "unknown image 'nope'; known images: plumbing" in result.stderr


def test_cli_apply_submits_to_the_release_namespace(tmp_path, monkeypatch):
    import plumbing.cluster.apply as apply

    calls = []

    def fake_submit(repo, pipelinerun, *, namespace, service_account, follow, logs):
        calls.append((pipelinerun["kind"], namespace, service_account, follow))
        return 0

    monkeypatch.setattr(apply, "submit", fake_submit)
    result = CliRunner().invoke(plumbing, ["image", "build", "plumbing", "--root", str(ROOT), "--out",
                                           str(tmp_path), "--apply", "--no-follow"])
    assert result.exit_code == 0, result.output
    assert calls == [("PipelineRun", "release", "image-builder", False)]


def test_cli_list():
    result = CliRunner().invoke(plumbing, ["image", "list", "--root", str(ROOT)])
    assert result.exit_code == 0 and result.stdout.startswith("plumbing ")
