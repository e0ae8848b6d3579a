"""The five mistakes the Tekton team reported, each refused before anything is published or
created: wrong images, wrong release version, wrong resource version, wrong cluster, wrong
bucket. Everything goes through the real commands (and, for images, the rendered Task's own
script), a real file:// bucket, real git, and kmock with the real kubernetes client."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from plumbing.cli.main import release

from .conftest import write_kubeconfig

SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"
REPO = "ghcr.io/tektoncd/pipeline"
PKG = "github.com/tektoncd/pipeline"
DIGEST = "sha256:" + "a" * 64
IMAGES = ["controller", "webhook", "entrypoint", "nop", "workingdirinit", "resolvers",
          "sidecarlogresults", "events"]


def bucket_files(repo_dir: Path, kind: str) -> list[str]:
    root = repo_dir / "buckets" / kind
    assert root.is_dir(), root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def release_yaml(images, version="devel") -> str:
    return "".join(f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tekton-pipelines-{name}
  labels:
    app.kubernetes.io/version: "{version}"
    pipeline.tekton.dev/release: "{version}"
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: {REPO}/{PKG}/cmd/{name}:v1.2.3@{DIGEST}
""" for name in images)


def invoke(*args):
    return CliRunner().invoke(release, [str(a) for a in args])


def run_task_step(repo_dir: Path, workdir: Path, task: str, step: str) -> subprocess.CompletedProcess:
    """Run one step's script from the rendered Task, as its container would (sh, set -e)."""
    out = repo_dir / "render"
    assert invoke("full", "pipeline", "--version", "v1.2.3", "--revision", SHA, "--previous", "v1.2.2",
                  "--out", out, "--root", repo_dir).exit_code == 0
    tasks = {t["metadata"]["name"]: t for t in yaml.safe_load_all((out / "tasks.yaml").read_text())}
    spec = tasks[task]["spec"]
    env = {e["name"]: e["value"] for e in spec.get("stepTemplate", {}).get("env", [])}
    script = next(s for s in spec["steps"] if s["name"] == step)["script"]
    values = {"version": "v1.2.3", "package": PKG, "ko-docker-repo": REPO, "images": " ".join(IMAGES),
              "ko-naming": "preserve-import-paths"}
    images_result = workdir / "IMAGES"
    for name, value in values.items():
        script = script.replace(f"$(params.{name})", value)
    script = script.replace("$(results.IMAGES.path)", str(images_result))
    env = {k: values.get(v[len("$(params."):-1], v) if v.startswith("$(params.") else v for k, v in env.items()}
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return subprocess.run(["sh", "-c", script], cwd=workdir, capture_output=True, text=True,
                          env={**os.environ, **env, "PATH": path, "PLUMBING_ROOT": str(repo_dir)})


def test_wrong_images_stop_the_release_before_upload(repo_dir, tmp_path):
    work = tmp_path / "release"
    work.mkdir()
    built = [i for i in IMAGES if i != "events"] + ["evnets"]  # one missing, one misnamed
    (work / "release.yaml").write_text(release_yaml(built))
    step = run_task_step(repo_dir, work, "release-publish-images", "check-and-derive")
    assert step.returncode == 1, step.stdout + step.stderr
    assert "missing image events" in step.stderr and "cmd/evnets" in step.stderr
    assert not (work / "IMAGES").exists()
    assert bucket_files(repo_dir, "release") == []  # upload runs after this task: never reached


def test_right_images_pass_the_same_step(repo_dir, tmp_path):
    work = tmp_path / "release"
    work.mkdir()
    (work / "release.yaml").write_text(release_yaml(IMAGES))
    step = run_task_step(repo_dir, work, "release-publish-images", "check-and-derive")
    assert step.returncode == 0, step.stdout + step.stderr
    assert len((work / "IMAGES").read_text().splitlines()) == len(IMAGES)
    assert '"v1.2.3"' in (work / "release.yaml").read_text()  # devel rewritten
    assert ":v1.2.3@" not in (work / "release.notags.yaml").read_text()


def test_wrong_release_version_is_refused(repo_dir, tmp_path):
    out = tmp_path / "out"
    for version in ("1.2.3", "v1.2", "v1.02.3", "v20261124-3ee1745ae5"):
        result = invoke("full", "pipeline", "--version", version, "--revision", SHA, "--out", out,
                        "--root", repo_dir)
        assert result.exit_code == 2, (version, result.output)
        assert not out.exists()
    # and a version that was already released cannot be published again
    src = tmp_path / "dist"
    src.mkdir()
    (src / "release.yaml").write_text(release_yaml(IMAGES, "v1.2.3"))
    assert invoke("publish", "pipeline", "v1.2.3", "--from", src, "--root", repo_dir).exit_code == 0
    before = bucket_files(repo_dir, "release")
    (src / "release.yaml").write_text(release_yaml(IMAGES[:1], "v1.2.3"))
    again = invoke("publish", "pipeline", "v1.2.3", "--from", src, "--root", repo_dir)
    assert again.exit_code == 1
    assert bucket_files(repo_dir, "release") == before


def test_wrong_resource_version_is_refused(repo_dir, tmp_path):
    src = tmp_path / "dist"
    src.mkdir()
    for labels in ("devel", "v1.2.2"):
        (src / "release.yaml").write_text(release_yaml(IMAGES, labels))
        result = invoke("publish", "pipeline", "v1.2.3", "--from", src, "--root", repo_dir)
        assert result.exit_code == 1, result.output
        assert labels in result.output
        assert bucket_files(repo_dir, "release") == []


def test_wrong_bucket_is_refused(repo_dir, tmp_path):
    src = tmp_path / "dist"
    src.mkdir()
    (src / "release.yaml").write_text(release_yaml(IMAGES, "v1.2.3"))
    nightly = f"file://{repo_dir}/buckets/nightly"
    result = invoke("publish", "pipeline", "v1.2.3", "--from", src, "--bucket", nightly, "--root", repo_dir)
    assert result.exit_code in (1, 2), result.output
    assert "bucket" in result.output
    assert bucket_files(repo_dir, "nightly") == [] and bucket_files(repo_dir, "release") == []


async def test_wrong_cluster_is_refused(cluster, repo_dir, tmp_path, monkeypatch):
    path = write_kubeconfig(tmp_path / "kubeconfig", cluster.url, "kind-laptop")
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    result = await asyncio.to_thread(
        invoke, "full", "pipeline", "--version", "v1.2.3", "--revision", SHA, "--apply",
        "--out", tmp_path / "out", "--root", repo_dir)
    assert result.exit_code == 1, result.output
    assert "kind-laptop" in result.output and "dogfooding" in result.output
    assert cluster.posts() == [] and cluster.runs() == []
