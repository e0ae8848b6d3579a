"""A deck-like status page for releases: what ran, what failed, where the logs are.

`plumbing dashboard --out DIR [--upload]` reads the release and nightly buckets through the
same storage layer as `release publish` (so file:// buckets work locally), and writes a static
site (plain HTML and CSS, no JavaScript): an index of projects and one page per project with
its full releases and nightlies, newest first. `--upload` puts it in the logs bucket under
`dashboard/`. See docs/dashboard.md.
"""

from __future__ import annotations

from datetime import datetime

SITE_PREFIX = "dashboard/"


def build(repo, *, now: datetime, out_dir=None, upload: bool = False, limit: int | None = None,
          open_bucket=None, versions=None) -> dict:
    """Build the site from the buckets; write it to `out_dir` and/or upload it.

    `versions` (a plumbing.tracking.Report) adds the versions view (versions.html).
    Returns {"projects": [...views], "written": [paths], "uploaded": [object names]}.
    """
    from plumbing.dashboard.collect import DEFAULT_LIMIT, collect
    from plumbing.dashboard.site import build_site, upload_site, write_site

    if open_bucket is None:
        from plumbing.storage import open_bucket
    views = collect(repo, now, limit or DEFAULT_LIMIT, open_bucket=open_bucket)
    buckets = repo.org.buckets
    from plumbing.deploy.records import statuses

    common = {"org": repo.org.organisation, "now": now,
              "bucket_urls": [buckets.release, buckets.nightly],
              "public_url": repo.org.public_url, "versions": versions,
              "deploys": statuses(open_bucket(buckets.logs), repo.root, now)}
    result = {"projects": views, "written": [], "uploaded": []}
    if out_dir is not None:
        files = build_site(views, **common, site_dir=str(out_dir))
        result["written"] = write_site(files, out_dir)
    if upload:
        logs_url = buckets.logs
        site_dir = None
        if logs_url.startswith("file://"):
            site_dir = logs_url[len("file://"):].rstrip("/") + "/" + SITE_PREFIX.rstrip("/")
        files = build_site(views, **common, site_dir=site_dir)
        result["uploaded"] = upload_site(files, open_bucket(logs_url), SITE_PREFIX)
    return result
