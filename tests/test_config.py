"""The config loader: schema errors name file, line and field; cross-field rules hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from plumbing.config import check_repo, image_pin_problem, load_repo
from plumbing.findings import ConfigError


def findings_for(root: Path) -> list[str]:
    _, findings = check_repo(root)
    return [f.format() for f in findings]


def test_shipped_config_is_clean(repo_root):
    repo, findings = check_repo(repo_root)
    assert findings == []
    assert {"pipeline", "triggers", "dashboard", "chains", "cli", "operator"} <= set(repo.projects)


def test_shipped_projects_list_the_images_they_publish(repo_root):
    repo = load_repo(repo_root)
    assert list(repo.project("pipeline").images) == [
        "controller", "webhook", "entrypoint", "nop", "workingdirinit", "resolvers",
        "sidecarlogresults", "events"]
    assert "eventlistenersink" in repo.project("triggers").images


def test_defaults_are_filled_in(repo_root):
    p = load_repo(repo_root).project("chains")
    assert p.platforms.publish == p.platforms.build
    assert (p.ko.config, p.ko.naming) == (("config/",), "preserve-import-paths")
    assert p.timeouts.pipeline == "3h"


def test_schema_error_names_file_line_and_field(scratch_repo):
    path = scratch_repo / "releases" / "chains.yaml"
    path.write_text(path.read_text().replace("images: [controller]", "images: [controller, 42]"))
    out = findings_for(scratch_repo)
    assert len(out) == 1
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("images:"))
    assert out[0].startswith(f"releases/chains.yaml:{line}:")
    assert "images.1" in out[0] and "release-config" in out[0]


def test_unknown_field_is_reported_at_its_line(scratch_repo):
    path = scratch_repo / "plumbing.yaml"
    path.write_text(path.read_text() + "surprise: 1\n")
    out = findings_for(scratch_repo)
    n = len(path.read_text().splitlines())
    assert out == [f"plumbing.yaml:{n}:1: error plumbing-config surprise: Unexpected element"]


def test_yaml_syntax_error_has_position(scratch_repo):
    (scratch_repo / "releases" / "cli.yaml").write_text("name: cli\nimages: [a\n")
    out = findings_for(scratch_repo)
    assert len(out) == 1 and out[0].startswith("releases/cli.yaml:3:") and "yaml-syntax" in out[0]


@pytest.mark.parametrize("change, message", [
    (("0 6 * * *", "61 6 * * *"), "invalid cron expression"),
    (("0 6 * * *", "0 3 * * *"), "same minute as"),
    (("linux/amd64, linux/arm64, linux/s390x, linux/ppc64le]", "linux/amd64, linux/sparc]"), "unknown platform 'linux/sparc'"),
    (("name: cli", "name: clip"), "must match the file name"),
    (("images: [tkn]", "images: [tkn, tkn]"), "lists an image twice"),
    (("images: [tkn]", "images: [tkn]\ntimeouts: {pipeline: 1h, tests: 2h}"), "longer than timeouts.pipeline"),
    (("images: [tkn]", "images: [tkn]\ntimeouts: {pipeline: soon}"), "is not a duration"),
    (("images: [tkn]", "images: [tkn]\ndescription: \"run $(params.x)\""), "Tekton would substitute"),
])
def test_cross_field_rules(scratch_repo, change, message):
    path = scratch_repo / "releases" / "cli.yaml"
    text = path.read_text()
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1]))
    out = findings_for(scratch_repo)
    assert any(message in line for line in out), out
    assert out and all("cli" in line for line in out)


def test_two_files_with_one_name(scratch_repo):
    text = (scratch_repo / "releases" / "cli.yaml").read_text()
    (scratch_repo / "releases" / "cli.yml").write_text(text.replace('"0 6 * * *"', '"30 6 * * *"'))
    assert any("already used by releases/cli.yaml" in line for line in findings_for(scratch_repo))


@pytest.mark.parametrize("ref, ok", [
    ("ghcr.io/x/y@sha256:" + "a" * 64, True),
    ("cgr.dev/chainguard/go:latest-dev@sha256:" + "b" * 64, True),
    ("ghcr.io/x/y:v1.2.3", True),
    ("localhost:5000/y:1.0", True),
    ("ghcr.io/x/y:latest", False),
    ("ghcr.io/x/y", False),
    ("localhost:5000/y", False),
])
def test_tool_images_are_pinned(ref, ok):
    assert (image_pin_problem(ref) is None) is ok


def test_unpinned_tool_image_is_an_error(scratch_repo):
    path = scratch_repo / "plumbing.yaml"
    path.write_text(path.read_text().replace("plumbing/plumbing:v0.1.0", "plumbing/plumbing:latest"))
    out = findings_for(scratch_repo)
    assert len(out) == 1 and "config-unpinned-image" in out[0] and "tool_images.plumbing" in out[0]


def test_load_repo_raises_one_line_with_count(scratch_repo):
    path = scratch_repo / "releases" / "cli.yaml"
    path.write_text(path.read_text().replace("name: cli", "name: Cli!") + "bogus: 1\n")
    with pytest.raises(ConfigError) as err:
        load_repo(scratch_repo)
    assert "\n" not in str(err.value) and "and 1 more" in str(err.value)


def test_unknown_project_lists_known(repo_root):
    with pytest.raises(ConfigError, match="known projects: chains, cli, dashboard"):
        load_repo(repo_root).project("pipelines")


def test_a_clean_verdict_is_remembered_by_content(scratch_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = load_repo(scratch_repo)
    markers = list((tmp_path / "cache" / "plumbing").glob("config-ok-*/*"))
    assert len(markers) == 1
    again = load_repo(scratch_repo)  # from the remembered verdict
    assert again.org == first.org and again.projects == first.projects
    # any change to a file is a new key: checked again, and a bad file is never remembered
    path = scratch_repo / "releases" / "cli.yaml"
    path.write_text(path.read_text().replace("images: [tkn]", "images: [tkn, 42]"))
    with pytest.raises(ConfigError, match="images.1"):
        load_repo(scratch_repo)
    assert len(list((tmp_path / "cache" / "plumbing").glob("config-ok-*/*"))) == 1


def test_no_cache_where_home_is_read_only(scratch_repo, tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert load_repo(scratch_repo).project("cli").images == ("tkn",)


def test_a_clean_verdict_is_forgotten_when_a_checking_library_changes(scratch_repo):
    """The cache key covers the libraries that judged the files: reinstalling one (here, its
    code's modification time moving) means the files are checked again."""
    import importlib.util
    import os

    from plumbing.config import _verdict_key

    before = _verdict_key(scratch_repo)
    origin = importlib.util.find_spec("cronsim").origin
    st = os.stat(origin)
    try:
        os.utime(origin, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert _verdict_key(scratch_repo) != before
    finally:
        os.utime(origin, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _verdict_key(scratch_repo) == before


def test_config_patterns_refuse_a_final_newline(scratch_repo):
    """yamale's regex() uses re.match, where `$` also matches before a final newline: the
    schemas end with \\Z, so a branch named "main\\n" is refused."""
    path = scratch_repo / "releases" / "cli.yaml"
    path.write_text(path.read_text() + 'default_branch: "main\\n"\n')
    out = findings_for(scratch_repo)
    assert len(out) == 1 and out[0].startswith("releases/cli.yaml:") and "default_branch" in out[0], out
