"""verify-images and derive-notags on a release.yaml shaped like ko's output."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from plumbing.cli.release_tools import derive_notags as derive_cmd
from plumbing.cli.release_tools import verify_images as verify_cmd
from plumbing.release.built_images import check_built_images, derive_notags, find_refs

REPO = "ghcr.io/tektoncd/pipeline"
PKG = "github.com/tektoncd/pipeline"
D1, D2, D3 = ("sha256:" + c * 64 for c in "123")


def release_yaml(images: dict[str, str], tag="v1.2.3") -> str:
    docs = []
    for name, digest in images.items():
        docs.append(f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tekton-pipelines-{name}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: {REPO}/{PKG}/cmd/{name}:{tag}@{digest}
          args: ["-nop-image", "{REPO}/{PKG}/cmd/nop:{tag}@{D3}"]
        - name: proxy
          image: cgr.dev/chainguard/static@{D2}
""")
    return "".join(docs)


def expected(*names):
    return {n: f"{REPO}/{PKG}/cmd/{n}" for n in names}


def test_exact_list_passes_and_base_images_do_not_count():
    text = release_yaml({"controller": D1, "webhook": D2})
    result = check_built_images(text, expected("controller", "webhook", "nop"), REPO, "v1.2.3")
    assert result.ok, result.problems()
    assert result.images_result().splitlines() == sorted([
        f"{REPO}/{PKG}/cmd/controller@{D1}", f"{REPO}/{PKG}/cmd/nop@{D3}", f"{REPO}/{PKG}/cmd/webhook@{D2}"])


def test_missing_image():
    result = check_built_images(release_yaml({"controller": D1}), expected("controller", "webhook", "nop"), REPO)
    assert not result.ok and result.missing == ["webhook"]


def test_extra_image():
    result = check_built_images(release_yaml({"controller": D1, "events": D2}), expected("controller", "nop"), REPO)
    assert not result.ok and result.extra == [f"{REPO}/{PKG}/cmd/events"]


def test_renamed_image_reports_both_sides_and_a_hint():
    result = check_built_images(release_yaml({"controller": D1, "hooks": D2}), expected("controller", "webhook", "nop"), REPO)
    assert result.missing == ["webhook"] and result.extra == [f"{REPO}/{PKG}/cmd/hooks"]
    assert any("renamed" in p for p in result.problems())


def test_wrong_tag_is_refused():
    result = check_built_images(release_yaml({"controller": D1}, tag="devel"), expected("controller", "nop"), REPO, "v1.2.3")
    assert not result.ok and result.wrong_tag


def test_derive_notags_only_drops_tags():
    text = release_yaml({"controller": D1})
    out = derive_notags(text)
    assert f"{REPO}/{PKG}/cmd/controller@{D1}" in out
    assert ":v1.2.3@" not in out
    assert [r.digest for r in find_refs(out)] == [r.digest for r in find_refs(text)]
    assert out.replace("@", "") == text.replace(":v1.2.3@", "").replace("@", "")


def test_verify_cli_exit_codes_and_result_file(tmp_path):
    f = tmp_path / "release.yaml"
    f.write_text(release_yaml({"controller": D1, "webhook": D2}))
    result_file = tmp_path / "IMAGES"
    args = ["--file", str(f), "--repo", REPO, "--package", PKG, "--version", "v1.2.3",
            "--images-result", str(result_file)]
    ok = CliRunner().invoke(verify_cmd, ["controller webhook nop", *args])
    assert ok.exit_code == 0, ok.output
    assert len(result_file.read_text().splitlines()) == 3
    bad = CliRunner().invoke(verify_cmd, ["controller", "nop", *args])
    assert bad.exit_code == 1 and "unexpected image" in bad.output


def test_derive_cli(tmp_path):
    src = tmp_path / "release.yaml"
    src.write_text(release_yaml({"controller": D1}))
    out = tmp_path / "release.notags.yaml"
    result = CliRunner().invoke(derive_cmd, [str(src), "--out", str(out)])
    assert result.exit_code == 0 and ":v1.2.3@" not in out.read_text()


@pytest.mark.parametrize("missing", ["release.yaml"])
def test_unreadable_file_is_one_line(tmp_path, missing):
    result = CliRunner().invoke(verify_cmd, ["x", "--file", str(tmp_path / missing), "--repo", REPO, "--package", PKG])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_verify_in_the_task_form_reads_repo_from_env_and_package_from_refs(tmp_path):
    """`release verify-images EXPECTED... --file release.yaml`, as the issue writes it, inside a
    step where ko's KO_DOCKER_REPO is set."""
    f = tmp_path / "release.yaml"
    f.write_text(release_yaml({"controller": D1, "webhook": D2}))
    ok = CliRunner().invoke(verify_cmd, ["controller", "webhook", "nop", "--file", str(f)],
                            env={"KO_DOCKER_REPO": REPO})
    assert ok.exit_code == 0, ok.output
    missing = CliRunner().invoke(verify_cmd, ["controller", "webhook", "nop", "events", "--file", str(f)],
                                 env={"KO_DOCKER_REPO": REPO})
    assert missing.exit_code == 1 and "missing image events" in missing.output
    no_repo = CliRunner().invoke(verify_cmd, ["controller", "--file", str(f)], env={"KO_DOCKER_REPO": None})
    assert no_repo.exit_code == 2 and "--repo" in no_repo.output
