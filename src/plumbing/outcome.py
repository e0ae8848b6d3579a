"""The run-outcome record: one small JSON file beside each release, read by the dashboard.

The release pipeline's `finally` task runs `release record`, which writes
`<bucket>/<project>/previous/<version>/outcome.json`:

    {
      "schema": "plumbing.tekton.dev/outcome/v1",
      "project": "pipeline",                          # releases/<project>.yaml
      "mode": "nightly",                               # "nightly" or "full", from the version
      "version": "v20261124-0123456789",
      "commit": "0123456789abcdef0123456789abcdef01234567",   # 40 hex, or null
      "status": "Succeeded",                           # one of STATUSES
      "run": "pipeline-nightly-x7k2p",                 # the PipelineRun's name
      "started": "2026-11-24T03:00:04Z",               # UTC, or null when not known
      "finished": "2026-11-24T03:41:19Z",              # UTC
      "urls": {                                        # where a person finds the files
        "release": ".../pipeline/previous/v20261124-0123456789/release.yaml",
        "release_notags": ".../release.notags.yaml",
        "logs": ".../logs.txt",
        "run": "https://dashboard.example/#/.../pipelineruns/..."   # optional
      }
    }

`status` takes Tekton's aggregate task status (`$(tasks.status)` in a finally task:
Succeeded, Completed, Failed, None) or a PipelineRun's end reason (Cancelled, TimedOut).
Readers must ignore fields they do not know; a new major change gets a new schema string.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from plumbing import layout

SCHEMA = "plumbing.tekton.dev/outcome/v1"
FILENAME = layout.OUTCOME

# Tekton's $(tasks.status) values, then PipelineRun reasons a finally task can be told about.
STATUSES = ("Succeeded", "Completed", "Failed", "None", "Cancelled", "TimedOut")
OK_STATUSES = frozenset({"Succeeded", "Completed"})
FAILED_STATUSES = frozenset({"Failed", "Cancelled", "TimedOut"})

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_RUN = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


class OutcomeError(ValueError):
    """A record (or the values for one) does not follow the schema."""


@dataclass
class Outcome:
    project: str
    mode: str
    version: str
    commit: str | None
    status: str
    run: str
    started: str | None
    finished: str | None
    urls: dict = field(default_factory=dict)
    schema: str = SCHEMA

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    def finished_at(self) -> datetime | None:
        return parse_time(self.finished) if self.finished else None

    def started_at(self) -> datetime | None:
        return parse_time(self.started) if self.started else None

    def as_dict(self) -> dict:
        d = asdict(self)
        return {"schema": d.pop("schema"), **d}

    def to_json(self) -> bytes:
        return (json.dumps(self.as_dict(), indent=2, sort_keys=False) + "\n").encode()


def format_time(when: datetime) -> str:
    """UTC, second precision, trailing Z."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp; naive ones are taken as UTC. OutcomeError when it does not parse."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        raise OutcomeError(f"{text!r} is not an ISO 8601 time such as 2026-11-24T03:00:00Z") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def make_outcome(*, project: str, version: str, status: str, run: str, commit: str | None = None,
                 started: str | datetime | None = None, finished: str | datetime | None = None,
                 bucket_url: str | None = None, public_url: str | None = None,
                 run_url: str | None = None) -> Outcome:
    """A checked record; OutcomeError naming the first bad value."""
    # The checks run in the order of the arguments, so the error names the first bad one.
    if not _NAME.match(project or ""):
        raise OutcomeError(f"project {project!r} is not a lowercase name")
    mode = _mode_of(version)
    status = _canonical_status(status)
    if not _RUN.match(run or "") or len(run) > 253:
        raise OutcomeError(f"run {run!r} is not a PipelineRun name")
    if commit is not None:
        _check_commit(commit, version, mode)
    started_at, finished_at = _times(started, finished)
    urls = _urls(project, version, bucket_url, public_url, run_url)
    return Outcome(project=project, mode=mode, version=version, commit=commit, status=status,
                   run=run, started=started_at, finished=finished_at, urls=urls)


