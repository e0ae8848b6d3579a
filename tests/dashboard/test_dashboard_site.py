"""The dashboard's data and HTML, without a browser: periods, staleness, order, escaping, structure."""

from __future__ import annotations

import dataclasses
import html.parser
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from plumbing.ages import schedule_period
from plumbing.cli.main import plumbing as plumbing_cli
from plumbing.config import load_repo
from plumbing.dashboard import build
from plumbing.dashboard.collect import project_view
from plumbing.dashboard.site import build_site
from plumbing.storage import open_bucket

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("expr, period", [
    ("0 3 * * *", timedelta(days=1)),
    ("0 3 * * 1-5", timedelta(days=3)),   # the weekend gap: not stale every Monday
    ("30 */6 * * *", timedelta(hours=6)),
    ("0 3 * * 0", timedelta(days=7)),
])
def test_schedule_period_is_the_longest_gap_between_firings(expr, period):
    assert schedule_period(expr, NOW) == period


def put(bucket, name, data=b"x"):
    bucket.write(name, data, if_absent=False)


def outcome(project, version, status, finished, commit=None):
    from plumbing.outcome import make_outcome

    return make_outcome(project=project, version=version, status=status, run="r-" + version[-5:],
                        commit=commit, finished=finished).to_json()


def view(tmp_path, schedule="0 3 * * *", now=NOW):
    nightly = open_bucket(f"file://{tmp_path}/n")
    release = open_bucket(f"file://{tmp_path}/r")
    project = SimpleNamespace(name="p", description="P", repository="https://github.com/o/p", schedule=schedule)
    return project_view(project, nightly, f"file://{tmp_path}/n", release, f"file://{tmp_path}/r", now)


def test_fresh_stale_failed_and_missing_nightlies(tmp_path):
    n = open_bucket(f"file://{tmp_path}/n")
    assert view(tmp_path).marks == [("stale", "No nightly in the bucket yet")]
    put(n, "p/previous/v20261122-aaaaaaaaaa/outcome.json",
        outcome("p", "v20261122-aaaaaaaaaa", "Succeeded", "2026-11-22T05:59:00Z"))
    v = view(tmp_path)
    assert v.nightlies[0].stale and not v.healthy
    assert v.marks == [("stale", "Nightly stale: newest is 2 days old, schedule runs every 24 hours")]
    assert view(tmp_path, now=NOW - timedelta(minutes=2)).healthy  # just under two periods
    put(n, "p/previous/v20261124-bbbbbbbbbb/outcome.json",
        outcome("p", "v20261124-bbbbbbbbbb", "Failed", "2026-11-24T03:30:00Z"))
    v = view(tmp_path)
    assert [r.version for r in v.nightlies] == ["v20261124-bbbbbbbbbb", "v20261122-aaaaaaaaaa"]
    assert not v.nightlies[0].stale and v.nightlies[0].status == "failed"
    assert v.marks == [("failed", "Newest nightly v20261124-bbbbbbbbbb failed")]
    assert v.nightlies[0].missing == ["release.yaml", "release.notags.yaml", "logs.txt"]
    assert view(tmp_path, schedule=None).marks == [("off", "No nightly schedule")]


def test_full_releases_in_semver_order_with_notes(tmp_path):
    r = open_bucket(f"file://{tmp_path}/r")
    for version in ("v1.2.0", "v1.10.0", "v1.2.1", "v1.10.0-rc.1", "not-a-version"):
        put(r, f"p/previous/{version}/release.yaml")
    put(r, "p/previous/v1.2.1/outcome.json", b"{garbage")
    v = view(tmp_path, schedule=None)
    assert [x.version for x in v.fulls] == ["v1.10.0", "v1.10.0-rc.1", "v1.2.1", "v1.2.0", "not-a-version"]
    by = {x.version: x for x in v.fulls}
    assert by["v1.2.1"].note.startswith("outcome.json is unreadable")
    assert by["v1.2.1"].status == "published"
    assert by["not-a-version"].note == "not-a-version is not a release version"
    assert [link.label for link in by["v1.2.0"].files] == ["release.yaml"]


def test_html_is_escaped(tmp_path):
    v = view(tmp_path, schedule=None)
    v.description = "<script>alert(1)</script>"
    files = build_site([v], org="o<rg", now=NOW, bucket_urls=["file:///x"], public_url=None, site_dir=None)
    page = files["p/index.html"].decode()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "o&lt;rg releases" in page


