"""What the dashboard shows, read from the buckets: every project's releases and nightlies.

For each project, `<bucket>/<project>/previous/<version>/` of the release bucket (full
releases) and of the nightly bucket (nightlies) are listed. A version's outcome comes from its
outcome.json (written by `release record`); without one, a version with release.yaml counts as
published. A nightly is stale when the newest one is older than twice its schedule's period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from plumbing import layout, versions
from plumbing.ages import human_age, schedule_period
from plumbing.findings import PlumbingError
from plumbing.outcome import FAILED_STATUSES, FILENAME, OK_STATUSES, OutcomeError, parse_outcome
from plumbing.posttest.state import NOT_TESTED, TestState, read_state

RELEASE_FILES = (layout.RELEASE_YAML, layout.NOTAGS_YAML, layout.LOGS)
# Outcome records are read concurrently: one request each, which at a cluster's 30 ms round
# trip is what the page's time is made of.
READ_CONCURRENCY = 16
DEFAULT_LIMIT = 60
PROBLEMS = ("failed", "stale", "warn")   # mark classes that need a person's attention


@dataclass
class Link:
    label: str
    bucket: str   # bucket URL
    name: str     # object name in the bucket


@dataclass
class Release:
    project: str
    kind: str                      # versions.NIGHTLY or versions.FULL
    version: str
    commit: str | None             # full SHA from the record, else the tag's 10 hex, else None
    when: datetime | None          # finished (record) > release.yaml's upload time > the tag's date
    when_source: str               # "finished", "uploaded" or "tag date"
    status: str                    # "ok", "failed", "unknown", "published"
    status_text: str               # what a person reads, e.g. "Failed", "Succeeded"
    run: str | None = None
    run_url: str | None = None
    duration: timedelta | None = None
    files: list[Link] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # release files that are not there
    stale: bool = False
    latest: bool = False           # latest/ holds this release (its release.yaml, byte for byte)
    note: str = ""                 # e.g. an unreadable outcome.json
    test: TestState = NOT_TESTED   # the post-release test's verdict (tested.json)
    test_logs: Link | None = None  # test-logs.txt beside the release


@dataclass
class ProjectView:
    name: str
    description: str
    repository: str | None
    schedule: str | None
    period: timedelta | None
    nightlies: list[Release]
    fulls: list[Release]
    hidden: dict = field(default_factory=dict)   # kind -> count of older rows not shown
    marks: list[tuple[str, str]] = field(default_factory=list)   # (css class, text)

    @property
    def latest_full(self) -> Release | None:
        return self.fulls[0] if self.fulls else None

    @property
    def latest_nightly(self) -> Release | None:
        return self.nightlies[0] if self.nightlies else None

    @property
    def summary(self) -> list[tuple[str, str]]:
        """One word per problem, for the index's Status column."""
        out = []
        for cls, text in self.marks:
            if cls == "stale":
                short = "No nightly" if text.startswith("No nightly") else "Stale"
            elif cls == "failed":
                short = "Failed"
            elif cls == "warn":
                short = "latest/ wrong"
            else:
                continue
            if (cls, short) not in out:
                out.append((cls, short))
        return out

    @property
    def healthy(self) -> bool:
        return not any(cls in PROBLEMS for cls, _ in self.marks)


def _status(outcome, has_release: bool) -> tuple[str, str]:
    if outcome is not None:
        if outcome.status in OK_STATUSES:
            text = "Succeeded" if outcome.status == "Succeeded" else "Completed (some tasks skipped)"
            return "ok", text
        if outcome.status in FAILED_STATUSES:
            return "failed", {"TimedOut": "Timed out"}.get(outcome.status, outcome.status)
        return "unknown", "Unknown (no final status)"
    if has_release:
        return "published", "Published (no outcome record)"
    return "unknown", "Unknown (no release.yaml, no record)"


def _tag_date(tag: str) -> datetime | None:
    try:
        v = versions.parse(tag)
    except versions.VersionError:
        return None
    if v.kind != versions.NIGHTLY:
        return None
    day = v.key[0]
    return datetime(int(day[:4]), int(day[4:6]), int(day[6:8]), tzinfo=UTC)


