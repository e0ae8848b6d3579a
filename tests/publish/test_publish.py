"""release publish over a real GCS API (fake-gcs-server) and a local folder."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from plumbing.findings import CheckFailed
from plumbing.layout import release_exists, released_versions
from plumbing.org import Buckets
from plumbing.release.publish import (
    bucket_for,
    decide_latest,
    mirror_latest,
    publish,
)
from plumbing.storage import md5_b64

NIGHTLY_1 = "v20260101-aaaaaaaaaa"
NIGHTLY_2 = "v20260102-0000000000"
NIGHTLY_2B = "v20260102-ffffffffff"


def tree(bucket, prefix):
    return {b.name[len(prefix):]: bucket.read(b.name) for b in bucket.list(prefix)}


def test_publish_uploads_every_file_with_content_types_and_checksums(bucket, release_dir):
    d = release_dir("v1.2.3", extra={"extra/interceptors.yaml": "kind: List\n", "logs.txt": "ok\n"})
    result = publish(bucket, "pipeline", "v1.2.3", d)
    folder = "pipeline/previous/v1.2.3/"
    assert result.uploaded == ["extra/interceptors.yaml", "logs.txt", "release.notags.yaml", "release.yaml"]
    assert result.uploaded[-1] == "release.yaml"  # the marker goes last
    blobs = {b.name[len(folder):]: b for b in bucket.list(folder)}
    assert set(blobs) == set(result.uploaded)
    for name, blob in blobs.items():
        assert blob.md5 == md5_b64((d / name).read_bytes())
    assert blobs["release.yaml"].content_type.startswith("text/yaml")
    assert blobs["logs.txt"].content_type.startswith("text/plain")
    assert release_exists(bucket, "pipeline", "v1.2.3")
    assert result.latest_moved and tree(bucket, "pipeline/latest/") == tree(bucket, folder)
    assert list(result.urls)[0] == "release.yaml"


def test_public_urls_name_bucket_project_and_version(gcs_bucket, release_dir):
    result = publish(gcs_bucket, "pipeline", "v1.2.3", release_dir("v1.2.3"),
                     public_base="https://storage.googleapis.com")
    assert result.urls["release.yaml"] == (
        f"https://storage.googleapis.com/{gcs_bucket.name}/pipeline/previous/v1.2.3/release.yaml")


def test_refuses_to_overwrite_a_published_release(bucket, release_dir):
    publish(bucket, "pipeline", "v1.2.3", release_dir("v1.2.3"))
    before = {b.name: (b.md5, b.generation) for b in bucket.list("")}
    with pytest.raises(CheckFailed, match="already holds a release"):
        publish(bucket, "pipeline", "v1.2.3", release_dir("v1.2.3", salt="rebuilt"))
    assert {b.name: (b.md5, b.generation) for b in bucket.list("")} == before


def test_republishing_identical_files_changes_nothing(bucket, release_dir):
    d = release_dir("v1.2.3")
    publish(bucket, "pipeline", "v1.2.3", d)
    before = {b.name: (b.md5, b.generation) for b in bucket.list("")}
    result = publish(bucket, "pipeline", "v1.2.3", d)
    assert result.already_published and result.uploaded == [] and result.latest_copied == []
    assert {b.name: (b.md5, b.generation) for b in bucket.list("")} == before


def test_backport_leaves_latest_alone(bucket, release_dir):
    publish(bucket, "pipeline", "v1.3.0", release_dir("v1.3.0"))
    latest_before = tree(bucket, "pipeline/latest/")
    result = publish(bucket, "pipeline", "v1.2.9", release_dir("v1.2.9"))
    assert not result.latest_moved and "backport" in result.latest_reason
    assert tree(bucket, "pipeline/latest/") == latest_before
    assert b"v1.3.0" in latest_before["release.yaml"]
    assert release_exists(bucket, "pipeline", "v1.2.9")


def test_semver_not_string_order_decides_latest(bucket, release_dir):
    publish(bucket, "pipeline", "v1.9.0", release_dir("v1.9.0"))
    result = publish(bucket, "pipeline", "v1.10.0", release_dir("v1.10.0"))
    assert result.latest_moved
    assert b"v1.10.0" in bucket.read("pipeline/latest/release.yaml")


def test_latest_mirror_deletes_extra_files(bucket, release_dir):
    publish(bucket, "pipeline", "v1.2.0", release_dir("v1.2.0", extra={"old-only.yaml": "a: 1\n"}))
    assert bucket.exists("pipeline/latest/old-only.yaml")
    result = publish(bucket, "pipeline", "v1.3.0", release_dir("v1.3.0", extra={"new.yaml": "b: 2\n"}))
    assert result.latest_deleted == ["old-only.yaml"]
    assert tree(bucket, "pipeline/latest/") == tree(bucket, "pipeline/previous/v1.3.0/")


def test_latest_never_leaves_latest_alone(bucket, release_dir):
    publish(bucket, "pipeline", "v1.2.0", release_dir("v1.2.0"))
    result = publish(bucket, "pipeline", "v1.3.0", release_dir("v1.3.0"), latest="never")
    assert not result.latest_moved
    assert b"v1.2.0" in bucket.read("pipeline/latest/release.yaml")


def test_nightly_ordering_by_date_then_commit(bucket, release_dir):
    publish(bucket, "pipeline", NIGHTLY_2, release_dir(NIGHTLY_2))
    older = publish(bucket, "pipeline", NIGHTLY_1, release_dir(NIGHTLY_1))
    assert not older.latest_moved
    same_day_later_commit = publish(bucket, "pipeline", NIGHTLY_2B, release_dir(NIGHTLY_2B))
    assert same_day_later_commit.latest_moved
    assert NIGHTLY_2B.encode() in bucket.read("pipeline/latest/release.yaml")
    assert set(released_versions(bucket, "pipeline")) == {NIGHTLY_1, NIGHTLY_2, NIGHTLY_2B}


def test_decide_latest_ignores_interrupted_publishes_and_other_projects(bucket, release_dir):
    publish(bucket, "pipeline", "v1.2.0", release_dir("v1.2.0"))
    bucket.write("pipeline/previous/v9.0.0/release.notags.yaml", b"half\n")  # no release.yaml
    bucket.write("triggers/previous/v5.0.0/release.yaml", b"other project\n")
    bucket.write("pipeline/previous/not-a-version/release.yaml", b"junk\n")
    assert decide_latest(bucket, "pipeline", "v1.3.0") == (True, "v1.3.0 is higher than v1.2.0")
    moves, reason = decide_latest(bucket, "pipeline", "v1.1.0")
    assert not moves and "backport" in reason


def test_first_release_becomes_latest(bucket):
    moves, reason = decide_latest(bucket, "pipeline", "v0.1.0")
    assert moves and "no earlier" in reason


def test_mirror_latest_is_idempotent(bucket, release_dir):
    publish(bucket, "pipeline", "v1.2.0", release_dir("v1.2.0"))
    assert mirror_latest(bucket, "pipeline", "v1.2.0") == ([], [])


# --- the Tekton team's mistakes ------------------------------------------------------------

def test_tekton_mistake_devel_labels_left_in_release_yaml_uploads_nothing(bucket, release_dir):
    d = release_dir("v1.2.3", labels="devel")
    with pytest.raises(CheckFailed, match="devel.*wrong resource version.*nothing uploaded"):
        publish(bucket, "pipeline", "v1.2.3", d)
    assert bucket.list("") == []


def test_tekton_mistake_release_yaml_names_another_version_uploads_nothing(bucket, release_dir):
    d = release_dir("v1.2.3", labels="v1.2.2")
    with pytest.raises(CheckFailed, match="'v1.2.2', not v1.2.3"):
        publish(bucket, "pipeline", "v1.2.3", d)
    assert bucket.list("") == []


def test_tekton_mistake_no_release_yaml_uploads_nothing(bucket, release_dir):
    d = release_dir("v1.2.3", marker=False)
    with pytest.raises(CheckFailed, match="no release.yaml"):
        publish(bucket, "pipeline", "v1.2.3", d)
    assert bucket.list("") == []


ORG = SimpleNamespace(buckets=Buckets(nightly="gs://tekton-releases-nightly", release="gs://tekton-releases",
                                     logs="gs://tekton-release-logs"))


def test_tekton_mistake_nightly_into_the_release_bucket_is_refused():
    with pytest.raises(CheckFailed, match="nightly tag.*into the release bucket"):
        bucket_for(ORG, NIGHTLY_1, "gs://tekton-releases")
    with pytest.raises(CheckFailed, match="into the release bucket"):
        bucket_for(ORG, NIGHTLY_1, "gs://tekton-releases/some/prefix")


def test_tekton_mistake_release_into_the_nightly_bucket_is_refused():
    with pytest.raises(CheckFailed, match="a release.*into the nightly bucket"):
        bucket_for(ORG, "v1.2.3", "gs://tekton-releases-nightly/")


def test_default_bucket_follows_the_version_kind():
    assert bucket_for(ORG, NIGHTLY_1) == "gs://tekton-releases-nightly"
    assert bucket_for(ORG, "v1.2.3") == "gs://tekton-releases"
    assert bucket_for(ORG, "v1.2.3", "file:///tmp/x") == "file:///tmp/x"


def test_a_file_that_appears_mid_publish_identical_is_skipped_different_is_refused(bucket, release_dir):
    """Another publisher wrote the same file between our listing and our create."""
    from plumbing.release import publish as mod

    d = release_dir("v1.2.3")
    files = mod.read_dir(d)
    folder = "pipeline/previous/v1.2.3/"
    bucket.write(folder + "release.notags.yaml", files[0].data)
    assert mod._create(bucket, folder, files[0]) is False
    bucket.write(folder + "release.yaml", b"someone else's\n")
    with pytest.raises(CheckFailed, match="different content"):
        mod._create(bucket, folder, files[1])


def test_version_labels_agree_with_devel_rewriting(release_text):
    """Every devel label rewrite-devel would rewrite, publish refuses; and nothing else."""
    from plumbing.release.devel import remaining_devel
    from plumbing.release.publish import version_label_problems

    text = release_text("v1.2.3", labels="devel")
    devel = [p for p in version_label_problems(text, "v1.2.3") if "still says devel" in p]
    assert len(devel) == len(remaining_devel(text)) == 7
    assert version_label_problems(release_text("v1.2.3"), "v1.2.3") == []
    unrelated = "kind: CustomResourceDefinition\nspec:\n  versions:\n  - name: v1\n  version: v1beta1\n"
    assert version_label_problems(unrelated, "v1.2.3") == []
    assert version_label_problems("a: [\n", "v1.2.3")[0].startswith("release.yaml: does not parse")


SEMVERS = ["v0.9.0", "v1.0.0-rc.1", "v1.0.0", "v1.0.1", "v1.2.0", "v1.10.0", "v2.0.0-alpha.1"]
NIGHTLIES = ["v20251231-ffffffffff", "v20260101-0000000000", "v20260101-aaaaaaaaaa", "v20260102-0123456789"]


def _order(tags):
    """Tags sorted by versions.py's order (the oracle for the latest rule)."""
    from functools import cmp_to_key

    from plumbing.versions import parse

    return sorted(tags, key=cmp_to_key(lambda a, b: -1 if parse(a) < parse(b) else (1 if parse(b) < parse(a) else 0)))


