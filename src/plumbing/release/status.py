"""`release status`: per project, the latest full and nightly releases in the buckets, their
age, and whether the nightly is stale (older than twice its schedule's period), so a CronJob
can watch the watchers.

The period of a cron schedule is the longest gap between consecutive runs over the next
fortnight (cronsim, UTC): "0 3 * * *" is a day, "0 3 * * 1-5" is three days (Friday to
Monday), so a weekday-only nightly does not alarm every Monday. A project with a nightly
schedule and no nightly at all in the bucket is stale too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from plumbing.release.publish import released_versions
from plumbing.versions import FULL, NIGHTLY, parse

HORIZON = timedelta(days=14)
MAX_RUNS = 2000


def schedule_period(expr: str, now: datetime) -> timedelta:
    """The longest gap between consecutive runs of `expr` from `now` over the next fortnight."""
    from cronsim import CronSim

    start = now.astimezone(UTC).replace(tzinfo=None)
    it = CronSim(expr, start)
    prev = next(it)
    longest = timedelta(0)
    for _ in range(MAX_RUNS):
        nxt = next(it)
        longest = max(longest, nxt - prev)
        if nxt - start > HORIZON:
            break
        prev = nxt
    return longest


def human_age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "in the future"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes}m"
    return f"{minutes}m"


@dataclass
class Latest:
    version: str | None
    published: str | None  # ISO time release.yaml was written
    age_seconds: int | None
    age: str | None


@dataclass
class ProjectStatus:
    project: str
    full: Latest
    nightly: Latest
    schedule: str | None
    period_seconds: int | None
    stale: bool
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        def show(kind, latest: Latest):
            if latest.version is None:
                return f"{kind} none"
            return f"{kind} {latest.version} ({latest.age} ago)"

        flag = "STALE " if self.stale else ""
        return f"{flag}{self.project}: {show('full', self.full)}, {show('nightly', self.nightly)}; {self.reason}"


def _latest(bucket, project: str, kind: str, now: datetime) -> Latest:
    if bucket is None:
        return Latest(None, None, None, None)
    found = released_versions(bucket, project, kind)
    if not found:
        return Latest(None, None, None, None)
    tag = max(found, key=lambda t: _Key(parse(t)))
    updated = found[tag].updated
    if updated is None:
        return Latest(tag, None, None, None)
    age = now - updated
    return Latest(tag, updated.isoformat(), int(age.total_seconds()), human_age(age))


class _Key:
    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return self.v < other.v


def project_status(project: dict, nightly_bucket, release_bucket, now: datetime) -> ProjectStatus:
    name = project["name"]
    full = _latest(release_bucket, name, FULL, now)
    nightly = _latest(nightly_bucket, name, NIGHTLY, now)
    cfg = project.get("nightly") or {}
    schedule = cfg.get("schedule") if cfg.get("enabled", bool(cfg.get("schedule"))) else None
    if not schedule:
        return ProjectStatus(name, full, nightly, None, None, False, "no nightly schedule")
    period = schedule_period(schedule, now)
    limit = 2 * period
    if nightly.version is None:
        return ProjectStatus(name, full, nightly, schedule, int(period.total_seconds()), True,
                             f"no nightly published (schedule {schedule!r})")
    age = timedelta(seconds=nightly.age_seconds or 0)
    if age > limit:
        return ProjectStatus(name, full, nightly, schedule, int(period.total_seconds()), True,
                             f"nightly is {nightly.age} old, more than twice the schedule's period "
                             f"({human_age(period)}, {schedule!r})")
    return ProjectStatus(name, full, nightly, schedule, int(period.total_seconds()), False,
                         f"nightly fresh (limit {human_age(limit)})")


def parse_now(text: str | None) -> datetime:
    from plumbing.findings import PlumbingError

    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PlumbingError(f"--now {text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