def _mode_of(version: str) -> str:
    """The version's kind (nightly or full)."""
    from plumbing import versions

    try:
        return versions.parse(version).kind
    except versions.VersionError as exc:
        raise OutcomeError(str(exc)) from None


def _canonical_status(status: str) -> str:
    """`status` spelled as in STATUSES, whatever its case."""
    canonical = {s.lower(): s for s in STATUSES}
    if (status or "").lower() not in canonical:
        raise OutcomeError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    return canonical[status.lower()]


def _check_commit(commit: str, version: str, mode: str) -> None:
    """A full SHA, and for a nightly the one its version names."""
    from plumbing import versions

    if not _COMMIT.match(commit):
        raise OutcomeError(f"commit {commit!r} is not a full 40-hex commit SHA (lowercase)")
    if mode == versions.NIGHTLY and not commit.startswith(version[-10:]):
        raise OutcomeError(f"commit {commit[:10]}... does not match nightly {version}, "
                           f"which was built from {version[-10:]}")


def _times(started: str | datetime | None, finished: str | datetime | None) -> tuple[str | None, str | None]:
    """Both times formatted as UTC; the run may not finish before it started."""
    times = []
    for value in (started, finished):
        if isinstance(value, str):
            value = parse_time(value)
        times.append(format_time(value) if value is not None else None)
    started_at, finished_at = times
    if started_at and finished_at and started_at > finished_at:
        raise OutcomeError(f"started {started_at} is after finished {finished_at}")
    return started_at, finished_at


def _urls(project: str, version: str, bucket_url: str | None, public_url: str | None,
          run_url: str | None) -> dict[str, str]:
    """Links to the release's files in the bucket and to the run, where they are known."""
    urls = {}
    if bucket_url:
        def url(name: str) -> str:
            return layout.public_url(bucket_url, layout.release_file(project, version, name), public_url)

        urls = {"release": url(layout.RELEASE_YAML), "release_notags": url(layout.NOTAGS_YAML),
                "logs": url(layout.LOGS)}
    if run_url:
        if not run_url.startswith(("https://", "http://")):
            raise OutcomeError(f"run URL {run_url!r} is not an http(s) URL")
        urls["run"] = run_url
    return urls


def parse_outcome(data: bytes | str) -> Outcome:
    """Read a record; OutcomeError when it is not JSON or misses what the dashboard needs."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OutcomeError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise OutcomeError("not a JSON object")
    schema = raw.get("schema")
    if not isinstance(schema, str) or not schema.startswith(SCHEMA.rsplit("/", 1)[0] + "/v1"):
        raise OutcomeError(f"unknown schema {schema!r}; expected {SCHEMA}")
    for key in ("project", "version", "status", "run"):
        if not isinstance(raw.get(key), str):
            raise OutcomeError(f"field {key!r} is missing or not a string")
    for key in ("started", "finished"):
        if raw.get(key) is not None:
            if not isinstance(raw[key], str):
                raise OutcomeError(f"field {key!r} is not a string")
            parse_time(raw[key])
    urls = raw.get("urls") if isinstance(raw.get("urls"), dict) else {}
    commit = raw.get("commit") if isinstance(raw.get("commit"), str) else None
    return Outcome(project=raw["project"], mode=str(raw.get("mode") or ""), version=raw["version"],
                   commit=commit, status=raw["status"], run=raw["run"],
                   started=raw.get("started"), finished=raw.get("finished"),
                   urls={k: v for k, v in urls.items() if isinstance(v, str)}, schema=schema)


def write_outcome(bucket, outcome: Outcome) -> str:
    """Write (or replace: a re-run's outcome wins) the record; returns the object name."""
    name = layout.release_file(outcome.project, outcome.version, FILENAME)
    bucket.write(name, outcome.to_json(), content_type="application/json", if_absent=False)
    return name
