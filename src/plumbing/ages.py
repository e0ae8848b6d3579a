"""Schedules and ages: how often a nightly runs, how old something is, and how that reads.

`release status` (from its watchdog CronJob) and the status page both decide "stale" with
`schedule_period`, and both print ages with `human_age`, so they can never disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plumbing.findings import PlumbingError

HORIZON = timedelta(days=14)
MAX_RUNS = 2000


def schedule_period(expr: str, now: datetime) -> timedelta:
    """The longest gap between consecutive runs of `expr` (UTC) from `now` over the next
    fortnight: "0 3 * * *" is a day, "0 3 * * 1-5" three days (Friday to Monday), so a
    weekday-only nightly is not stale every Monday."""
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
    """'45 minutes', '1 hour', '30 hours', '2 days 3 hours'; ValueError for a negative age
    (something dated after `now`: callers say so instead of calling it fresh)."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        raise ValueError(f"negative age {delta}")
    if seconds < 3600:
        minutes = seconds // 60
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = seconds // 3600
    if hours < 48:
        return "1 hour" if hours == 1 else f"{hours} hours"
    days, hours = divmod(hours, 24)
    return f"{days} days" + (f" {hours} hour{'s' if hours != 1 else ''}" if hours else "")


def parse_iso(text: str | None) -> datetime | None:
    """A timestamp as Kubernetes and GitHub write it (`2026-11-24T03:00:00Z`); None when absent
    or unreadable (status fields are optional and never worth failing a view over)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_now(text: str | None) -> datetime:
    """--now for status views: an ISO 8601 time (naive means UTC), or the current time."""
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PlumbingError(f"--now {text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
