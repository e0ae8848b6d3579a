"""Publish tests: fake-gcs-server fixtures, a bucket per backend, and release folders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plumbing.storage import RetryPolicy, open_bucket  # noqa: E402

FAST = dict(initial=0.01, maximum=0.05, attempts=6, deadline=10)

RELEASE_YAML = """\
apiVersion: v1
kind: Namespace
metadata:
  name: tekton-pipelines
  labels:
    app.kubernetes.io/instance: default
    pipeline.tekton.dev/release: "{version}"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: tekton-pipelines-controller
  labels:
    app.kubernetes.io/version: "{version}"
    pipeline.tekton.dev/release: "{version}"
    version: "{version}"
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: controller
  template:
    metadata:
      labels:
        app.kubernetes.io/version: "{version}"
        pipeline.tekton.dev/release: "{version}"
    spec:
      containers:
      - name: controller
        image: ghcr.io/tektoncd/pipeline/controller:{version}@sha256:{digest}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: pipelines-info
data:
  version: "{version}"
"""


def release_yaml(version: str, labels: str | None = None, salt: str = "") -> str:
    text = RELEASE_YAML.format(version=labels or version, digest="a" * 64)
    return text + (f"# {salt}\n" if salt else "")


def make_release(tmp_path: Path, version: str, *, labels: str | None = None, salt: str = "",
                 extra: dict[str, str] | None = None, marker: bool = True) -> Path:
    """A folder like the release pipeline's output: release.yaml, release.notags.yaml, extras."""
    d = tmp_path / f"dist-{version}-{salt or 'x'}"
    d.mkdir(parents=True, exist_ok=True)
    text = release_yaml(version, labels, salt)
    if marker:
        (d / "release.yaml").write_text(text)
    (d / "release.notags.yaml").write_text(text.replace(f":{labels or version}@", "@"))
    for name, content in (extra or {}).items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(content)
    return d


@pytest.fixture
def root(scratch_repo, tmp_path):
    """A scratch plumbing repository whose buckets are local folders."""
    text = (scratch_repo / "plumbing.yaml").read_text()
    for kind in ("nightly", "release", "logs"):
        text = re.sub(rf"(\n  {kind}: )gs://\S+", rf"\1{(tmp_path / ('b-' + kind)).as_uri()}", text, count=1)
    (scratch_repo / "plumbing.yaml").write_text(text)
    return scratch_repo


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return RetryPolicy(**FAST)


@pytest.fixture(params=["gs", "file"])
def bucket(request, tmp_path, fast_retry):
    """The same test over a real GCS API (fake-gcs-server) and over a local folder."""
    if request.param == "gs":
        url = request.getfixturevalue("gcs_bucket_url")
    else:
        url = (tmp_path / "bucket").as_uri()
    return open_bucket(url, retry=fast_retry)


@pytest.fixture
def gcs_bucket(gcs_bucket_url, fast_retry):
    return open_bucket(gcs_bucket_url, retry=fast_retry)


@pytest.fixture
def release_dir(tmp_path):
    """make_release bound to this test's tmp_path: release_dir("v1.2.3", salt=..., ...)."""
    return lambda version, **kw: make_release(tmp_path, version, **kw)


@pytest.fixture
def release_text():
    return release_yaml