def _aware(when) -> datetime | None:
    if when is None:
        return None
    if isinstance(when, (int, float)):
        return datetime.fromtimestamp(when, UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass
class Listing:
    releases: list[Release]   # the newest `limit`, newest first
    hidden: int               # how many older ones are not shown
    latest: str | None        # the version latest/ holds, "?" when it matches none, None when empty
    highest: str | None       # the highest complete release (with release.yaml) of the kind


def read_releases(bucket, bucket_url: str, project: str, kind: str, limit: int,
                  logs_bucket=None, logs_url: str | None = None) -> Listing:
    """The newest `limit` releases of one kind in one bucket, and what latest/ holds."""
    grouped = layout.group_by_version(bucket.list(layout.previous_prefix(project)), project)
    logs = _logs_elsewhere(logs_bucket, project)
    # Folders that are not versions are shown, with a note, rather than silently dropped.
    tags = [t for t in grouped if layout.of_kind(t, kind) or not layout.of_kind(t, None)]
    complete = [t for t in tags if layout.MARKER in grouped[t] and layout.of_kind(t, kind)]
    tags.sort(key=lambda tag: (versions.sort_key(tag), _newest_upload(grouped[tag].values())), reverse=True)
    shown, hidden = tags[:limit], max(0, len(tags) - limit)
    latest = layout.latest_holds(bucket, project, {t: grouped[t] for t in complete})
    outcomes = _read_outcomes(bucket, project, [t for t in shown if FILENAME in grouped[t]])
    rows = [_release(project, kind, tag, grouped[tag], outcomes.get(tag, (None, "")), bucket_url,
                     logs_url if tag in logs else None) for tag in shown]
    for row in rows:
        row.latest = row.version == latest
        if layout.TESTED in grouped.get(row.version, {}):
            row.test = read_state(bucket, project, row.version)
            if layout.TEST_LOGS in grouped[row.version]:
                row.test_logs = Link(layout.TEST_LOGS, bucket_url, layout.release_file(project, row.version,
                                                                                        layout.TEST_LOGS))
    return Listing(rows, hidden, latest, layout.newest(complete))


def _logs_elsewhere(logs_bucket, project: str) -> set[str]:
    """Versions whose logs.txt is in the logs bucket rather than beside the release."""
    if logs_bucket is None:
        return set()
    grouped = layout.group_by_version(logs_bucket.list(layout.previous_prefix(project)), project)
    return {tag for tag, files in grouped.items() if layout.LOGS in files}


def _newest_upload(blobs) -> datetime:
    return max((_aware(b.updated) for b in blobs if b.updated is not None),
               default=datetime.min.replace(tzinfo=UTC))


def _read_outcomes(bucket, project: str, tags: list[str]) -> dict[str, tuple]:
    """{tag: (Outcome or None, note)} read concurrently (bounded)."""
    from concurrent.futures import ThreadPoolExecutor

    def read(tag: str):
        try:
            outcome = parse_outcome(bucket.read(layout.release_file(project, tag, FILENAME)))
        except OutcomeError as exc:
            return None, f"outcome.json is unreadable: {exc}"
        except PlumbingError as exc:  # e.g. deleted between list and read
            return None, f"outcome.json could not be read: {exc}"
        if (outcome.project, outcome.version) != (project, tag):
            return None, f"outcome.json is about {outcome.project} {outcome.version}, not this release; ignored"
        return outcome, ""

    if len(tags) <= 1:
        return {tag: read(tag) for tag in tags}
    with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(tags))) as pool:
        return dict(zip(tags, pool.map(read, tags), strict=True))


def _when(outcome, files: dict, tag: str) -> tuple[datetime | None, str]:
    """finished (record) > release.yaml's upload time > any upload time > the tag's date."""
    if outcome is not None and outcome.finished:
        return outcome.finished_at(), "finished"
    marker = files.get(layout.MARKER)
    if marker is not None and marker.updated is not None:
        return _aware(marker.updated), "uploaded"
    if any(o.updated is not None for o in files.values()):
        return _newest_upload(files.values()), "uploaded"
    if _tag_date(tag):
        return _tag_date(tag), "tag date"
    return None, ""


