"""`release status`: per project, the latest full and nightly releases in the buckets, their
age, and whether the nightly is stale (older than twice its schedule's period), so a CronJob
can watch the watchers.

The period of a cron schedule is the longest gap between consecutive runs over the next
fortnight (cronsim, UTC): "0 3 * * *" is a day, "0 3 * * 1-5" is three days (Friday to
Monday), so a weekday-only nightly does not alarm every Monday. A project with a nightly
schedule and no nightly at all in the bucket is stale too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from plumbing import layout
from plumbing.ages import human_age
from plumbing.versions import FULL, NIGHTLY


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
    # Post-release tests of the newest full release and nightly (plumbing.posttest.state).
    tests: dict = field(default_factory=dict)

    @property
    def nightly_test_failed(self) -> bool:
        return (self.tests.get("nightly") or {}).get("state") == "failed"

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        def show(kind, latest: Latest):
            if latest.version is None:
                return f"{kind} none"
            return f"{kind} {latest.version} ({latest.age} ago)"

        def tested(kind, latest: Latest):
            test = self.tests.get(kind)
            if latest.version is None or not test:
                return None
            logs = f", logs {test['logs']}" if test["state"] == "failed" and test.get("logs") else ""
            return f"{kind} {test['text']}{logs}"

        flag = "STALE " if self.stale else ""
        flag += "TEST-FAILED " if self.nightly_test_failed else ""
        tests = [t for t in (tested("full", self.full), tested("nightly", self.nightly)) if t]
        return (f"{flag}{self.project}: {show('full', self.full)}, {show('nightly', self.nightly)}; {self.reason}"
                + (f"; post-release test: {', '.join(tests)}" if tests else ""))


NONE = Latest(None, None, None, None)


def _latest(bucket, project: str, kind: str, now: datetime) -> Latest:
    """The newest release of `kind` that existed at `now`: one published after `now` (a --now
    in the past) did not exist then, so it neither counts nor reads as fresh."""
    if bucket is None:
        return NONE
    found = {tag: blob for tag, blob in layout.released_versions(bucket, project, kind).items()
             if blob.updated is None or blob.updated <= now}
    tag = layout.newest(found)
    if tag is None:
        return NONE
    updated = found[tag].updated
    if updated is None:
        return Latest(tag, None, None, None)
    age = now - updated
    return Latest(tag, updated.isoformat(), int(age.total_seconds()), human_age(age))


def project_status(project, nightly_bucket, release_bucket, now: datetime) -> ProjectStatus:
    full = _latest(release_bucket, project.name, FULL, now)
    nightly = _latest(nightly_bucket, project.name, NIGHTLY, now)
    schedule = project.schedule
    if not schedule:
        return ProjectStatus(project.name, full, nightly, None, None, False, "no nightly schedule")
    period = project.schedule_period(now)
    limit = 2 * period

    def status(stale: bool, reason: str) -> ProjectStatus:
        return ProjectStatus(project.name, full, nightly, schedule, int(period.total_seconds()), stale, reason)

    if nightly.version is None:
        return status(True, f"no nightly published (schedule {schedule!r})")
    if timedelta(seconds=nightly.age_seconds or 0) > limit:
        return status(True, f"nightly is {nightly.age} old, more than twice the schedule's period "
                            f"({human_age(period)}, {schedule!r})")
    return status(False, f"nightly fresh (limit {human_age(limit)})")