def test_order_helper_matches_versions():
    assert _order(["v1.10.0", "v1.2.0", "v1.0.0", "v1.0.0-rc.1"]) == ["v1.0.0-rc.1", "v1.0.0", "v1.2.0", "v1.10.0"]


import itertools  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PROJECTS = itertools.count()


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_latest_always_mirrors_the_highest_published_version(gcs_bucket, release_dir, data):
    """Publish versions in any order (backports included): latest/ always mirrors the highest."""
    pool = data.draw(st.sampled_from([SEMVERS, NIGHTLIES]))
    order = data.draw(st.permutations(pool))[: data.draw(st.integers(1, len(pool)))]
    project = f"p{next(_PROJECTS)}"  # a fresh project per example, same bucket
    published = []
    for version in order:
        result = publish(gcs_bucket, project, version, release_dir(version))
        published.append(version)
        highest = _order(published)[-1]
        assert result.latest_moved == (version == highest)
        latest = tree(gcs_bucket, f"{project}/latest/")
        assert latest == tree(gcs_bucket, f"{project}/previous/{highest}/")


def test_adding_a_file_to_a_published_release_is_refused(bucket, release_dir):
    publish(bucket, "pipeline", "v1.2.3", release_dir("v1.2.3"))
    with pytest.raises(CheckFailed, match="DIR has logs.txt, which the release lacks"):
        publish(bucket, "pipeline", "v1.2.3", release_dir("v1.2.3", extra={"logs.txt": "late\n"}))
    assert not bucket.exists("pipeline/previous/v1.2.3/logs.txt")