def _release(project: str, kind: str, tag: str, files: dict, read: tuple, bucket_url: str,
             logs_url: str | None) -> Release:
    outcome, note = read
    if not layout.of_kind(tag, None):
        note = note or f"{tag} is not a release version"
    base = layout.release_folder(project, tag)
    status, text = _status(outcome, layout.MARKER in files)
    when, source = _when(outcome, files, tag)
    commit = outcome.commit if outcome is not None and outcome.commit else (
        tag[-10:] if kind == versions.NIGHTLY and _tag_date(tag) else None)
    links, missing = [], []
    for fname in RELEASE_FILES:
        if fname in files:
            links.append(Link(fname, bucket_url, base + fname))
        elif fname == layout.LOGS and logs_url is not None:
            links.append(Link(fname, logs_url, base + fname))
        else:
            missing.append(fname)
    if FILENAME in files:
        links.append(Link(FILENAME, bucket_url, base + FILENAME))
    duration = None
    if outcome is not None and outcome.started and outcome.finished:
        duration = outcome.finished_at() - outcome.started_at()
    return Release(
        project=project, kind=kind, version=tag, commit=commit, when=when, when_source=source,
        status=status, status_text=text, run=outcome.run if outcome else None,
        run_url=_http_url(outcome.urls.get("run")) if outcome else None, duration=duration,
        files=links, missing=missing, note=note)


def _http_url(url: str | None) -> str | None:
    """Only http(s) links from a record reach a page (never javascript: or data:)."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def project_view(project, nightly_bucket, nightly_url: str, release_bucket, release_url: str,
                 now: datetime, limit: int = DEFAULT_LIMIT, logs_bucket=None,
                 logs_url: str | None = None) -> ProjectView:
    name = project.name
    schedule = project.schedule
    nightly_list = read_releases(nightly_bucket, nightly_url, name, versions.NIGHTLY, limit,
                                 logs_bucket, logs_url)
    full_list = read_releases(release_bucket, release_url, name, versions.FULL, limit,
                              logs_bucket, logs_url)
    nightlies, fulls = nightly_list.releases, full_list.releases
    view = ProjectView(name=name, description=project.description,
                       repository=project.repository, schedule=schedule, period=None,
                       nightlies=nightlies, fulls=fulls,
                       hidden={versions.NIGHTLY: nightly_list.hidden, versions.FULL: full_list.hidden})
    if schedule:
        view.period = schedule_period(schedule, now)
        newest = nightlies[0] if nightlies else None
        if newest is None:
            view.marks.append(("stale", "No nightly in the bucket yet"))
        elif newest.when is not None and now - newest.when > 2 * view.period:
            newest.stale = True
            view.marks.append(("stale", f"Nightly stale: newest is {human_age(now - newest.when)} old, "
                                        f"schedule runs every {human_age(view.period)}"))
        if newest is not None and newest.status == "failed":
            view.marks.append(("failed", f"Newest nightly {newest.version} failed"))
        if newest is not None and newest.test.state == "failed":
            at = f" at {newest.test.failed_step}" if newest.test.failed_step else ""
            view.marks.append(("failed", f"Newest nightly {newest.version} failed its post-release test{at}"))
    else:
        view.marks.append(("off", "No nightly schedule"))
    if fulls and fulls[0].status == "failed":
        view.marks.append(("failed", f"Newest release {fulls[0].version} failed"))
    for kind, listing in ((versions.NIGHTLY, nightly_list), (versions.FULL, full_list)):
        where = f"{kind} bucket's {name}/latest/"
        if listing.latest == "?":
            view.marks.append(("warn", f"The {where} matches no release under previous/"))
        elif listing.latest and listing.highest and listing.latest != listing.highest:
            view.marks.append(("warn", f"The {where} holds {listing.latest}, not the highest "
                                       f"release {listing.highest}"))
    return view


def collect(repo, now: datetime, limit: int = DEFAULT_LIMIT, open_bucket=None) -> list[ProjectView]:
    """A view of every configured project, read from the org's buckets."""
    if open_bucket is None:
        from plumbing.storage import open_bucket
    buckets = repo.org.buckets
    nightly = open_bucket(buckets.nightly)
    release = open_bucket(buckets.release)
    logs = open_bucket(buckets.logs) if buckets.logs else None
    return [project_view(p, nightly, buckets.nightly, release, buckets.release, now, limit,
                         logs, buckets.logs)
            for _, p in sorted(repo.projects.items())]
