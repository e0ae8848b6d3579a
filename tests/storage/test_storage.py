"""The bucket interface, the same tests over gs:// (fake-gcs-server) and file://."""

from __future__ import annotations

import os

import pytest
from gcs_server import is_upload

from plumbing.storage import (
    AlreadyExists,
    FileBucket,
    GCSBucket,
    NotFound,
    PreconditionFailed,
    StorageError,
    md5_b64,
    open_bucket,
)


@pytest.fixture
def bucket(bucket_url, fast_retry):
    return open_bucket(bucket_url, retry=fast_retry)


def test_write_read_list_exists_delete(bucket):
    blob = bucket.write("p/previous/v1/release.yaml", b"kind: List\n")
    assert blob.md5 == md5_b64(b"kind: List\n") and blob.size == 11
    assert blob.content_type.startswith("text/yaml")
    bucket.write("p/previous/v1/logs.txt", b"log\n")
    bucket.write("q/other.json", b"{}", content_type="application/json")
    names = [b.name for b in bucket.list("p/")]
    assert names == ["p/previous/v1/logs.txt", "p/previous/v1/release.yaml"]
    assert bucket.read("p/previous/v1/release.yaml") == b"kind: List\n"
    assert bucket.exists("q/other.json") and not bucket.exists("q/none.json")
    listed = {b.name: b for b in bucket.list("")}
    assert listed["q/other.json"].content_type == "application/json"
    assert all(b.updated is not None and b.generation for b in listed.values())
    bucket.delete("q/other.json")
    bucket.delete("q/other.json")  # deletes are idempotent
    assert not bucket.exists("q/other.json")


def test_if_absent_never_overwrites(bucket):
    bucket.write("a/release.yaml", b"first\n")
    with pytest.raises(AlreadyExists, match="already exists.*not overwritten") as err:
        bucket.write("a/release.yaml", b"second\n")
    assert err.value.same_content is False and err.value.exit_code == 1
    with pytest.raises(AlreadyExists) as err:
        bucket.write("a/release.yaml", b"first\n")
    assert err.value.same_content is True
    assert bucket.read("a/release.yaml") == b"first\n"


def test_overwrite_when_asked(bucket):
    bucket.write("a/x.yaml", b"1")
    bucket.write("a/x.yaml", b"2", if_absent=False)
    assert bucket.read("a/x.yaml") == b"2"


def test_compare_and_swap_replaces_only_the_generation_it_read(bucket):
    first = bucket.write("m/marker.json", b"v1")
    second = bucket.write("m/marker.json", b"v2", if_generation=first.generation)
    assert bucket.read("m/marker.json") == b"v2" and second.generation != first.generation
    # a writer still holding the first generation loses, and changes nothing
    with pytest.raises(PreconditionFailed, match="changed since it was read") as err:
        bucket.write("m/marker.json", b"stale", if_generation=first.generation)
    assert err.value.exit_code == 1 and bucket.read("m/marker.json") == b"v2"
    assert bucket.stat("m/marker.json").generation == second.generation


def test_copy_overwrites_and_keeps_content(bucket):
    bucket.write("src/release.yaml", b"new\n")
    bucket.write("latest/release.yaml", b"old\n")
    bucket.copy("src/release.yaml", "latest/release.yaml")
    assert bucket.read("latest/release.yaml") == b"new\n"
    assert {b.name: b.md5 for b in bucket.list("latest/")} == {"latest/release.yaml": md5_b64(b"new\n")}


def test_read_missing_is_not_found(bucket):
    with pytest.raises(NotFound):
        bucket.read("nope")


def test_prefix_in_the_url_scopes_names(bucket_url, fast_retry):
    scoped = open_bucket(bucket_url.rstrip("/") + "/team/a", retry=fast_retry)
    whole = open_bucket(bucket_url, retry=fast_retry)
    scoped.write("x/release.yaml", b"1")
    assert [b.name for b in scoped.list("x/")] == ["x/release.yaml"]
    assert whole.exists("team/a/x/release.yaml")
    assert scoped.url == bucket_url.rstrip("/") + "/team/a"


def test_public_url():
    gs = open_bucket("gs://tekton-releases/extra")
    assert gs.public_url("pipeline/previous/v1.2.3/release.yaml", "https://storage.googleapis.com/") == \
        "https://storage.googleapis.com/tekton-releases/extra/pipeline/previous/v1.2.3/release.yaml"
    assert isinstance(gs, GCSBucket) and gs.url == "gs://tekton-releases/extra"
    local = open_bucket("file:///tmp/b")
    assert isinstance(local, FileBucket) and local.public_url("x", "https://e") == "file:///tmp/b/x"


@pytest.mark.parametrize("url", ["s3://b", "gs://", "file://relative/path", "", "/abs/path"])
def test_bad_urls_are_one_line_errors(url):
    with pytest.raises(StorageError) as err:
        open_bucket(url)
    assert err.value.exit_code == 2


