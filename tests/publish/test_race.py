"""Issue 17, item 8: two publishes of different versions at once must never leave latest/ a mix.

With v1.2.0 in the bucket, v1.3.0 and, a moment later, v1.4.0 are published concurrently (each
with a file the other lacks), through a proxy that adds 30 ms to every request as a bucket seen
from a cluster does. Every trial must end with latest/ an exact copy of v1.4.0. Bounded: a few
trials, loopback only.
"""

from __future__ import annotations

import threading
import time

import pytest

from plumbing import layout
from plumbing.findings import CheckFailed
from plumbing.release import latest_lease
from plumbing.release.publish import publish
from plumbing.storage import open_bucket

TRIALS = 3
DELAYS = [0.1, 0.2, 0.3]  # v1.4.0 starts while v1.3.0 uploads (30 ms a request)
LOCAL_DELAYS = [0.0, 0.005, 0.01]
LATENCY = 0.03


def tree(bucket, prefix):
    return {b.name[len(prefix):]: b.md5 for b in bucket.list(prefix)}


def files(version: str) -> dict[str, str]:
    """Files both releases have, with their own content: a real release has several, so moving
    latest/ takes a dozen requests, and the two moves overlap."""
    return {f"extra/file-{i}.yaml": f"version: {version}\nfile: {i}\n" for i in range(8)}


def race(bucket, project, release_dir, delay):
    publish(bucket, project, "v1.2.0", release_dir("v1.2.0", salt=project, extra={"old.yaml": "o: 1\n"}))
    dirs = {version: release_dir(version, salt=project, extra={**files(version), f"zz-only-in-{version}.yaml": "a: 1\n"})
            for version in ("v1.3.0", "v1.4.0")}
    errors = []

    def go(version):
        try:
            publish(bucket, project, version, dirs[version])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    first = threading.Thread(target=go, args=("v1.3.0",))
    second = threading.Thread(target=go, args=("v1.4.0",))
    first.start()
    time.sleep(delay)
    second.start()
    first.join(120)
    second.join(120)
    assert not errors, errors  # both finish: the loser waits for the lease, then decides afresh
    latest = tree(bucket, layout.latest_folder(project))
    assert latest == tree(bucket, layout.release_folder(project, "v1.4.0")), latest
    assert "zz-only-in-v1.3.0.yaml" not in latest and "old.yaml" not in latest


def test_concurrent_publishes_through_a_slow_link_never_mix_latest(fault_proxy, gcs_bucket_url, fast_retry,
                                                                   release_dir):
    fault_proxy.latency = LATENCY
    bucket = open_bucket(gcs_bucket_url, retry=fast_retry)
    for trial in range(TRIALS):
        race(bucket, f"p{trial}", release_dir, delay=DELAYS[trial])


def test_concurrent_publishes_on_a_local_folder_never_mix_latest(tmp_path, fast_retry, release_dir):
    bucket = open_bucket((tmp_path / "bucket").as_uri(), retry=fast_retry)
    for trial in range(TRIALS):
        race(bucket, f"p{trial}", release_dir, delay=LOCAL_DELAYS[trial])


# --- the lease itself ---------------------------------------------------------------------------

@pytest.fixture(params=["gs", "file"])
def bucket(request, tmp_path, fast_retry):
    url = request.getfixturevalue("gcs_bucket_url") if request.param == "gs" else (tmp_path / "b").as_uri()
    return open_bucket(url, retry=fast_retry)


def test_a_held_lease_makes_the_next_publish_wait_then_stop_with_one_line(bucket):
    lease = latest_lease.take(bucket, "pipeline", "v1.4.0")
    with pytest.raises(CheckFailed, match=r"being moved by another publish \(v1\.4\.0.*re-run this publish"):
        latest_lease.take(bucket, "pipeline", "v1.3.0", wait=0.3)
    lease.give_back()
    latest_lease.take(bucket, "pipeline", "v1.3.0", wait=0.3).give_back()  # free again


def test_an_expired_lease_is_broken_and_its_holder_finds_out(bucket):
    stuck = latest_lease.take(bucket, "pipeline", "v1.4.0", ttl=0)  # a holder that died
    time.sleep(1.1)  # object times have one-second resolution on some backends
    fresh = latest_lease.take(bucket, "pipeline", "v1.3.0", wait=0.3)
    with pytest.raises(latest_lease.LeaseLost):
        stuck.check()
    with pytest.raises(latest_lease.LeaseLost):
        stuck.give_back()  # never frees the lease someone else now holds
    fresh.check()
    fresh.give_back()


def test_a_rerun_whose_latest_already_mirrors_writes_nothing(bucket, release_dir):
    d = release_dir("v1.2.0")
    publish(bucket, "pipeline", "v1.2.0", d)
    before = {b.name: b.generation for b in bucket.list("")}
    result = publish(bucket, "pipeline", "v1.2.0", d)
    assert result.already_published and result.latest_moved and not result.latest_copied
    assert {b.name: b.generation for b in bucket.list("")} == before
