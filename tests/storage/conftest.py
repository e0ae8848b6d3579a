"""Storage tests: the fake-gcs-server fixtures from tests/gcs_server.py, and a bucket per backend."""

from __future__ import annotations

import pytest

from plumbing.storage import RetryPolicy  # noqa: E402

# Fast backoff: the faults are injected, waiting for real would only slow the suite down.
FAST = dict(initial=0.01, maximum=0.05, attempts=6, deadline=10)


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return RetryPolicy(**FAST)


@pytest.fixture(params=["gs", "file"])
def bucket_url(request, tmp_path) -> str:
    """The same test over a real GCS API (fake-gcs-server) and over a local folder."""
    if request.param == "gs":
        return request.getfixturevalue("gcs_bucket_url")
    return (tmp_path / "bucket").as_uri()
