"""The bucket layout: one place for release folder paths, URLs and what latest/ mirrors."""

from __future__ import annotations

import pytest

from plumbing import layout
from plumbing.storage import open_bucket


def test_paths_and_urls():
    assert layout.release_file("pipeline", "v1.2.3", layout.LOGS) == "pipeline/previous/v1.2.3/logs.txt"
    assert layout.latest_file("pipeline", layout.RELEASE_YAML) == "pipeline/latest/release.yaml"
    assert (layout.public_url("gs://tekton-releases", "pipeline/latest/release.yaml", "https://storage.example/")
            == "https://storage.example/tekton-releases/pipeline/latest/release.yaml")
    assert layout.public_url("gs://b/pre/fix", "x y.txt") == "https://storage.googleapis.com/b/pre/fix/x%20y.txt"
    assert layout.public_url("file:///tmp/b", "p/latest/a") == "file:///tmp/b/p/latest/a"


@pytest.mark.parametrize(("url", "pinned"), [
    ("https://infra.tekton.dev/tekton-releases/pipeline/previous/v1.0.0/release.yaml", True),
    ("https://infra.tekton.dev/tekton-releases/dashboard/previous/v0.56.0/release-full.yaml", True),
    ("https://infra.tekton.dev/tekton-releases/pipeline/latest/release.yaml", False),
    ("https://infra.tekton.dev/tekton-releases/pipeline/previous/latest/release.yaml", False),
    ("https://example.com/release.yaml", False),
])
def test_pinned_release_urls(url, pinned):
    assert layout.is_pinned_release_url(url) is pinned


def test_released_versions_order_and_what_latest_mirrors(tmp_path):
    bucket = open_bucket((tmp_path / "b").as_uri())
    for version in ("v1.2.0", "v1.10.0", "v1.10.0-rc.1"):
        bucket.write(layout.release_file("p", version, layout.RELEASE_YAML), version.encode())
    bucket.write(layout.release_file("p", "v1.11.0", layout.NOTAGS_YAML), b"interrupted")  # no release.yaml
    found = layout.released_versions(bucket, "p", "full")
    assert layout.newest_first(found) == ["v1.10.0", "v1.10.0-rc.1", "v1.2.0"]
    grouped = layout.group_by_version(bucket.list(layout.previous_prefix("p")), "p")
    assert layout.latest_holds(bucket, "p", grouped) is None
    bucket.copy(layout.release_file("p", "v1.10.0", layout.RELEASE_YAML), layout.latest_file("p", layout.RELEASE_YAML))
    assert layout.latest_holds(bucket, "p", grouped) == "v1.10.0"
    # a file from another release in latest/ makes it a mix: no release is mirrored
    bucket.copy(layout.release_file("p", "v1.11.0", layout.NOTAGS_YAML), layout.latest_file("p", layout.NOTAGS_YAML))
    assert layout.latest_holds(bucket, "p", grouped) == "?"
