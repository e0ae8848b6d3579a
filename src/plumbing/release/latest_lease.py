"""Who may move `<project>/latest/` right now: a lease object beside it, taken by compare-and-swap.

Two publishes of different versions used to mirror into latest/ at the same time and leave a mix
of both. Now moving latest/ (deciding whether it moves, mirroring, checking the mirror) happens
only while holding `<project>/latest.lease.json` (layout.latest_lease):

- take: create the object if absent (`if_generation_match=0`), or replace one that is free or
  expired at the generation we read (`if_generation`); whoever loses that race reads again;
- hold: a held lease names its holder (version, a random token, host) and a time to live; a
  later run may break it only after the TTL, counted from the object's own upload time (the
  server's clock, not the other writer's);
- give back: replace it with a free lease at our generation. If that fails, someone broke our
  lease (we outlived the TTL), and the publish says so (exit 1) instead of claiming success.

A publish that finds the lease held waits (bounded) and then decides afresh: a lower version
then sees the higher one and leaves latest/ alone; a higher one mirrors over it. Never a mix.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import time
from datetime import UTC, datetime, timedelta

from plumbing import layout
from plumbing.findings import CheckFailed
from plumbing.storage import AlreadyExists, NotFound, PreconditionFailed

TTL_SECONDS = 600  # far above a mirror's minute or so; a crashed holder blocks for this long
WAIT_SECONDS = 180
FIRST_POLL, LAST_POLL = 0.05, 2.0


class LeaseLost(CheckFailed):
    """Our lease was broken by another publish while we held it (we outlived the TTL)."""


class Lease:
    def __init__(self, bucket, project: str, version: str, generation: int, token: str):
        self.bucket, self.project, self.version = bucket, project, version
        self.generation, self.token = generation, token
        self.name = layout.latest_lease(project)

    def check(self) -> None:
        """LeaseLost unless the lease object is still the one we wrote."""
        blob = self.bucket.stat(self.name)
        if blob is None or blob.generation != self.generation:
            raise LeaseLost(f"{self.bucket.object_url(self.name)}: another publish broke our lease on latest/ "
                            f"while {self.version} was being mirrored; re-run this publish to check latest/")

    def give_back(self) -> None:
        body = _body("free", self.version, self.token, 0)
        try:
            self.bucket.write(self.name, body, content_type="application/json", if_generation=self.generation)
        except PreconditionFailed:
            raise LeaseLost(f"{self.bucket.object_url(self.name)}: our lease on latest/ was broken while "
                            f"{self.version} was being mirrored; re-run this publish to check latest/") from None


def _body(state: str, version: str, token: str, ttl: int) -> bytes:
    return json.dumps({"state": state, "version": version, "token": token, "ttl_seconds": ttl,
                       "host": socket.gethostname(), "pid": os.getpid()}, sort_keys=True).encode()


def _holder(bucket, name: str) -> tuple[object, dict | None]:
    """(Blob, parsed body) of the lease now; body None when it is unreadable (breakable)."""
    blob = bucket.stat(name)
    if blob is None:
        return None, None
    try:
        body = json.loads(bucket.read(name))
    except (NotFound, ValueError):
        return blob, None
    return blob, body if isinstance(body, dict) else None


def _free(blob, body: dict | None, now: datetime) -> bool:
    if body is None or body.get("state") != "held":
        return True
    ttl = body.get("ttl_seconds")
    if not isinstance(ttl, int) or blob.updated is None:
        return True
    return now > blob.updated + timedelta(seconds=ttl)


def is_held(bucket, project: str) -> bool:
    """Is another publish holding the project's latest/ lease right now?"""
    name = layout.latest_lease(project)
    blob, body = _holder(bucket, name)
    return blob is not None and not _free(blob, body, datetime.now(UTC))


def take(bucket, project: str, version: str, *, ttl: int = TTL_SECONDS, wait: float = WAIT_SECONDS,
         sleep=time.sleep, clock=time.monotonic) -> Lease:
    """Take the project's latest/ lease, waiting up to `wait` seconds for a holder to finish."""
    name = layout.latest_lease(project)
    token = secrets.token_hex(8)
    body = _body("held", version, token, ttl)
    deadline, delay = clock() + wait, FIRST_POLL
    while True:
        blob, current = _holder(bucket, name)
        try:
            if blob is None:
                made = bucket.write(name, body, content_type="application/json", if_absent=True)
                return Lease(bucket, project, version, made.generation, token)
            if _free(blob, current, datetime.now(UTC)):
                made = bucket.write(name, body, content_type="application/json", if_generation=blob.generation)
                return Lease(bucket, project, version, made.generation, token)
        except (AlreadyExists, PreconditionFailed):
            continue  # another publish took it between our read and our write: read again
        if clock() + delay > deadline:
            who = (current or {}).get("version", "?")
            raise CheckFailed(
                f"{bucket.object_url(layout.latest_folder(project))} is being moved by another publish "
                f"({who}, lease {bucket.object_url(name)}) for more than {wait:.0f}s; {version} is published "
                f"under previous/, re-run this publish to finish latest/")
        sleep(delay)
        delay = min(LAST_POLL, delay * 2)


@contextlib.contextmanager
def held(bucket, project: str, version: str, **kw):
    """`with held(bucket, project, version) as lease:` take, yield, give back. On an error
    inside, the lease is still given back (best effort) so the next run need not wait out the TTL."""
    lease = take(bucket, project, version, **kw)
    try:
        yield lease
    except BaseException:
        with contextlib.suppress(Exception):
            lease.give_back()
        raise
    lease.give_back()
