"""The deploy decisions, in order, for one stack and one commit (the deploy pipeline's `deploy`
step runs `plumbing deploy run`, which calls `deploy`):

1. take the stack's lock (a second deploy is refused: Busy, nothing changed);
2. preview with the commit's program and image, saving the plan; a failed preview or no change
   ends the run here, having changed nothing;
3. up with the saved plan (what is applied is what was previewed);
4. verify; passed: move last-good (compare-and-swap) and stop;
5. up or verification failed: roll back by applying the last-good commit's program and image,
   verify again; notify in every failed case;
6. write the record, drop the lock.

The pre-deploy checks (release check, lint, infra plan) and the image build are earlier tasks of
the pipeline: this step only runs when they passed. Pulumi is reached through `Engine`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from plumbing.deploy import records as rec
from plumbing.deploy.pulumi_cli import Engine, PulumiError
from plumbing.findings import PlumbingError


@dataclass(frozen=True)
class Request:
    stack: str
    commit: str
    image: str           # the plumbing image digest built for `commit`
    workdir: Path        # a checkout of the plumbing repository at `commit`
    run: str             # the PipelineRun's name, for the record and the messages


# verify(stack, image) -> the names of the gates that failed (empty: verified)
Verifier = Callable[[str, str], list]
# checkout(commit) -> a folder holding the plumbing repository at that commit
Checkout = Callable[[str], Path]
Notifier = Callable[[rec.Record], bool]


def _now() -> datetime:
    return datetime.now(UTC)


def deploy(req: Request, *, engine: Engine, verify: Verifier, checkout: Checkout, bucket,
           notify: Notifier, clock: Callable[[], datetime] = _now) -> rec.Record:
    """Run one deploy and return its record (also written to `bucket`). Raises rec.Busy when
    another deploy of the stack holds the lock."""
    lock = rec.acquire(bucket, req.stack, holder=req.run, commit=req.commit, now=clock())
    try:
        marker = rec.read_marker(bucket, req.stack)
        record = rec.Record(stack=req.stack, commit=req.commit, image=req.image, run=req.run,
                            started=rec._iso(clock()), previous=marker.commit if marker else None)
        _apply(req, record, marker, engine=engine, verify=verify, checkout=checkout, bucket=bucket, clock=clock)
        if not record.good:
            record.notified = bool(notify(record))
        record.finished = rec._iso(clock())
        rec.write_record(bucket, record)
        return record
    finally:
        rec.release(bucket, lock)


def _apply(req: Request, record: rec.Record, marker: rec.Marker | None, *, engine, verify, checkout, bucket,
           clock) -> None:
    with tempfile.TemporaryDirectory(prefix="plumbing-deploy-") as tmp:
        try:
            preview = engine.preview(req.workdir, req.stack, image=req.image, plan_file=Path(tmp) / "plan.json")
        except PulumiError as exc:
            record.result, record.failure = rec.PREVIEW_FAILED, f"preview: {exc}"
            return
        record.preview = dict(preview.changes)
        if not preview.changed:
            record.result = rec.UNCHANGED
            return
        failure = _up_and_verify(engine, verify, req.workdir, req.stack, req.image, preview.plan_file)
    if failure is None:
        moved = rec.move_marker(bucket, req.stack, commit=req.commit, image=req.image, now=clock(), seen=marker)
        record.result = rec.DEPLOYED if moved else rec.MARKER_RACED
        if not moved:
            record.failure = "verified, but another deploy moved last-good first; it was left as that deploy set it"
        return
    record.failure = failure
    if marker is None:
        record.result = rec.FAILED
        return
    record.rolled_back = True
    try:
        folder = checkout(marker.commit)
    except PlumbingError as exc:
        record.result, record.rollback_failure = rec.ROLLBACK_FAILED, f"checkout {marker.commit[:12]}: {exc}"
        return
    # No saved plan: the previous program is applied as it is, over whatever `up` left.
    again = _up_and_verify(engine, verify, folder, req.stack, marker.image, None)
    record.result = rec.ROLLED_BACK if again is None else rec.ROLLBACK_FAILED
    record.rollback_failure = again


def _up_and_verify(engine, verify, workdir: Path, stack: str, image: str, plan_file) -> str | None:
    """None when applied and verified, else what failed, in one line."""
    try:
        engine.up(workdir, stack, image=image, plan_file=plan_file)
    except PulumiError as exc:
        return f"up: {exc}"
    failed = verify(stack, image)
    return f"verify: {', '.join(failed)}" if failed else None


def summary(record: rec.Record) -> str:
    """One line for people and for the notification."""
    head = f"deploy of {record.stack} at {record.commit[:12]}: {record.result}"
    if record.preview:
        head += " (" + ", ".join(f"{n} to {op}" for op, n in sorted(record.preview.items())) + ")"
    if record.failure:
        head += f"; {record.failure}"
    if record.rolled_back:
        back = (record.previous or "?")[:12]
        head += f"; rolled back to {back}" + (f" and that failed too: {record.rollback_failure}"
                                              if record.rollback_failure else ", verified")
    return head
