"""The bucket layout: where a release's files live, and which releases a bucket holds.

    <bucket>/<project>/previous/<version>/   release.yaml, release.notags.yaml, extra files,
                                             logs.txt, outcome.json, tested.json, ...
    <bucket>/<project>/latest/               an exact copy of the highest released version

A folder under previous/ is a release once its release.yaml exists (publish writes it last).
Every module that reads or writes a bucket takes its paths from here.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from plumbing import versions

RELEASE_YAML = "release.yaml"
NOTAGS_YAML = "release.notags.yaml"
LOGS = "logs.txt"
OUTCOME = "outcome.json"
# The file whose presence makes a folder under previous/ a release.
MARKER = RELEASE_YAML
TESTED = "tested.json"
TEST_LOGS = "test-logs.txt"
# Written by the release itself, never listed as a project's extra file.
RESERVED = (RELEASE_YAML, NOTAGS_YAML, LOGS)
# What a run adds to its release folder after publishing: latest/ need not mirror these.
RUN_RECORDS = frozenset({LOGS, OUTCOME, TESTED, TEST_LOGS})
DEFAULT_PUBLIC_URL = "https://storage.googleapis.com"
# Beside latest/, never in it: who is moving latest/ right now (publish's lease, see
# release/latest_lease.py). One object per project, replaced only by compare-and-swap.
LATEST_LEASE = "latest.lease.json"


def previous_prefix(project: str) -> str:
    return f"{project}/previous/"


def release_folder(project: str, version: str) -> str:
    return f"{project}/previous/{version}/"


def release_file(project: str, version: str, name: str) -> str:
    return release_folder(project, version) + name


def latest_folder(project: str) -> str:
    return f"{project}/latest/"


def latest_file(project: str, name: str) -> str:
    return latest_folder(project) + name


def latest_lease(project: str) -> str:
    return f"{project}/{LATEST_LEASE}"


def folder_url(bucket_url: str, name: str) -> str:
    """gs://bucket/<name> (or file:///...): an object or folder by its bucket URL."""
    return f"{bucket_url.rstrip('/')}/{name}"


def public_url(bucket_url: str, name: str, public_base: str | None = None) -> str:
    """The URL a person opens for object `name`: https://<public base>/<bucket>/<name> for a
    gs:// bucket (with any prefix the URL names), the file:// URL itself for a local bucket."""
    parts = urlsplit(bucket_url)
    if parts.scheme == "gs":
        path = "/".join(p for p in (parts.netloc, parts.path.strip("/"), name) if p)
        return f"{(public_base or DEFAULT_PUBLIC_URL).rstrip('/')}/{quote(path)}"
    return folder_url(bucket_url, name)


def is_pinned_release_url(url: str) -> bool:
    """Does `url` name a file inside one release folder (…/<project>/previous/<version>/<file>),
    not latest/, which moves?"""
    parts = urlsplit(url).path.strip("/").split("/")
    return (len(parts) >= 4 and parts[-3] == "previous" and "latest" not in parts
            and of_kind(parts[-2], None))


def split_release_path(project: str, name: str) -> tuple[str, str] | None:
    """(version, file) for an object name under <project>/previous/, None otherwise."""
    base = previous_prefix(project)
    if not name.startswith(base):
        return None
    version, _, fname = name[len(base):].partition("/")
    return (version, fname) if version and fname else None


def group_by_version(blobs, project: str) -> dict[str, dict]:
    """{version: {file name: Blob}} for a listing of <project>/previous/."""
    grouped: dict[str, dict] = {}
    for blob in blobs:
        parts = split_release_path(project, blob.name)
        if parts is not None:
            grouped.setdefault(parts[0], {})[parts[1]] = blob
    return grouped


def of_kind(tag: str, kind: str | None) -> bool:
    """Is `tag` a version of `kind` (a version at all when None)?"""
    try:
        found = versions.parse(tag).kind
    except versions.VersionError:
        return False
    return kind is None or found == kind


def release_exists(bucket, project: str, version: str) -> bool:
    """Does previous/<version>/ hold a release (its release.yaml)?"""
    return bucket.exists(release_file(project, version, MARKER))


def released_versions(bucket, project: str, kind: str | None = None) -> dict:
    """{tag: Blob of its release.yaml} for every complete release of `kind` under previous/.
    Folders without release.yaml are interrupted publishes, not releases; tags that are not
    versions are left out."""
    grouped = group_by_version(bucket.list(previous_prefix(project)), project)
    return {tag: files[MARKER] for tag, files in grouped.items() if MARKER in files and of_kind(tag, kind)}


def release_tags(bucket, project: str, kind: str | None = None) -> list[str]:
    """Every version folder of `kind` under previous/, complete or not, from a folder listing
    (prefix and delimiter): the cost does not grow with the files inside old releases."""
    base = previous_prefix(project)
    tags = (folder[len(base):].rstrip("/") for folder in bucket.list_folders(base))
    return [tag for tag in tags if of_kind(tag, kind)]


def newest_release(bucket, project: str, kind: str, exclude=(), before=None):
    """(tag, Blob of its release.yaml) of the highest complete release of `kind`, leaving out
    `exclude` and releases whose release.yaml was written after `before`; None when there is
    none. Lists version folders only and stats release.yaml from the highest down, so it
    usually costs two requests however long the history; when the first few candidates do not
    qualify (interrupted publishes, a `before` far in the past) one listing of previous/
    answers instead, rather than a request per version."""
    candidates = newest_first(t for t in release_tags(bucket, project, kind) if t not in exclude)
    for tag in candidates[:STATS_BEFORE_LISTING]:
        blob = bucket.stat(release_file(project, tag, MARKER))
        if _qualifies(blob, before):
            return tag, blob
    if len(candidates) <= STATS_BEFORE_LISTING:
        return None
    found = {tag: blob for tag, blob in released_versions(bucket, project, kind).items()
             if tag not in exclude and _qualifies(blob, before)}
    tag = newest(found)
    return (tag, found[tag]) if tag else None


STATS_BEFORE_LISTING = 4


def _qualifies(blob, before) -> bool:
    return blob is not None and (before is None or blob.updated is None or blob.updated <= before)


def newest(tags) -> str | None:
    """The highest of `tags` in the one version order (None when there is none)."""
    tags = list(tags)
    return max(tags, key=versions.sort_key) if tags else None


def newest_first(tags) -> list[str]:
    return sorted(tags, key=versions.sort_key, reverse=True)


def latest_listing(bucket, project: str) -> dict[str, str | None]:
    """{file name: md5} of what latest/ holds."""
    folder = latest_folder(project)
    return {b.name[len(folder):]: b.md5 for b in bucket.list(folder)}


def mirrors(latest: dict[str, str | None], release: dict) -> bool:
    """Is `latest` ({name: md5}) an exact copy of one release's folder ({name: Blob})? Every
    file in latest/ is the release's, byte for byte, and every published file is there (run
    records written after publishing, such as logs.txt, may be missing)."""
    for name, md5 in latest.items():
        blob = release.get(name)
        if blob is None or blob.md5 is None or blob.md5 != md5:
            return False
    return all(name in latest for name in release if name not in RUN_RECORDS)


def latest_holds(bucket, project: str, releases: dict[str, dict]) -> str | None:
    """The version latest/ mirrors exactly among `releases` ({tag: {name: Blob}}), "?" when it
    mirrors none of them (a mix of two releases, or a deleted one), None when it is empty."""
    current = latest_listing(bucket, project)
    if not current:
        return None
    return next((tag for tag, files in releases.items() if mirrors(current, files)), "?")