class Structure(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_pages_are_accessible_plain_html(world):
    for page in [world.site / "index.html", *sorted(world.site.glob("*/index.html"))]:
        parser = Structure()
        parser.feed(page.read_text())
        tags = parser.tags
        names = [t for t, _ in tags]
        assert tags[0] == ("html", {"lang": "en"}), page
        assert "script" not in names and "h1" in names and "main" in names
        assert names.count("table") == names.count("caption"), page
        for tag, attrs in tags:
            if tag == "th":
                assert attrs.get("scope") in ("col", "row"), page
            if tag == "a":
                assert attrs.get("href"), page


def test_uploaded_and_local_sites_link_to_the_same_objects(world):
    local = (world.site / "pipeline" / "index.html").read_text()
    uploaded = (world.uploaded / "pipeline" / "index.html").read_text()
    assert 'href="../../nightly/pipeline/previous/v20261122-3333333333/release.yaml"' in local
    assert 'href="../../../nightly/pipeline/previous/v20261122-3333333333/release.yaml"' in uploaded


def test_gs_buckets_link_to_public_urls(tmp_path, make_repo):
    (tmp_path / "repo").mkdir()
    (tmp_path / "www").mkdir()
    root = make_repo(tmp_path / "repo", tmp_path / "www")
    repo = load_repo(root)
    org = dataclasses.replace(repo.org, buckets=dataclasses.replace(repo.org.buckets, nightly="gs://tekton-nightly"))
    repo = dataclasses.replace(repo, org=org)
    n = open_bucket(f"file://{tmp_path}/www/nightly")
    put(n, "pipeline/previous/v20261124-aaaaaaaaaa/release.yaml")
    buckets = {"gs://tekton-nightly": n}
    result = build(repo, now=NOW, out_dir=tmp_path / "site",
                   open_bucket=lambda url: buckets.get(url) or open_bucket(url))
    page = (tmp_path / "site" / "pipeline" / "index.html").read_text()
    assert ('href="https://storage.googleapis.com/tekton-nightly/pipeline/previous/'
            'v20261124-aaaaaaaaaa/release.yaml"') in page
    assert len(result["written"]) == 5


@pytest.mark.parametrize("args, message", [
    ([], "say where the site goes: --out DIR, --upload, or both"),
    (["--out", "x", "--now", "tuesday"], "--now: 'tuesday' is not an ISO 8601 time"),
])
def test_dashboard_mistakes_are_one_line_exit_2(args, message, tmp_path):
    r = CliRunner().invoke(plumbing_cli, ["dashboard", *args])
    assert r.exit_code == 2 and message in r.output and len(r.output.strip().splitlines()) == 1


def test_dashboard_command_reports_what_needs_attention(world):
    lines = world.output.splitlines()
    assert lines[0] == f"wrote 5 files to {world.site}"
    assert lines[1] == f"uploaded 5 files to file://{world.www}/logs/dashboard/"
    assert "chains: No nightly in the bucket yet" in lines
    assert "pipeline: Nightly stale: newest is 2 days 2 hours old, schedule runs every 24 hours" in lines
    assert "triggers: Newest release v0.30.0 failed" in lines
    assert lines[-1] == "3 projects, 3 need attention"


def test_latest_is_found_by_content_and_a_wrong_one_is_flagged(tmp_path):
    r = open_bucket(f"file://{tmp_path}/r")
    for version in ("v1.2.0", "v1.10.0"):
        put(r, f"p/previous/{version}/release.yaml", f"version: {version}\n".encode())
    put(r, "p/latest/release.yaml", b"version: v1.10.0\n")
    v = view(tmp_path, schedule=None)
    assert [x.latest for x in v.fulls] == [True, False] and v.healthy
    put(r, "p/latest/release.yaml", b"version: v1.2.0\n")
    v = view(tmp_path, schedule=None)
    assert [x.latest for x in v.fulls] == [False, True] and not v.healthy
    assert ("warn", "The full bucket's p/latest/ holds v1.2.0, not the highest release v1.10.0") in v.marks
    assert ("warn", "latest/ wrong") in v.summary
    put(r, "p/latest/release.yaml", b"something else\n")
    assert ("warn", "The full bucket's p/latest/ matches no release under previous/") in view(
        tmp_path, schedule=None).marks


def test_limit_keeps_the_newest_and_says_how_many_are_hidden(tmp_path):
    from plumbing.dashboard.collect import read_releases

    n = open_bucket(f"file://{tmp_path}/n")
    for day in ("20261120", "20261121", "20261122"):
        put(n, f"p/previous/v{day}-aaaaaaaaaa/release.yaml", day.encode())
    listing = read_releases(n, f"file://{tmp_path}/n", "p", "nightly", limit=2)
    assert [r.version for r in listing.releases] == ["v20261122-aaaaaaaaaa", "v20261121-aaaaaaaaaa"]
    assert listing.hidden == 1 and listing.highest == "v20261122-aaaaaaaaaa" and listing.latest is None
    v = view(tmp_path)
    v.hidden["nightly"] = 1
    page = build_site([v], org="o", now=NOW, bucket_urls=[], public_url=None, site_dir=None)["p/index.html"]
    assert b"Nightly releases of p, newest first (1 older not shown)" in page


def test_records_cannot_inject_links_or_speak_for_another_release(tmp_path):
    import json

    n = open_bucket(f"file://{tmp_path}/n")
    bad = json.loads(outcome("p", "v20261124-aaaaaaaaaa", "Failed", "2026-11-24T03:00:00Z"))
    bad["urls"]["run"] = "javascript:alert(1)"
    put(n, "p/previous/v20261124-aaaaaaaaaa/outcome.json", json.dumps(bad).encode())
    other = outcome("q", "v20261123-bbbbbbbbbb", "Succeeded", "2026-11-23T03:00:00Z")
    put(n, "p/previous/v20261123-bbbbbbbbbb/outcome.json", other)
    v = view(tmp_path)
    assert v.nightlies[0].run_url is None and v.nightlies[0].status == "failed"
    assert v.nightlies[1].status == "unknown"
    assert v.nightlies[1].note == "outcome.json is about q v20261123-bbbbbbbbbb, not this release; ignored"
    page = build_site([v], org="o", now=NOW, bucket_urls=[], public_url=None, site_dir=None)["p/index.html"]
    assert b"javascript:" not in page
