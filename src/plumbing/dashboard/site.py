"""The static site: index.html, style.css and <project>/index.html, rendered with Jinja2.

Links to bucket objects: a gs:// object gets its public URL; a file:// object gets a path
relative to the page when the page itself is written to a local folder (so a folder holding
the buckets and the site can be served as is), else its file:// URL.
"""

from __future__ import annotations

import os
import posixpath
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from plumbing.dashboard.collect import PROBLEMS, Link, ProjectView
from plumbing.layout import public_url as object_url
from plumbing.outcome import format_time

TEMPLATES = Path(__file__).parent / "templates"
# `plumbing versions` marks -> the site's mark classes (symbol and colour; the word is always shown).
VERSION_MARKS = {"drift": "failed", "behind": "warn", "unverified": "warn", "unknown": "unknown"}
SYMBOLS = {"ok": "✓", "failed": "✗", "stale": "⚠", "warn": "⚠", "published": "–", "unknown": "?", "off": "–"}
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8"}
_GITHUB = re.compile(r"^https://(github\.com|gitlab\.com)/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/?$")


def _environment():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["iso"] = format_time
    env.filters["when"] = lambda d: d.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    env.filters["duration"] = _duration
    env.globals["symbols"] = SYMBOLS
    env.globals["problems"] = PROBLEMS
    env.globals["commit_url"] = _commit_url
    return env


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 48 * 60 and minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)} days"
    if minutes >= 60:
        h, m = divmod(minutes, 60)
        return f"{h} h" if not m else f"{h} h {m} min"
    return f"{minutes} min" if minutes else f"{int(delta.total_seconds())} s"


def _commit_url(view: ProjectView, commit: str) -> str | None:
    if view.repository and _GITHUB.match(view.repository) and len(commit) == 40:
        return f"{view.repository.rstrip('/')}/commit/{commit}"
    return None


def _local_path(url: str) -> str | None:
    return url[len("file://"):] if url.startswith("file://") else None


def link_href(link: Link, page_dir: str | None, public_url: str | None) -> str:
    local = _local_path(link.bucket)
    if local is not None and page_dir is not None:
        target = os.path.join(local, *link.name.split("/"))
        rel = os.path.relpath(target, page_dir).replace(os.sep, "/")
        return quote(rel)
    url = object_url(link.bucket, link.name, public_url)
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{quote(rest)}"


def build_site(views: list[ProjectView], *, org: str, now: datetime, bucket_urls: list[str],
               public_url: str | None, site_dir: str | None, versions=None,
               deploys: list[dict] | None = None) -> dict[str, bytes]:
    """Every file of the site, by path relative to the site's folder.

    `site_dir` is the local folder the site will live in (for relative links to file://
    buckets), or None when it goes somewhere else (a gs:// bucket). `versions`: a
    plumbing.tracking.Report, shown as versions.html.
    """
    env = _environment()
    base = {"org": org, "now": now, "bucket_urls": bucket_urls, "has_versions": versions is not None,
            "deploys": deploys or []}
    site_abs = os.path.abspath(site_dir) if site_dir else None

    def hrefs(page_dir):
        return lambda link: link_href(link, page_dir, public_url)

    files: dict[str, bytes] = {}
    files["index.html"] = env.get_template("index.html").render(
        **base, root="", views=views, href=hrefs(site_abs)).encode()
    for view in views:
        page_dir = os.path.join(site_abs, view.name) if site_abs else None
        files[posixpath.join(view.name, "index.html")] = env.get_template("project.html").render(
            **base, root="../", view=view, href=hrefs(page_dir)).encode()
    if versions is not None:
        files["versions.html"] = env.get_template("versions.html").render(
            **base, root="", versions=versions, mark_class=VERSION_MARKS).encode()
    files["style.css"] = (TEMPLATES / "style.css").read_bytes()
    return files


def content_type(path: str) -> str:
    return CONTENT_TYPES.get(os.path.splitext(path)[1], "application/octet-stream")


def write_site(files: dict[str, bytes], out_dir) -> list[Path]:
    out = Path(out_dir)
    written = []
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def upload_site(files: dict[str, bytes], bucket, prefix: str = "dashboard/") -> list[str]:
    names = []
    for rel, data in files.items():
        name = prefix + rel
        bucket.write(name, data, content_type=content_type(rel), if_absent=False)
        names.append(name)
    return names
