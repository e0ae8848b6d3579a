"""The post-release test verdict: `tested.json` beside a published release.

`release test` (the post-release test pipeline) writes it; `release status`, the status page and
`plumbing versions` read it. A verdict is never replaced by one from an older test run: the
record carries the run's start time, and a write only lands when it is newer than what is there
(checked under a generation precondition, so two writers cannot both win).

    {
      "schema": "plumbing.tekton.dev/tested/v1",
      "project": "pipeline", "version": "v1.2.3",
      "verdict": "passed",                  # passed | failed
      "run": "test-pipeline-v1.2.3-x7k2p",  # the test PipelineRun
      "started": "2026-11-24T03:00:04Z", "finished": "2026-11-24T03:21:19Z",
      "steps": [{"name": "install", "result": "passed", "seconds": 41.0}, ...],
      "tekton": {"pipeline": "v1.0.0"},     # what the throwaway cluster ran, where relevant
      "failed_step": null,                  # the first failed step's name
      "logs": "https://.../test-logs.txt"   # optional
    }
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from plumbing import layout
from plumbing.findings import PlumbingError

SCHEMA = "plumbing.tekton.dev/tested/v1"
PASSED = "passed"
FAILED = "failed"
VERDICTS = (PASSED, FAILED)
# What readers show when there is no record.
UNTESTED = "untested"


class VerdictError(PlumbingError):
    """A verdict record (or the values for one) does not follow the schema."""


@dataclass(frozen=True)
class Step:
    name: str
    result: str          # passed | failed | skipped
    seconds: float | None = None


@dataclass(frozen=True)
class Verdict:
    project: str
    version: str
    verdict: str
    run: str
    started: str          # UTC ISO 8601, second precision, trailing Z (orders as text)
    finished: str | None = None
    steps: tuple[Step, ...] = ()
    tekton: dict = field(default_factory=dict)
    failed_step: str | None = None
    logs: str | None = None
    schema: str = SCHEMA

    @property
    def passed(self) -> bool:
        return self.verdict == PASSED

    def to_json(self) -> bytes:
        data = asdict(self)
        data["steps"] = [asdict(s) for s in self.steps]
        return (json.dumps({"schema": data.pop("schema"), **data}, indent=2) + "\n").encode()


def make_verdict(*, project: str, version: str, verdict: str, run: str, started: str,
                 finished: str | None = None, steps=(), tekton: dict | None = None,
                 logs: str | None = None) -> Verdict:
    """A checked record; VerdictError naming the first bad value."""
    from plumbing.outcome import OutcomeError, format_time, parse_time
    from plumbing.versions import VersionError, parse

    if verdict not in VERDICTS:
        raise VerdictError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
    try:
        parse(version)
        started = format_time(parse_time(started))
        finished = format_time(parse_time(finished)) if finished else None
    except (VersionError, OutcomeError) as exc:
        raise VerdictError(str(exc)) from None
    steps = tuple(s if isinstance(s, Step) else Step(**s) for s in steps)
    failed = next((s.name for s in steps if s.result == FAILED), None)
    return Verdict(project=project, version=version, verdict=verdict, run=run, started=started,
                   finished=finished, steps=steps, tekton=dict(tekton or {}), failed_step=failed, logs=logs)


def parse_verdict(data: bytes | str) -> Verdict:
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise VerdictError(f"tested.json is not JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
        raise VerdictError(f"tested.json: unknown schema {raw.get('schema') if isinstance(raw, dict) else raw!r}")
    try:
        return make_verdict(project=raw["project"], version=raw["version"], verdict=raw["verdict"],
                            run=raw["run"], started=raw["started"], finished=raw.get("finished"),
                            steps=raw.get("steps") or (), tekton=raw.get("tekton"), logs=raw.get("logs"))
    except (KeyError, TypeError) as exc:
        raise VerdictError(f"tested.json: missing or bad field {exc}") from None


def read_verdict(bucket, project: str, version: str) -> Verdict | None:
    """The verdict for a release, None when it was not tested yet."""
    from plumbing.storage import NotFound

    try:
        return parse_verdict(bucket.read(layout.release_file(project, version, layout.TESTED)))
    except NotFound:
        return None


def write_verdict(bucket, verdict: Verdict) -> bool:
    """Write the record unless a newer test run's verdict is there; True when written.

    Create-if-absent first; when a record exists, replace it only if ours started later, with a
    precondition on the generation we read (a concurrent writer makes us look again)."""
    from plumbing.storage import AlreadyExists, PreconditionFailed

    name = layout.release_file(verdict.project, verdict.version, layout.TESTED)
    for _ in range(5):
        there = bucket.stat(name)
        if there is None:
            try:
                bucket.write(name, verdict.to_json(), content_type="application/json", if_absent=True)
                return True
            except AlreadyExists:
                continue
        current = parse_verdict(bucket.read(name))
        if current.started >= verdict.started:
            return False  # an equal or newer run's verdict stands
        try:
            bucket.write(name, verdict.to_json(), content_type="application/json", if_generation=there.generation)
            return True
        except PreconditionFailed:
            continue
    raise VerdictError(f"{bucket.object_url(name)}: changed under us five times; not written")
