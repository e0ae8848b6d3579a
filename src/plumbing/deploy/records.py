"""What the deploy keeps in the logs bucket, per stack:

    deploys/<stack>/lock.json                  the deploy running now (one at a time per stack)
    deploys/<stack>/last-good.json             the last commit that passed verification
    deploys/<stack>/records/<started>-<commit>.json   one record per deploy run

The lock is created only where none exists (if_absent); an expired lock (a pod killed before it
released it) is taken over with a generation precondition. The last-good marker moves only with
a generation precondition, so two writers can never both move it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from plumbing.findings import CheckFailed
from plumbing.storage import AlreadyExists, PreconditionFailed

SCHEMA = "plumbing.tekton.dev/deploy/v1"
LOCK_TTL = timedelta(hours=2)   # longer than the deploy pipeline's timeout

# Results of one deploy run.
UNCHANGED = "unchanged"            # preview found nothing to change: nothing was applied
DEPLOYED = "deployed"              # applied and verified; last-good moved
PREVIEW_FAILED = "preview-failed"  # nothing was applied
ROLLED_BACK = "rolled-back"        # up or verification failed; last-good re-applied and verified
ROLLBACK_FAILED = "rollback-failed"
FAILED = "failed"                  # up or verification failed and there was no last-good to go back to
MARKER_RACED = "marker-raced"      # verified, but another writer moved last-good first
GOOD = (UNCHANGED, DEPLOYED)


def folder(stack: str) -> str:
    return f"deploys/{stack}"


def lock_name(stack: str) -> str:
    return f"{folder(stack)}/lock.json"


def marker_name(stack: str) -> str:
    return f"{folder(stack)}/last-good.json"


def record_name(stack: str, started: str, commit: str) -> str:
    return f"{folder(stack)}/records/{started.replace(':', '')}-{commit[:12]}.json"


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dump(data: dict) -> bytes:
    return (json.dumps({"schema": SCHEMA, **data}, indent=2, sort_keys=True) + "\n").encode()


class Busy(CheckFailed):
    """Another deploy of the stack holds the lock (exit 1); this one changed nothing."""


@dataclass(frozen=True)
class Lock:
    stack: str
    holder: str
    generation: int


def acquire(bucket, stack: str, *, holder: str, commit: str, now: datetime) -> Lock:
    """Take the stack's deploy lock or raise Busy naming who holds it. A lock older than LOCK_TTL
    is taken over (compare-and-swap: of two runs taking over, one wins)."""
    name = lock_name(stack)
    body = _dump({"stack": stack, "holder": holder, "commit": commit, "since": _iso(now)})
    try:
        blob = bucket.write(name, body, if_absent=True)
        return Lock(stack, holder, blob.generation)
    except AlreadyExists:
        pass
    current = bucket.stat(name)
    held = json.loads(bucket.read(name)) if current else {}
    since = datetime.fromisoformat(held.get("since", _iso(now)).replace("Z", "+00:00"))
    if current is not None and now - since > LOCK_TTL:
        try:
            blob = bucket.write(name, body, if_absent=False, if_generation=current.generation)
            return Lock(stack, holder, blob.generation)
        except PreconditionFailed:
            held = json.loads(bucket.read(name))
    raise Busy(f"stack {stack}: deploy {held.get('holder', '?')} of commit {str(held.get('commit', '?'))[:12]} "
               f"is running since {held.get('since', '?')}; this run changed nothing (the next push or the "
               "hourly catch-up deploys the newest commit)")


def release(bucket, lock: Lock) -> None:
    """Drop the lock if it is still ours (a taken-over lock belongs to someone else now)."""
    current = bucket.stat(lock_name(lock.stack))
    if current is not None and current.generation == lock.generation:
        bucket.delete(lock_name(lock.stack))


@dataclass(frozen=True)
class Marker:
    commit: str
    image: str
    verified: str
    generation: int


def read_marker(bucket, stack: str) -> Marker | None:
    name = marker_name(stack)
    blob = bucket.stat(name)
    if blob is None:
        return None
    data = json.loads(bucket.read(name))
    return Marker(data["commit"], data["image"], data["verified"], blob.generation)


def move_marker(bucket, stack: str, *, commit: str, image: str, now: datetime, seen: Marker | None) -> bool:
    """Point last-good at `commit` only if it is still what this run read (`seen`); False when
    another writer moved it in between (nothing overwritten)."""
    body = _dump({"stack": stack, "commit": commit, "image": image, "verified": _iso(now)})
    try:
        if seen is None:
            bucket.write(marker_name(stack), body, if_absent=True)
        else:
            bucket.write(marker_name(stack), body, if_absent=False, if_generation=seen.generation)
    except (AlreadyExists, PreconditionFailed):
        return False
    return True


@dataclass
class Record:
    """One deploy run, as written to the logs bucket."""

    stack: str
    commit: str
    image: str
    run: str
    started: str
    previous: str | None = None        # last-good commit when the run started
    preview: dict = field(default_factory=dict)
    result: str = ""
    failure: str | None = None
    rolled_back: bool = False
    rollback_failure: str | None = None
    finished: str | None = None
    notified: bool = False

    @property
    def good(self) -> bool:
        return self.result in GOOD

    def to_json(self) -> bytes:
        return _dump(asdict(self))


def write_record(bucket, record: Record) -> str:
    name = record_name(record.stack, record.started, record.commit)
    bucket.write(name, record.to_json(), if_absent=True)
    return name


def records(bucket, stack: str, limit: int = 20) -> list[dict]:
    """The newest `limit` records of a stack, newest first (names sort by start time)."""
    blobs = sorted(bucket.list(f"{folder(stack)}/records/"), key=lambda b: b.name, reverse=True)[:limit]
    return [json.loads(bucket.read(b.name)) for b in blobs]


def status(bucket, stack: str, now: datetime) -> dict:
    """What the status page shows per stack: the deployed commit, its age, the last failed deploy."""
    from plumbing.ages import human_age

    marker = read_marker(bucket, stack)
    recent = records(bucket, stack)
    last = recent[0] if recent else None
    out = {"stack": stack, "deployed": None, "age": None, "last": last,
           # a failure shows until a later deploy succeeds
           "failed": last if last is not None and last.get("result") not in GOOD else None}
    if marker is not None:
        verified = datetime.fromisoformat(marker.verified.replace("Z", "+00:00"))
        out.update(deployed=marker.commit, image=marker.image, verified=marker.verified,
                   age=human_age(max(now - verified, timedelta(0))))
    return out


def statuses(bucket, root, now: datetime) -> list[dict]:
    """status() of every stack (Pulumi.<stack>.yaml at `root`) that has deployed at least once."""
    from pathlib import Path

    stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in Path(root).glob("Pulumi.*.yaml"))
    out = []
    for stack in stacks:
        row = status(bucket, stack, now)
        if row["deployed"] or row["last"]:
            out.append(row)
    return out
