"""The run-outcome record (plumbing.outcome) and `release record`, against file:// buckets."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from plumbing.cli.main import release as release_cli
from plumbing.layout import public_url as object_url
from plumbing.outcome import SCHEMA, OutcomeError, make_outcome, parse_outcome, write_outcome
from plumbing.storage import open_bucket

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_make_outcome_fills_mode_urls_and_utc_times():
    o = make_outcome(project="pipeline", version="v20261124-0123456789", status="succeeded",
                     run="pipeline-nightly-abc12", commit=SHA, started="2026-11-24T04:00:00+01:00",
                     finished="2026-11-24T03:41:19.5Z", bucket_url="gs://tekton-releases-nightly",
                     public_url="https://storage.googleapis.com", run_url="https://dash.example/r/1")
    d = json.loads(o.to_json())
    assert d == {
        "schema": SCHEMA, "project": "pipeline", "mode": "nightly",
        "version": "v20261124-0123456789", "commit": SHA, "status": "Succeeded",
        "run": "pipeline-nightly-abc12", "started": "2026-11-24T03:00:00Z",
        "finished": "2026-11-24T03:41:19Z",
        "urls": {
            "release": "https://storage.googleapis.com/tekton-releases-nightly/pipeline/previous/v20261124-0123456789/release.yaml",
            "release_notags": "https://storage.googleapis.com/tekton-releases-nightly/pipeline/previous/v20261124-0123456789/release.notags.yaml",
            "logs": "https://storage.googleapis.com/tekton-releases-nightly/pipeline/previous/v20261124-0123456789/logs.txt",
            "run": "https://dash.example/r/1"},
    }
    assert parse_outcome(o.to_json()) == o
    assert make_outcome(project="p", version="v1.2.3", status="Failed", run="r").mode == "full"


@pytest.mark.parametrize("kwargs, message", [
    ({"status": "Green"}, "status 'Green' is not one of Succeeded, Completed, Failed"),
    ({"version": "1.2.3"}, "is not vX.Y.Z"),
    ({"version": "v20261124-abcdefabcd", "commit": SHA}, "does not match nightly"),
    ({"commit": "abc"}, "not a full 40-hex"),
    ({"run": "bad name!"}, "not a PipelineRun name"),
    ({"project": "../etc"}, "not a lowercase name"),
    ({"started": "2026-11-24T05:00:00Z", "finished": "2026-11-24T04:00:00Z"}, "is after finished"),
    ({"finished": "yesterday"}, "not an ISO 8601 time"),
    ({"run_url": "javascript:alert(1)"}, "not an http(s) URL"),
])
def test_make_outcome_rejects_bad_values(kwargs, message):
    args = {"project": "pipeline", "version": "v1.0.0", "status": "Succeeded", "run": "r1", **kwargs}
    with pytest.raises(OutcomeError, match=re.escape(message)):
        make_outcome(**args)


@pytest.mark.parametrize("data, message", [
    (b"{", "not JSON"), (b"[]", "not a JSON object"),
    (b'{"schema": "other/v9"}', "unknown schema"),
    (json.dumps({"schema": SCHEMA, "project": "p", "version": "v1.0.0", "status": "Failed"}).encode(),
     "'run' is missing"),
    (json.dumps({"schema": SCHEMA, "project": "p", "version": "v1.0.0", "status": "Failed",
                 "run": "r", "finished": "soon"}).encode(), "not an ISO 8601 time"),
])
def test_parse_outcome_rejects_what_the_dashboard_cannot_use(data, message):
    with pytest.raises(OutcomeError, match=message):
        parse_outcome(data)


def test_object_url_for_both_bucket_kinds():
    assert object_url("gs://b/pre", "p/x.yaml", "https://pub.example/") == "https://pub.example/b/pre/p/x.yaml"
    assert object_url("file:///srv/b/", "p/x.yaml") == "file:///srv/b/p/x.yaml"


def test_a_rerun_replaces_the_record(tmp_path):
    bucket = open_bucket(f"file://{tmp_path}")
    first = make_outcome(project="p", version="v1.0.0", status="Failed", run="r1")
    name = write_outcome(bucket, first)
    write_outcome(bucket, make_outcome(project="p", version="v1.0.0", status="Succeeded", run="r2"))
    assert name == "p/previous/v1.0.0/outcome.json"
    assert parse_outcome(bucket.read(name)).run == "r2"


@pytest.fixture(scope="module")
def repo(tmp_path_factory, make_repo):
    base = tmp_path_factory.mktemp("record")
    (base / "repo").mkdir()
    (base / "www").mkdir()
    return make_repo(base / "repo", base / "www"), base / "www"


def record(*args):
    return CliRunner().invoke(release_cli, ["record", *map(str, args)])


def test_release_record_writes_into_the_modes_bucket(repo):
    root, www = repo
    r = record("--project", "pipeline", "--version", "v20261124-0123456789", "--status", "Failed",
               "--run", "nightly-1", "--commit", SHA, "--root", root)
    assert r.exit_code == 0, r.output
    path = www / "nightly/pipeline/previous/v20261124-0123456789/outcome.json"
    assert f"wrote file://{www}/nightly/pipeline/previous/v20261124-0123456789/outcome.json: Failed" in r.output
    d = json.loads(path.read_text())
    assert d["status"] == "Failed" and d["mode"] == "nightly" and d["finished"].endswith("Z")
    assert d["urls"]["logs"] == f"file://{www}/nightly/pipeline/previous/v20261124-0123456789/logs.txt"
    r = record("--project", "triggers", "--version", "v0.30.0", "--status", "Completed", "--run", "full-1",
               "--root", root)
    assert r.exit_code == 0, r.output
    assert json.loads((www / "release/triggers/previous/v0.30.0/outcome.json").read_text())["status"] == "Completed"


def test_release_record_with_an_explicit_bucket_needs_no_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no plumbing.yaml here or above
    r = record("--project", "cli", "--version", "v0.1.0", "--status", "Succeeded", "--run", "x",
               "--bucket", f"file://{tmp_path}/b")
    assert r.exit_code == 0, r.output
    d = json.loads((tmp_path / "b/cli/previous/v0.1.0/outcome.json").read_text())
    assert d["urls"]["logs"] == f"file://{tmp_path}/b/cli/previous/v0.1.0/logs.txt"


def test_release_record_with_a_bucket_still_checks_the_project_when_config_is_there(repo, monkeypatch):
    root, www = repo
    monkeypatch.chdir(root)
    r = record("--project", "nope", "--version", "v0.1.0", "--status", "Succeeded", "--run", "x",
               "--bucket", f"file://{www}/other")
    assert r.exit_code == 2 and "unknown project 'nope'" in r.output


@pytest.mark.parametrize("args, message", [
    (["--project", "nope", "--version", "v1.0.0", "--status", "Failed", "--run", "r"],
     "unknown project 'nope'; known projects: chains, pipeline, triggers"),
    (["--project", "pipeline", "--version", "v1.0", "--status", "Failed", "--run", "r"], "is not vX.Y.Z"),
    (["--project", "pipeline", "--version", "v1.0.0", "--status", "Meh", "--run", "r"], "status 'Meh'"),
    (["--project", "pipeline", "--version", "v1.0.0", "--status", "Failed", "--run", "r",
      "--started", "2026-13-01"], "not an ISO 8601 time"),
])
def test_release_record_mistakes_are_one_line_exit_2(repo, args, message):
    root, _ = repo
    r = record(*args, "--root", root)
    assert r.exit_code == 2, r.output
    assert message in r.output and len(r.output.strip().splitlines()) == 1
