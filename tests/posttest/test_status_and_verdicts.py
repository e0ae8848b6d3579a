"""Verdicts on the GCS test server (real client), and what `release status` makes of them."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from plumbing import layout
from plumbing.cli.main import release
from plumbing.posttest.state import read_state
from plumbing.storage import open_bucket
from plumbing.verdict import make_verdict, read_verdict, write_verdict

NIGHTLY = "v20261124-3ee1745ae5"
OLDER_NIGHTLY = "v20261123-1111111111"


def verdict(version, result, started, run="test-pipeline-abcde", failed=None):
    steps = [{"name": "install", "result": "passed", "seconds": 41.0}]
    if failed:
        steps.append({"name": failed, "result": "failed", "seconds": 3.5})
    return make_verdict(project="pipeline", version=version, verdict=result, run=run, started=started,
                        steps=steps, tekton={"pipeline": version})


@pytest.fixture
def root(scratch_repo, gcs_bucket_url, tmp_path):
    """A scratch repository whose nightly bucket is on the GCS test server (releases: a folder)."""
    text = (scratch_repo / "plumbing.yaml").read_text()
    text = re.sub(r"(\n  nightly: )gs://\S+", rf"\1{gcs_bucket_url}", text, count=1)
    text = re.sub(r"(\n  release: )gs://\S+", rf"\1{(tmp_path / 'releases').as_uri()}", text, count=1)
    (scratch_repo / "plumbing.yaml").write_text(text)
    return scratch_repo


def publish(bucket, version):
    bucket.write(layout.release_file("pipeline", version, layout.RELEASE_YAML), b"kind: List\n")


def test_an_older_run_never_replaces_a_newer_verdict_on_gcs(gcs_bucket_url):
    bucket = open_bucket(gcs_bucket_url)
    newer = verdict(NIGHTLY, "failed", "2026-11-24T05:00:00Z", run="test-pipeline-new", failed="smoke")
    older = verdict(NIGHTLY, "passed", "2026-11-24T04:00:00Z", run="test-pipeline-old")
    assert write_verdict(bucket, newer)
    assert not write_verdict(bucket, older)
    assert read_verdict(bucket, "pipeline", NIGHTLY).run == "test-pipeline-new"
    rerun = verdict(NIGHTLY, "passed", "2026-11-24T06:00:00Z", run="test-pipeline-rerun")
    assert write_verdict(bucket, rerun)
    assert read_state(bucket, "pipeline", NIGHTLY).state == "passed"


def test_status_shows_the_three_test_states_and_fails_on_a_failed_nightly_test(root, gcs_bucket_url):
    bucket = open_bucket(gcs_bucket_url)
    publish(bucket, OLDER_NIGHTLY)
    publish(bucket, NIGHTLY)
    runner = CliRunner()

    def status(*extra):
        return runner.invoke(release, ["status", "pipeline", "--root", str(root), *extra])

    untested = status()
    assert untested.exit_code == 0, untested.output
    assert f"nightly {NIGHTLY} (" in untested.stdout and "post-release test: nightly not tested yet" in untested.stdout

    write_verdict(bucket, verdict(NIGHTLY, "passed", "2026-11-24T04:00:00Z"))
    passed = status()
    assert passed.exit_code == 0 and "nightly tested, passed" in passed.stdout

    write_verdict(bucket, verdict(NIGHTLY, "failed", "2026-11-24T05:00:00Z", failed="check-images"))
    bucket.write(layout.release_file("pipeline", NIGHTLY, layout.TEST_LOGS), b"[smoke/run] boom\n")
    failed = status()
    assert failed.exit_code == 1, failed.output
    logs = layout.public_url(gcs_bucket_url, layout.release_file("pipeline", NIGHTLY, layout.TEST_LOGS))
    assert "TEST-FAILED pipeline: " in failed.stdout
    assert f"nightly tested, FAILED at check-images, logs {logs}" in failed.stdout
    assert "newest nightly failed its post-release test: pipeline" in failed.stderr
    data = json.loads(status("--output", "json").stdout)
    assert data["test_failed"] == ["pipeline"]
    assert data["projects"][0]["tests"]["nightly"]["state"] == "failed"
    assert data["projects"][0]["tests"]["full"]["state"] == "untested"


def test_an_older_nightly_failing_does_not_fail_status(root, gcs_bucket_url):
    bucket = open_bucket(gcs_bucket_url)
    publish(bucket, OLDER_NIGHTLY)
    publish(bucket, NIGHTLY)
    write_verdict(bucket, verdict(OLDER_NIGHTLY, "failed", "2026-11-23T04:00:00Z", failed="smoke"))
    r = CliRunner().invoke(release, ["status", "pipeline", "--root", str(root)])
    assert r.exit_code == 0 and "nightly not tested yet" in r.stdout, r.output
