"""Every deploy decision, with a stand-in for the Pulumi engine (the Pulumi CLI cannot run here)
and the real storage client against fake-gcs-server (gs://) and a folder (file://)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plumbing.deploy import records as rec
from plumbing.deploy.pulumi_cli import Preview, PulumiError, changes_from
from plumbing.deploy.run import Request, deploy, summary
from plumbing.storage import RetryPolicy, open_bucket

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OLD, NEW = "a" * 40, "b" * 40
OLD_IMG, NEW_IMG = "ghcr.io/t/plumbing@sha256:" + "1" * 64, "ghcr.io/t/plumbing@sha256:" + "2" * 64


@pytest.fixture(params=["gs", "file"])
def bucket(request, tmp_path):
    url = request.getfixturevalue("gcs_bucket_url") if request.param == "gs" else f"file://{tmp_path}/logs"
    return open_bucket(url, retry=RetryPolicy(initial=0.01, attempts=3))


class Engine:
    """Implements plumbing.deploy.pulumi_cli.Engine; records every call; fails on request."""

    def __init__(self, changes=None, fail_preview=False, fail_up=(), on_up=None):
        self.changes = {"update": 2} if changes is None else changes
        self.fail_preview, self.fail_up, self.on_up = fail_preview, set(fail_up), on_up
        self.calls = []

    def preview(self, workdir, stack, *, image, plan_file, refresh=False):
        self.calls.append(("preview", str(workdir), image, plan_file is not None))
        if self.fail_preview:
            raise PulumiError("pulumi preview exited 255: error: 1 error occurred")
        return Preview(dict(self.changes), plan_file)

    def up(self, workdir, stack, *, image, plan_file):
        self.calls.append(("up", str(workdir), image, plan_file is not None))
        if self.on_up:
            self.on_up()
        if image in self.fail_up:
            raise PulumiError("pulumi up exited 255: kubernetes:batch/v1:CronJob failed")


def verifier(failing_images=()):
    calls = []

    def verify(stack, image):
        calls.append(image)
        return ["cronjob nightly-pipeline runs another image"] if image in failing_images else []

    verify.calls = calls
    return verify


def checkout(commit):
    return Path(f"/checkouts/{commit[:7]}")


def run(bucket, engine, verify, notes=None, commit=NEW, image=NEW_IMG):
    notes = [] if notes is None else notes
    req = Request(stack="dogfooding", commit=commit, image=image, workdir=Path("/work/head"), run="deploy-x")
    return deploy(req, engine=engine, verify=verify, checkout=checkout, bucket=bucket,
                  notify=lambda r: notes.append(r) or True, clock=lambda: NOW)


def good(bucket, commit=OLD, image=OLD_IMG):
    assert rec.move_marker(bucket, "dogfooding", commit=commit, image=image, now=NOW - timedelta(days=1), seen=None)


def stored(bucket):
    [one] = rec.records(bucket, "dogfooding")
    return one


def test_no_change_ends_after_preview_and_changes_nothing(bucket):
    good(bucket)
    engine, verify, notes = Engine(changes={}), verifier(), []
    record = run(bucket, engine, verify, notes)
    assert record.result == rec.UNCHANGED
    assert [c[0] for c in engine.calls] == ["preview"] and verify.calls == [] and notes == []
    assert rec.read_marker(bucket, "dogfooding").commit == OLD
    assert stored(bucket)["result"] == "unchanged"
    assert not bucket.exists(rec.lock_name("dogfooding"))


def test_change_applied_with_the_saved_plan_verified_and_marker_moved(bucket):
    good(bucket)
    engine, verify, notes = Engine(), verifier(), []
    record = run(bucket, engine, verify, notes)
    assert record.result == rec.DEPLOYED and not record.rolled_back and notes == []
    assert engine.calls == [("preview", "/work/head", NEW_IMG, True), ("up", "/work/head", NEW_IMG, True)]
    assert verify.calls == [NEW_IMG]
    marker = rec.read_marker(bucket, "dogfooding")
    assert (marker.commit, marker.image) == (NEW, NEW_IMG)
    saved = stored(bucket)
    assert saved["previous"] == OLD and saved["preview"] == {"update": 2} and saved["finished"]
    status = rec.status(bucket, "dogfooding", NOW + timedelta(hours=3))
    assert status["deployed"] == NEW and status["age"] == "3 hours" and status["failed"] is None


def test_failed_preview_applies_nothing_and_notifies(bucket):
    good(bucket)
    engine, notes = Engine(fail_preview=True), []
    record = run(bucket, engine, verifier(), notes)
    assert record.result == rec.PREVIEW_FAILED and [c[0] for c in engine.calls] == ["preview"]
    assert notes == [record] and record.notified
    assert rec.read_marker(bucket, "dogfooding").commit == OLD


def test_failed_up_rolls_back_to_last_good_and_verifies_it(bucket):
    good(bucket)
    engine, verify, notes = Engine(fail_up=[NEW_IMG]), verifier(), []
    record = run(bucket, engine, verify, notes)
    assert record.result == rec.ROLLED_BACK and record.rolled_back and record.failure.startswith("up: ")
    # the rollback is the last good commit's program and image, applied without the new plan
    assert engine.calls[-1] == ("up", "/checkouts/aaaaaaa", OLD_IMG, False)
    assert verify.calls == [OLD_IMG]
    assert notes == [record]
    assert rec.read_marker(bucket, "dogfooding").commit == OLD
    assert "rolled back to aaaaaaaaaaaa, verified" in summary(record)
    status = rec.status(bucket, "dogfooding", NOW)
    assert status["deployed"] == OLD and status["failed"]["result"] == "rolled-back"


def test_failed_verification_rolls_back(bucket):
    good(bucket)
    engine, verify, notes = Engine(), verifier(failing_images=[NEW_IMG]), []
    record = run(bucket, engine, verify, notes)
    assert record.result == rec.ROLLED_BACK and record.failure.startswith("verify: cronjob nightly-pipeline")
    assert [c[0] for c in engine.calls] == ["preview", "up", "up"] and verify.calls == [NEW_IMG, OLD_IMG]
    assert rec.read_marker(bucket, "dogfooding").commit == OLD and len(notes) == 1


def test_rollback_that_also_fails(bucket):
    good(bucket)
    engine, verify, notes = Engine(), verifier(failing_images=[NEW_IMG, OLD_IMG]), []
    record = run(bucket, engine, verify, notes)
    assert record.result == rec.ROLLBACK_FAILED and record.rollback_failure.startswith("verify: ")
    assert notes == [record] and "failed too" in summary(record)
    assert stored(bucket)["result"] == "rollback-failed"
    assert rec.read_marker(bucket, "dogfooding").commit == OLD


def test_failure_with_nothing_to_roll_back_to(bucket):
    engine, notes = Engine(fail_up=[NEW_IMG]), []
    record = run(bucket, engine, verifier(), notes)
    assert record.result == rec.FAILED and not record.rolled_back and len(notes) == 1
    assert rec.read_marker(bucket, "dogfooding") is None


def test_first_deploy_sets_the_marker(bucket):
    record = run(bucket, Engine(), verifier())
    assert record.result == rec.DEPLOYED and record.previous is None
    assert rec.read_marker(bucket, "dogfooding").commit == NEW


def test_concurrent_deploy_is_refused_and_changes_nothing(bucket):
    good(bucket)
    rec.acquire(bucket, "dogfooding", holder="deploy-first", commit=OLD, now=NOW - timedelta(minutes=5))
    engine = Engine()
    with pytest.raises(rec.Busy, match="deploy deploy-first of commit aaaaaaaaaaaa is running since"):
        run(bucket, engine, verifier())
    assert engine.calls == [] and rec.records(bucket, "dogfooding") == []
    assert bucket.exists(rec.lock_name("dogfooding"))   # the holder's lock stays


def test_a_stale_lock_is_taken_over(bucket):
    rec.acquire(bucket, "dogfooding", holder="killed", commit=OLD, now=NOW - rec.LOCK_TTL - timedelta(minutes=1))
    assert run(bucket, Engine(), verifier()).result == rec.DEPLOYED
    assert not bucket.exists(rec.lock_name("dogfooding"))


def test_two_runs_at_once_only_one_deploys(bucket):
    """A second run starts while the first holds the lock (during its `up`): the second is
    refused (Busy) and never deploys. Started from inside the first run's `up`, so the overlap
    does not depend on how the threads happen to be scheduled on a loaded machine."""
    results = {}
    second_done = threading.Event()

    def second():
        try:
            results["second"] = run(bucket, Engine(), verifier(), commit="1" * 40).result
        except rec.Busy:
            results["second"] = "busy"
        finally:
            second_done.set()

    def start_second_while_holding_the_lock():
        threading.Thread(target=second).start()
        assert second_done.wait(60)

    results["first"] = run(bucket, Engine(on_up=start_second_while_holding_the_lock), verifier(),
                           commit="0" * 40).result
    assert results == {"first": "deployed", "second": "busy"}


def test_marker_race_only_one_writer_moves_it(bucket):
    """Someone moves last-good while this run is applying: the run must not overwrite it."""
    good(bucket)

    def intruder():
        seen = rec.read_marker(bucket, "dogfooding")
        assert rec.move_marker(bucket, "dogfooding", commit="c" * 40, image=OLD_IMG, now=NOW, seen=seen)

    record = run(bucket, Engine(on_up=intruder), verifier())
    assert record.result == rec.MARKER_RACED
    assert rec.read_marker(bucket, "dogfooding").commit == "c" * 40
    assert not rec.move_marker(bucket, "dogfooding", commit=NEW, image=NEW_IMG, now=NOW, seen=None)


def test_record_is_json_with_the_schema(bucket):
    good(bucket)
    run(bucket, Engine(), verifier())
    [blob] = bucket.list("deploys/dogfooding/records/")
    data = json.loads(bucket.read(blob.name))
    assert data["schema"] == rec.SCHEMA and blob.name.endswith(f"-{NEW[:12]}.json")


def test_change_summary_keeps_only_changes():
    assert changes_from({"same": 40, "update": 2, "create": 0, "delete": 1}) == {"update": 2, "delete": 1}
    assert not Preview(changes_from({"same": 3})).changed
