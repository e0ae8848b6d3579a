"""What the dashboard shows, read from the buckets: every project's releases and nightlies.

For each project, `<bucket>/<project>/previous/<version>/` of the release bucket (full
releases) and of the nightly bucket (nightlies) are listed. A version's outcome comes from its
outcome.json (written by `release record`); without one, a version with release.yaml counts as
published. A nightly is stale when the newest one is older than twice its schedule's period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from plumbing import versions
from plumbing.findings import PlumbingError
from plumbing.outcome import FAILED_STATUSES, FILENAME, OK_STATUSES, OutcomeError, parse_outcome

RELEASE_FILES = ("release.yaml", "release.notags.yaml", "logs.txt")
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


def schedule_period(expr: str, now: datetime) -> timedelta:
    """The longest gap between consecutive firings of `expr` (one day for "0 3 * * *", three
    for a weekdays-only schedule, so a nightly is not stale every Monday).

    The same definition as `release status`, which watches for stale nightlies from a CronJob:
    both must agree on what stale means.
    """
    from plumbing.release.status import schedule_period as period

    return period(expr, now)


def human_age(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} hours" if hours != 1 else "1 hour"
    days, hours = divmod(hours, 24)
    return f"{days} days" + (f" {hours} hour{'s' if hours != 1 else ''}" if hours else "")


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
    prefix = f"{project}/previous/"
    grouped: dict[str, dict] = {}
    for obj in bucket.list(prefix):
        rest = obj.name[len(prefix):]
        version, _, fname = rest.partition("/")
        if not version or not fname:
            continue
        grouped.setdefault(version, {})[fname] = obj
    logs: dict[str, object] = {}
    if logs_bucket is not None:
        for obj in logs_bucket.list(prefix):
            version, _, fname = obj.name[len(prefix):].partition("/")
            if fname == "logs.txt":
                logs[version] = obj

    def belongs(tag: str) -> bool:
        try:
            return versions.parse(tag).kind == kind
        except versions.VersionError:
            return True  # shown, with a note, rather than silently dropped

    tags = [t for t in grouped if belongs(t)]
    complete = [t for t in tags if "release.yaml" in grouped[t]]
    best = versions.highest(complete)
    latest = None
    latest_blob = next((b for b in bucket.list(f"{project}/latest/release.yaml")
                        if b.name == f"{project}/latest/release.yaml"), None)
    if latest_blob is not None:
        latest = "?"
        md5 = getattr(latest_blob, "md5", None)
        for t in complete:
            if md5 and getattr(grouped[t]["release.yaml"], "md5", None) == md5:
                latest = t
                break

    def order(tag: str):
        objs = grouped[tag].values()
        newest = max((_aware(o.updated) for o in objs if o.updated is not None),
                     default=datetime.min.replace(tzinfo=UTC))
        try:
            v = versions.parse(tag)
        except versions.VersionError:
            return (0, "", newest)
        if v.kind == versions.NIGHTLY:
            return (1, v.key[0], newest)
        return (1, _Semver(v), newest)

    tags.sort(key=order, reverse=True)
    shown, hidden = tags[:limit], max(0, len(tags) - limit)
    out = []
    for tag in shown:
        files = grouped[tag]
        base = prefix + tag + "/"
        note = ""
        outcome = None
        if FILENAME in files:
            try:
                outcome = parse_outcome(bucket.read(base + FILENAME))
            except OutcomeError as exc:
                note = f"outcome.json is unreadable: {exc}"
            except PlumbingError as exc:  # e.g. deleted between list and read
                note = f"outcome.json could not be read: {exc}"
            if outcome is not None and (outcome.project, outcome.version) != (project, tag):
                note = (f"outcome.json is about {outcome.project} {outcome.version}, "
                        "not this release; ignored")
                outcome = None
        try:
            versions.parse(tag)
        except versions.VersionError:
            note = note or f"{tag} is not a release version"
        status, text = _status(outcome, "release.yaml" in files)
        when, source = None, ""
        if outcome is not None and outcome.finished:
            when, source = outcome.finished_at(), "finished"
        elif "release.yaml" in files and files["release.yaml"].updated is not None:
            when, source = _aware(files["release.yaml"].updated), "uploaded"
        elif files and any(o.updated is not None for o in files.values()):
            when, source = max(_aware(o.updated) for o in files.values() if o.updated is not None), "uploaded"
        elif _tag_date(tag):
            when, source = _tag_date(tag), "tag date"
        commit = outcome.commit if outcome is not None and outcome.commit else (
            tag[-10:] if kind == versions.NIGHTLY and _tag_date(tag) else None)
        links, missing = [], []
        for fname in RELEASE_FILES:
            if fname in files:
                links.append(Link(fname, bucket_url, base + fname))
            elif fname == "logs.txt" and tag in logs:
                links.append(Link(fname, logs_url, base + fname))
            else:
                missing.append(fname)
        if FILENAME in files:
            links.append(Link(FILENAME, bucket_url, base + FILENAME))
        duration = None
        if outcome is not None and outcome.started and outcome.finished:
            duration = outcome.finished_at() - outcome.started_at()
        out.append(Release(
            project=project, kind=kind, version=tag, commit=commit, when=when, when_source=source,
            status=status, status_text=text, run=outcome.run if outcome else None,
            run_url=_http_url(outcome.urls.get("run")) if outcome else None, duration=duration,
            files=links, missing=missing, note=note, latest=tag == latest))
    return Listing(out, hidden, latest, best.tag if best else None)


def _http_url(url: str | None) -> str | None:
    """Only http(s) links from a record reach a page (never javascript: or data:)."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


class _Semver:
    """Sort key for full versions inside tuples (versions' own key only compares to its kind)."""

    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return self.v < other.v if isinstance(other, _Semver) else False

    def __gt__(self, other):
        return self.v > other.v if isinstance(other, _Semver) else True

    def __eq__(self, other):
        return isinstance(other, _Semver) and self.v.key == other.v.key


def project_view(project: dict, nightly_bucket, nightly_url: str, release_bucket, release_url: str,
                 now: datetime, limit: int = DEFAULT_LIMIT, logs_bucket=None,
                 logs_url: str | None = None) -> ProjectView:
    name = project["name"]
    nightly = project.get("nightly") or {}
    schedule = nightly.get("schedule") if nightly.get("enabled") else None
    nightly_list = read_releases(nightly_bucket, nightly_url, name, versions.NIGHTLY, limit,
                                 logs_bucket, logs_url)
    full_list = read_releases(release_bucket, release_url, name, versions.FULL, limit,
                              logs_bucket, logs_url)
    nightlies, fulls = nightly_list.releases, full_list.releases
    view = ProjectView(name=name, description=project.get("description") or "",
                       repository=project.get("repository"), schedule=schedule, period=None,
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
    buckets = repo.org["buckets"]
    nightly = open_bucket(buckets["nightly"])
    release = open_bucket(buckets["release"])
    logs = open_bucket(buckets["logs"]) if buckets.get("logs") else None
    return [project_view(p, nightly, buckets["nightly"], release, buckets["release"], now, limit,
                         logs, buckets.get("logs"))
            for _, p in sorted(repo.projects.items())]
