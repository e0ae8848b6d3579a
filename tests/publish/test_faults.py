"""Faults between the client and a real GCS API: a proxy on 127.0.0.1 in front of
fake-gcs-server answers 503/429, drops connections, or loses the answer after the server did
the work. Publish must still complete with nothing duplicated, lost or half-published, and a
re-run after an interruption must finish the job."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from gcs_server import is_upload
from hypothesis import HealthCheck, given, settings

from plumbing.findings import CheckFailed
from plumbing.layout import LATEST_LEASE, release_exists
from plumbing.release.publish import publish
from plumbing.storage import RetryPolicy, StorageError, md5_b64, open_bucket

FILES = {"extra/a.yaml": "a: 1\n", "extra/b.yaml": "b: 2\n", "logs.txt": "built\n"}


@pytest.fixture
def proxied(fault_proxy, gcs_bucket_url, fast_retry):
    """(proxy, bucket reached through the proxy, bucket reached directly)."""
    return fault_proxy, open_bucket(gcs_bucket_url, retry=fast_retry), gcs_bucket_url


def assert_published(bucket, project, version, d):
    """Every file of DIR is there once, byte for byte, and latest/ mirrors it."""
    folder = f"{project}/previous/{version}/"
    blobs = {b.name[len(folder):]: b for b in bucket.list(folder)}
    local = {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}
    assert set(blobs) == set(local)
    for name, data in local.items():
        assert blobs[name].md5 == md5_b64(data), name
        assert bucket.read(folder + name) == data
    latest = {b.name[len(f"{project}/latest/"):]: b.md5 for b in bucket.list(f"{project}/latest/")}
    assert latest == {n: b.md5 for n, b in blobs.items()}


def successful_uploads(proxy) -> list[str]:
    """Release files stored (the latest/ lease is written on each move, and not counted)."""
    return [name for name, status in proxy.uploads if status == 200 and not name.endswith(LATEST_LEASE)]


@pytest.mark.parametrize("action", ["503", "429", "500", "drop"])
def test_publish_completes_through_errors_on_every_kind_of_request(proxied, release_dir, action):
    proxy, bucket, _ = proxied
    d = release_dir("v1.2.3", extra=FILES)
    for kind in (is_upload, lambda m, p: m == "GET", lambda m, p: "copyTo" in p or "rewriteTo" in p):
        proxy.inject(action, 2, kind)
    result = publish(bucket, "pipeline", "v1.2.3", d)
    assert result.uploaded[-1] == "release.yaml" and len(result.uploaded) == 5
    assert proxy.count(action) >= 6
    assert_published(bucket, "pipeline", "v1.2.3", d)
    assert len(successful_uploads(proxy)) == 5  # each file written exactly once


def test_lost_answers_to_conditional_creates_are_not_errors(proxied, release_dir):
    """The server stored the file but the client never heard: the retry gets 412, and the
    checksum shows it was our own write, so publish carries on instead of failing."""
    proxy, bucket, _ = proxied
    d = release_dir("v1.2.3", extra=FILES)
    proxy.inject("lose", 5, is_upload)  # every upload's first answer is lost
    result = publish(bucket, "pipeline", "v1.2.3", d)
    assert result.uploaded[-1] == "release.yaml"
    assert proxy.count("lose") == 5
    assert sum(1 for m, p, s in proxy.answered if is_upload(m, p) and s == 412) == 5
    assert len(successful_uploads(proxy)) == 5  # stored once each, never twice
    assert_published(bucket, "pipeline", "v1.2.3", d)


def test_an_outage_mid_publish_leaves_no_release_and_a_rerun_finishes(proxied, release_dir):
    proxy, bucket, _ = proxied
    d = release_dir("v1.2.3", extra=FILES)
    proxy.fail_from(2, "503", is_upload)  # two uploads get through, then the bucket is down
    with pytest.raises(StorageError, match="gave up after"):
        publish(bucket, "pipeline", "v1.2.3", d)
    assert not release_exists(bucket, "pipeline", "v1.2.3")  # not half-published
    assert len(bucket.list("pipeline/previous/v1.2.3/")) == 2
    assert bucket.list("pipeline/latest/") == []
    proxy.heal()
    result = publish(bucket, "pipeline", "v1.2.3", d)
    assert len(result.skipped) == 2 and len(result.uploaded) == 3
    assert result.uploaded[-1] == "release.yaml"
    assert_published(bucket, "pipeline", "v1.2.3", d)
    assert len(successful_uploads(proxy)) == 5


def test_a_rerun_with_different_files_after_an_interruption_is_refused(proxied, release_dir):
    proxy, bucket, _ = proxied
    proxy.fail_from(2, "503", is_upload)
    with pytest.raises(StorageError):
        publish(bucket, "pipeline", "v1.2.3", release_dir("v1.2.3", extra=FILES))
    proxy.heal()
    before = {b.name: b.generation for b in bucket.list("")}
    with pytest.raises(CheckFailed, match="other content than DIR"):
        publish(bucket, "pipeline", "v1.2.3",
                release_dir("v1.2.3", extra={**FILES, "extra/a.yaml": "a: 2\n"}, salt="rebuilt"))
    assert {b.name: b.generation for b in bucket.list("")} == before


def test_an_outage_while_mirroring_latest_is_finished_by_a_rerun(proxied, release_dir):
    proxy, bucket, _ = proxied
    publish(bucket, "pipeline", "v1.2.0", release_dir("v1.2.0", extra={"old.yaml": "x: 1\n"}))
    d = release_dir("v1.3.0", extra=FILES)
    proxy.fail_from(1, "503", lambda m, p: "copyTo" in p or "rewriteTo" in p)
    with pytest.raises(StorageError):
        publish(bucket, "pipeline", "v1.3.0", d)
    assert release_exists(bucket, "pipeline", "v1.3.0")
    proxy.heal()
    result = publish(bucket, "pipeline", "v1.3.0", d)
    assert result.already_published and result.uploaded == []
    assert result.latest_moved and result.latest_deleted == ["old.yaml"]
    assert_published(bucket, "pipeline", "v1.3.0", d)


def test_retries_give_up_with_one_line(proxied, release_dir):
    proxy, bucket, _ = proxied
    proxy.fail_from(0, "503")
    with pytest.raises(StorageError) as err:
        publish(bucket, "pipeline", "v1.2.3", release_dir("v1.2.3"))
    assert "gave up after 6 attempts" in str(err.value) and "\n" not in str(err.value)


def test_permission_denied_is_not_retried(proxied, release_dir):
    proxy, bucket, _ = proxied
    objects = lambda method, path: "/o" in path.split("?")[0]  # noqa: E731
    proxy.inject("403", 1, objects)
    with pytest.raises(StorageError, match="permission denied"):
        publish(bucket, "pipeline", "v1.2.3", release_dir("v1.2.3"))
    # (the client also reads the bucket's metadata in a background thread; not ours to count)
    assert proxy.count("403") == 1 and sum(1 for m, p, _ in proxy.log if objects(m, p)) == 1


ACTIONS = st.sampled_from(["ok", "ok", "503", "429", "drop", "lose"])


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(ACTIONS, min_size=1, max_size=14))
def test_any_fault_sequence_publishes_exactly_once(proxied, release_dir, plan):
    """Whatever the order of 503s, 429s, dropped connections and lost answers (each request
    fails at most a few times in a row), the release ends up complete and written once."""
    proxy, _, url = proxied
    bucket = open_bucket(url, retry=RetryPolicy(initial=0.001, maximum=0.01, attempts=20, deadline=10))
    project = f"p{len(proxy.log)}"  # a fresh project per example, same bucket
    proxy.heal()
    for action in plan:
        proxy.inject(action, 1)
    start = len(successful_uploads(proxy))
    d = release_dir("v1.2.3", extra=FILES)
    publish(bucket, project, "v1.2.3", d)
    assert_published(bucket, project, "v1.2.3", d)
    assert len(successful_uploads(proxy)) - start == 5


def test_a_killed_publish_is_finished_by_a_rerun(fault_proxy, gcs_bucket_url, release_dir, scratch_repo, fast_retry):
    """A real interruption: `release publish` in its own process, SIGKILLed while it retries
    through an outage after two uploads; the same command run again completes the release."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from click.testing import CliRunner

    from plumbing.cli.main import release

    proxy = fault_proxy
    d = release_dir("v1.2.3", extra=FILES)
    args = ["publish", "pipeline", "v1.2.3", "--from", str(d), "--bucket", gcs_bucket_url, "--root", str(scratch_repo)]
    proxy.fail_from(2, "503", is_upload)
    proc = subprocess.Popen([sys.executable, "-c", "from plumbing.cli.main import release; release()", *args],
                            env={**os.environ, "STORAGE_EMULATOR_HOST": proxy.url},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while proxy.count("503") < 1 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proxy.count("503") >= 1, proc.communicate()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    bucket = open_bucket(gcs_bucket_url, retry=fast_retry)
    assert not release_exists(bucket, "pipeline", "v1.2.3")
    assert len(bucket.list("pipeline/")) == 2
    proxy.heal()
    rerun = CliRunner().invoke(release, args)
    assert rerun.exit_code == 0, rerun.output
    assert "3 uploaded, 2 already there" in rerun.stdout
    assert_published(bucket, "pipeline", "v1.2.3", d)
    assert len(successful_uploads(proxy)) == 5
