"""Issue 17, item 11: what publishing costs must not grow with the files in old releases.

`list_folders` lists version folders (prefix and delimiter) without the objects in them; publish
decides latest/ from it; the file:// backend lists without reading (checksums on demand).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from plumbing.release.publish import publish
from plumbing.storage import md5_b64, open_bucket


def test_list_folders_names_the_folders_not_their_files(bucket):
    for name in ("p/previous/v1.0.0/release.yaml", "p/previous/v1.0.0/sub/a.yaml", "p/previous/v1.1.0/x",
                 "p/previous/stray.txt", "p/latest/release.yaml", "q/previous/v9.0.0/release.yaml"):
        bucket.write(name, b"x")
    assert bucket.list_folders("p/previous/") == ["p/previous/v1.0.0/", "p/previous/v1.1.0/"]
    assert bucket.list_folders("p/") == ["p/latest/", "p/previous/"]
    assert bucket.list_folders("nothing/") == []
    bucket.delete("p/previous/v1.1.0/x")  # an emptied folder is gone, as on GCS
    assert bucket.list_folders("p/previous/") == ["p/previous/v1.0.0/"]


def _lists(proxy) -> list[dict]:
    return [parse_qs(urlsplit(path).query) for method, path, _ in proxy.log
            if method == "GET" and urlsplit(path).path.endswith("/o")]


def _publish_requests(proxy, bucket, release_dir, files_per_old_release: int) -> tuple[int, list[dict]]:
    extra = {f"extra/f{i}.yaml": f"n: {i}\n" for i in range(files_per_old_release)}
    salt = str(files_per_old_release)
    for minor in range(3):  # the last one is what latest/ holds: the same in both buckets
        v = f"v1.{minor}.0"
        publish(bucket, "p", v, release_dir(v, extra=extra if minor < 2 else {}, salt=salt))
    start = len(proxy.log)
    publish(bucket, "p", "v1.9.0", release_dir("v1.9.0", salt=salt))
    proxy.log[:] = proxy.log[start:]
    return len(proxy.log), _lists(proxy)


def test_publish_never_lists_the_project_history(fault_proxy, gcs_bucket_url, fast_retry, release_dir, gcs_server):
    bucket = open_bucket(gcs_bucket_url, retry=fast_retry)
    small, lists = _publish_requests(fault_proxy, bucket, release_dir, 1)
    assert not [q for q in lists if q.get("prefix") == ["p/previous/"] and "delimiter" not in q], lists
    assert any(q.get("prefix") == ["p/previous/"] and q.get("delimiter") == ["/"] for q in lists)
    # the same publish in a bucket whose older releases hold 40 files each costs the same
    gcs_server.create_bucket(gcs_bucket_url[len("gs://"):] + "-big")
    big_bucket = open_bucket(gcs_bucket_url + "-big", retry=fast_retry)
    big, _ = _publish_requests(fault_proxy, big_bucket, release_dir, 40)
    assert big == small


def test_file_backend_lists_without_reading_content(tmp_path):
    bucket = open_bucket((tmp_path / "b").as_uri())
    bucket.write("p/previous/v1.0.0/release.yaml", b"first")
    listed = bucket.list("p/previous/")
    (tmp_path / "b/p/previous/v1.0.0/release.yaml").write_bytes(b"second")  # after the listing
    assert listed[0].md5 == md5_b64(b"second")  # read when asked, not when listed
    assert listed[0].md5 == md5_b64(b"second") and listed[0].crc32c is not None
