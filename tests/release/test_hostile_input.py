"""Hostile strings in config values and flags: rejected with one line (exit 2, nothing
written), or carried verbatim as scalar values; the YAML structure never changes."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from plumbing.cli.main import release

SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"
ROOT = Path(__file__).resolve().parents[2]

PIECES = ["\n", "\r\n", '"', "'", ": ", "#", "{{", "}}", "{%", "$(", "$(params.x)", "---", "...",
          "- ", "[", "]", "{", "}", "&a", "*a", "!!python/object", "|", ">", "\\", "\t", "é", "☃",
          "😀", "\u2028", "\x85", "\x00", "\x1b", "null", "true", "0x10", "~", "%", "@", "`"]
hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), min_size=1, max_size=12).map("".join)
very_long = st.integers(min_value=5_000, max_value=50_000).map(lambda n: "x: " * (n // 3))
values = st.one_of(hostile, very_long)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def shape(node):
    """The structure of a document without its scalar values."""
    if isinstance(node, dict):
        return {k: shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [shape(v) for v in node]
    return type(node).__name__


def scratch() -> Path:
    root = Path(tempfile.mkdtemp(prefix="hostile-"))
    shutil.copy(ROOT / "plumbing.yaml", root / "plumbing.yaml")
    for folder in ("releases", "tasks", "pipelines"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def render(root: Path, out: Path, *extra):
    return CliRunner().invoke(release, ["nightly", "cli", "--revision", SHA, "--date", "2026-11-24",
                                        "--root", str(root), "--out", str(out), *extra])


def documents(out: Path) -> dict:
    return {name: list(yaml.safe_load_all((out / name).read_text()))
            for name in ("pipelinerun.yaml", "pipeline.yaml", "tasks.yaml")}


BASE_ROOT = scratch()
BASE_OUT = BASE_ROOT / "base-out"
assert render(BASE_ROOT, BASE_OUT).exit_code == 0
BASELINE = documents(BASE_OUT)


def assert_rejected_cleanly(result, out: Path):
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@SETTINGS
@given(text=values, field=st.sampled_from(["description", "repository", "package", "images", "name",
                                           "default_branch", "ko_config", "extra_file"]))
def test_hostile_config_value(text, field):
    root = scratch()
    try:
        path = root / "releases" / "cli.yaml"
        data = yaml.safe_load(path.read_text())
        if field == "images":
            data["images"] = ["tkn", text]
        elif field == "ko_config":
            data["ko"] = {"config": [text]}
        elif field == "extra_file":
            data["extra_files"] = [{"name": text, "config": ["config/"]}]
        else:
            data[field] = text
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
        text = yaml.safe_load(path.read_text()).get("description", text)  # what the file holds
        out = root / "out"
        result = render(root, out)
        if result.exit_code != 0:
            assert_rejected_cleanly(result, out)
            return
        docs = documents(out)
        # Accepted: the value is carried verbatim and the documents keep their structure.
        assert shape(docs) == shape(BASELINE)
        if field == "description":
            assert docs["pipeline.yaml"][0]["spec"]["description"].startswith(f"Release {text or 'cli'}:")
        config = yaml.safe_load((out / "config.yaml").read_text())
        assert config["project"][field if field not in ("ko_config", "extra_file") else "ko"] is not None
    finally:
        shutil.rmtree(root, ignore_errors=True)


@SETTINGS
@given(text=values, flag=st.sampled_from(["--revision", "--date", "--previous", "project"]))
@example(text="---", flag="project")  # click's own usage errors are one line too
@example(text="--out", flag="project")
@example(text="-", flag="--date")
@example(text="", flag="--date")  # an empty date is not "today"
def test_hostile_flag(text, flag):
    assume(text not in ("-h", "--help"))  # asking for help is not an error
    out = Path(tempfile.mkdtemp(prefix="hostile-out-")) / "out"
    args = {"project": [text, "--revision", SHA],
            "--revision": ["cli", "--revision", text],
            "--date": ["cli", "--revision", SHA, "--date", text],
            "--previous": ["cli", "--revision", SHA, "--previous", text]}[flag]
    result = CliRunner().invoke(release, ["nightly", *args, "--root", str(BASE_ROOT), "--out", str(out)])
    assert_rejected_cleanly(result, out)


@SETTINGS
@given(text=values)
@example(text="v1.2\u0661.3")  # Arabic-Indic digit: matched \d, then semver's parse raised
@example(text="v1.2.3\n")      # `$` matched before the newline
def test_hostile_full_version(text):
    out = Path(tempfile.mkdtemp(prefix="hostile-out-")) / "out"
    result = CliRunner().invoke(release, ["full", "cli", "--version", text, "--revision", SHA,
                                          "--root", str(BASE_ROOT), "--out", str(out)])
    assert_rejected_cleanly(result, out)
