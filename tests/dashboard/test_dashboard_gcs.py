"""The dashboard over gs:// buckets: fake-gcs-server on 127.0.0.1 through the real client."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from plumbing.cli.main import plumbing as plumbing_cli  # noqa: E402
from plumbing.cli.main import release as release_cli  # noqa: E402
from plumbing.storage import open_bucket  # noqa: E402

pytestmark = pytest.mark.slow
SHA = "5555555555" + "f" * 30
VERSION = "v20261124-5555555555"


def ok(group, *args):
    result = CliRunner().invoke(group, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_dashboard_reads_and_uploads_to_gcs(gcs_bucket_url, make_repo, tmp_path):
    (tmp_path / "repo").mkdir()
    root = make_repo(tmp_path / "repo", gcs_bucket_url)
    name = gcs_bucket_url[len("gs://"):]
    src = tmp_path / "out"
    src.mkdir()
    (src / "release.yaml").write_text(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n"
                                      f"    app.kubernetes.io/version: {VERSION}\n")
    (src / "release.notags.yaml").write_text((src / "release.yaml").read_text())
    ok(release_cli, "publish", "pipeline", VERSION, "--from", src, "--root", root)
    ok(release_cli, "record", "--project", "pipeline", "--version", VERSION, "--status", "Failed",
       "--run", "pipeline-nightly-1", "--commit", SHA, "--finished", "2026-11-24T03:30:00Z", "--root", root)
    out = ok(plumbing_cli, "dashboard", "--root", root, "--upload", "--now", "2026-11-24T06:00:00Z")
    assert f"uploaded 5 files to {gcs_bucket_url}/logs/dashboard/" in out
    assert "pipeline: Newest nightly v20261124-5555555555 failed" in out

    logs = open_bucket(f"{gcs_bucket_url}/logs")
    blobs = {b.name: b for b in logs.list("dashboard/")}
    assert blobs["dashboard/pipeline/index.html"].content_type.startswith("text/html")
    assert blobs["dashboard/style.css"].content_type.startswith("text/css")
    page = logs.read("dashboard/pipeline/index.html").decode()
    public = f"https://storage.googleapis.com/{name}/nightly/pipeline/previous/{VERSION}"
    assert f'href="{public}/release.yaml"' in page
    assert "✗ </span>Failed" in page and "no logs.txt" in page
    record = json.loads(open_bucket(f"{gcs_bucket_url}/nightly").read(
        f"pipeline/previous/{VERSION}/outcome.json"))
    assert record["urls"]["release"] == f"{public}/release.yaml"
