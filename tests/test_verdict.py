"""tested.json: written through the bucket layout, never replaced by an older test run's verdict."""

from __future__ import annotations

import pytest

from plumbing import layout
from plumbing.storage import open_bucket
from plumbing.verdict import FAILED, PASSED, VerdictError, make_verdict, read_verdict, write_verdict


@pytest.fixture(params=["gs", "file"])
def bucket(request, tmp_path):
    url = request.getfixturevalue("gcs_bucket_url") if request.param == "gs" else (tmp_path / "b").as_uri()
    return open_bucket(url)


def verdict(result: str, started: str, run: str = "t"):
    return make_verdict(project="pipeline", version="v1.2.3", verdict=result, run=run, started=started,
                        steps=[{"name": "install", "result": "passed", "seconds": 3.0},
                               {"name": "smoke", "result": result, "seconds": 9.5}])


def test_a_newer_run_replaces_an_older_verdict_and_never_the_other_way(bucket):
    assert read_verdict(bucket, "pipeline", "v1.2.3") is None
    assert write_verdict(bucket, verdict(FAILED, "2026-11-24T03:00:00Z", "old"))
    assert write_verdict(bucket, verdict(PASSED, "2026-11-24T05:00:00Z", "new"))
    # the old run finishing late does not overwrite the newer verdict
    assert not write_verdict(bucket, verdict(FAILED, "2026-11-24T03:00:00Z", "old"))
    got = read_verdict(bucket, "pipeline", "v1.2.3")
    assert (got.verdict, got.run, got.passed) == (PASSED, "new", True)
    assert bucket.exists(layout.release_file("pipeline", "v1.2.3", layout.TESTED))


def test_failed_step_is_named_and_bad_values_are_refused():
    v = verdict(FAILED, "2026-11-24T03:00:00+00:00")
    assert v.failed_step == "smoke" and v.started == "2026-11-24T03:00:00Z"
    with pytest.raises(VerdictError, match="not one of"):
        verdict("maybe", "2026-11-24T03:00:00Z")
    with pytest.raises(VerdictError):
        make_verdict(project="p", version="1.2.3", verdict=PASSED, run="r", started="2026-11-24T03:00:00Z")