def test_file_backend_leaves_no_temporary_files_and_refuses_dot_dot(tmp_path):
    bucket = open_bucket((tmp_path / "b").as_uri())
    bucket.write("a/x.yaml", b"1")
    with pytest.raises(AlreadyExists):
        bucket.write("a/x.yaml", b"2")
    assert sorted(os.listdir(tmp_path / "b" / "a")) == ["x.yaml"]
    with pytest.raises(StorageError, match="not a valid object name"):
        bucket.write("../escape", b"x")


# --- retries against a real GCS API, through a fault-injecting proxy --------------------------

@pytest.fixture
def proxied(fault_proxy, gcs_bucket_url, fast_retry):
    return fault_proxy, open_bucket(gcs_bucket_url, retry=fast_retry)


@pytest.mark.parametrize("action", ["503", "429", "500", "502", "504", "408", "drop"])
def test_every_operation_is_retried(proxied, action):
    proxy, bucket = proxied
    proxy.inject(action, 2)
    bucket.write("a/x.yaml", b"1")
    for call in (lambda: bucket.read("a/x.yaml"), lambda: bucket.list("a/"),
                 lambda: bucket.exists("a/x.yaml"), lambda: bucket.copy("a/x.yaml", "b/x.yaml"),
                 lambda: bucket.delete("b/x.yaml")):
        proxy.inject(action, 2, lambda m, p: "/o" in p.split("?")[0])
        call()
    assert proxy.count(action) >= 12
    assert [b.name for b in bucket.list("")] == ["a/x.yaml"]


def test_a_conditional_create_whose_answer_was_lost_succeeds(proxied):
    proxy, bucket = proxied
    proxy.inject("lose", 1, is_upload)
    blob = bucket.write("a/release.yaml", b"data\n")
    assert blob.md5 == md5_b64(b"data\n")
    assert [s for m, p, s in proxy.answered if is_upload(m, p)] == [200, 412]


def test_a_lost_answer_then_someone_elses_object_is_already_exists(proxied, gcs_bucket_url, gcs_server):
    """412 on a retry with other content: someone else's object, not ours; refuse."""
    proxy, bucket = proxied
    other = open_bucket(gcs_bucket_url)
    os.environ["STORAGE_EMULATOR_HOST"] = gcs_server.url  # the other writer goes direct
    try:
        other.write("a/release.yaml", b"theirs\n")
    finally:
        os.environ["STORAGE_EMULATOR_HOST"] = proxy.url
    proxy.inject("drop", 1, is_upload)  # our first attempt never arrives; the retry sees theirs
    with pytest.raises(AlreadyExists) as err:
        bucket.write("a/release.yaml", b"ours\n")
    assert err.value.same_content is False
    assert other.read("a/release.yaml") == b"theirs\n"


def test_not_found_and_permission_errors_are_not_retried(proxied):
    proxy, bucket = proxied
    objects = lambda m, p: "/o" in p.split("?")[0]  # noqa: E731
    with pytest.raises(NotFound):
        bucket.read("missing")
    proxy.inject("403", 1, objects)
    with pytest.raises(StorageError, match="permission denied"):
        bucket.list("")
    proxy.inject("401", 1, objects)
    with pytest.raises(StorageError, match="check gs://") as err:  # anonymous: nothing to refresh
        bucket.exists("x")
    assert "\n" not in str(err.value)
    assert proxy.count("403") == 1 and proxy.count("401") == 1


def test_backoff_grows_and_gives_up(proxied):
    proxy, bucket = proxied
    slept = []
    bucket.retry.sleep = slept.append
    bucket.retry.attempts = 5
    proxy.fail_from(0, "503", lambda m, p: "/o" in p.split("?")[0])
    with pytest.raises(StorageError, match="gave up after 5 attempts"):
        bucket.read("x")
    assert len(slept) == 4
    assert all(0 <= d <= bucket.retry.maximum for d in slept)


def test_large_files_are_never_overwritten_either(bucket):
    """Above 8 MiB the client switches to resumable uploads (fake-gcs-server ignores their
    precondition, real GCS does not); the refusal must hold there too."""
    big = os.urandom(9 * 1024 * 1024)
    assert bucket.write("big/ko.tar", big).size == len(big)
    with pytest.raises(AlreadyExists) as err:
        bucket.write("big/ko.tar", big + b"!")
    assert err.value.same_content is False
    assert bucket.read("big/ko.tar") == big


def test_a_large_create_whose_answer_was_lost_succeeds(proxied):
    proxy, bucket = proxied
    big = os.urandom(9 * 1024 * 1024)
    proxy.inject("lose", 1, lambda m, p: m == "PUT" and p.startswith("/upload/"))  # the data PUT
    assert bucket.write("big/ko.tar", big).md5 == md5_b64(big)
    assert proxy.count("lose") == 1
    assert bucket.read("big/ko.tar") == big
