"""`release status`: per project, the latest full and nightly releases in the buckets, their
age, and whether the nightly is stale (older than twice its schedule's period), so a CronJob
can watch the watchers. It also flags a latest/ that is not an exact copy of the highest
release (every file and checksum compared), e.g. a mix left by two concurrent publishes.

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
    latest_wrong: list[str] = field(default_factory=list)  # latest/ folders that mirror no release

    @property
    def failed(self) -> bool:
        return self.stale or bool(self.latest_wrong)

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

        flag = ("STALE " if self.stale else "") + ("LATEST " if self.latest_wrong else "")
        flag += "TEST-FAILED " if self.nightly_test_failed else ""
        tests = [t for t in (tested("full", self.full), tested("nightly", self.nightly)) if t]
        text = (f"{flag}{self.project}: {show('full', self.full)}, {show('nightly', self.nightly)}; {self.reason}"
                + (f"; post-release test: {', '.join(tests)}" if tests else ""))
        return "; ".join([text, *self.latest_wrong])


NONE = Latest(None, None, None, None)


def _latest(bucket, project: str, kind: str, now: datetime) -> Latest:
    """The newest release of `kind` that existed at `now`: one published after `now` (a --now
    in the past) did not exist then, so it neither counts nor reads as fresh."""
    if bucket is None:
        return NONE
    found = layout.newest_release(bucket, project, kind, before=now)
    if found is None:
        return NONE
    tag, blob = found
    if blob.updated is None:
        return Latest(tag, None, None, None)
    age = now - blob.updated
    return Latest(tag, blob.updated.isoformat(), int(age.total_seconds()), human_age(age))


def latest_problem(bucket, project: str, kind: str) -> str | None:
    """Why the bucket's latest/ is not an exact copy (every file, by checksum) of the highest
    complete release of `kind`, or None. A mix of two releases, a stale copy, an empty latest/."""
    if bucket is None:
        return None
    found = layout.newest_release(bucket, project, kind)
    if found is None:
        return None
    tag = found[0]
    files = layout.group_by_version(bucket.list(layout.release_folder(project, tag)), project).get(tag, {})
    holds = layout.latest_holds(bucket, project, {tag: files})
    if holds == tag:
        return None
    where = layout.folder_url(bucket.url, layout.latest_folder(project))
    if holds is None:
        return f"{where} is empty, not a copy of {tag}"
    return f"{where} is not an exact copy of {tag} (files or checksums differ)"


def project_status(project, nightly_bucket, release_bucket, now: datetime) -> ProjectStatus:
    status = _freshness(project, nightly_bucket, release_bucket, now)
    status.latest_wrong = [problem for bucket, kind in ((release_bucket, FULL), (nightly_bucket, NIGHTLY))
                           if (problem := latest_problem(bucket, project.name, kind))]
    return status


def _freshness(project, nightly_bucket, release_bucket, now: datetime) -> ProjectStatus:
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


@dataclass
class StatusReport:
    """`release status` for several projects: the rows and what makes the watchdog fail."""

    now: datetime
    rows: list[ProjectStatus]

    @property
    def stale(self) -> list[str]:
        return [r.project for r in self.rows if r.stale]

    @property
    def test_failed(self) -> list[str]:
        return [r.project for r in self.rows if r.nightly_test_failed]

    @property
    def latest_wrong(self) -> list[str]:
        return [r.project for r in self.rows if r.latest_wrong]

    @property
    def failed(self) -> bool:
        return bool(self.stale or self.test_failed or self.latest_wrong)

    def problems(self) -> list[str]:
        """One line per kind of problem, for stderr."""
        out = []
        for names, what in ((self.stale, "stale nightly"),
                            (self.test_failed, "newest nightly failed its post-release test"),
                            (self.latest_wrong, "with a wrong latest/")):
            if names:
                out.append(f"{len(names)} {what}: {', '.join(names)}")
        return out

    def as_dict(self) -> dict:
        return {"now": self.now.isoformat(), "stale": self.stale, "test_failed": self.test_failed,
                "latest_wrong": self.latest_wrong, "projects": [r.as_dict() for r in self.rows]}


def statuses(repo, projects, now: datetime, *, nightly_bucket: str | None = None,
             release_bucket: str | None = None) -> StatusReport:
    """Every project's status, read concurrently (a few round trips each), with its post-release
    tests. The buckets default to plumbing.yaml's."""
    from concurrent.futures import ThreadPoolExecutor

    from plumbing.posttest.state import add_test_states
    from plumbing.storage import open_bucket

    nb = open_bucket(nightly_bucket or repo.org.buckets.nightly)
    rb = open_bucket(release_bucket or repo.org.buckets.release)
    with ThreadPoolExecutor(max_workers=8) as pool:
        rows = list(pool.map(lambda p: project_status(p, nb, rb, now), projects))
    add_test_states(rows, nb, rb, public_base=repo.org.public_url)
    return StatusReport(now, rows)
