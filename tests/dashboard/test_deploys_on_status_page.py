"""The status page shows the deployed commit per stack, its age, and a failed deploy."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from plumbing.config import load_repo
from plumbing.dashboard import build
from plumbing.deploy import records as rec
from plumbing.storage import open_bucket

from .conftest import ROOT

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def test_deployed_commit_age_and_failed_deploy(tmp_path, make_repo):
    www = tmp_path / "www"
    for key in ("nightly", "release", "logs"):
        (www / key).mkdir(parents=True)
    (tmp_path / "repo").mkdir()
    root = make_repo(tmp_path / "repo", www)
    for stack in ("dogfooding", "local"):
        shutil.copy(ROOT / f"Pulumi.{stack}.yaml", root / f"Pulumi.{stack}.yaml")
    logs = open_bucket(f"file://{www}/logs")
    rec.move_marker(logs, "dogfooding", commit="a" * 40, image="x@sha256:1", now=NOW - timedelta(hours=5), seen=None)
    rec.write_record(logs, rec.Record(stack="dogfooding", commit="b" * 40, image="x@sha256:2", run="r",
                                      started="2026-11-24T05:00:00Z", previous="a" * 40, result=rec.ROLLED_BACK,
                                      failure="verify: cronjob/ci/x (suspended)", rolled_back=True))
    build(load_repo(root), now=NOW, out_dir=tmp_path / "site")
    page = (tmp_path / "site" / "index.html").read_text()
    section = page[page.index("Deployments of the plumbing"):]
    assert "<th scope=\"row\">dogfooding</th>" in section and "aaaaaaaaaaaa" in section
    assert "verified 5 hours ago" in section
    assert "rolled-back" in section and "bbbbbbbbbbbb" in section and "cronjob/ci/x (suspended)" in section
    assert "<th scope=\"row\">local</th>" not in section   # never deployed: not shown
