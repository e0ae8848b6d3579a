"""What readers show about a release's post-release test: tested and passed, tested and failed
(which step, a link to the logs), or not tested yet. One reading for `release status` and the
status page, from tested.json through plumbing.verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from plumbing import layout, verdict

PASSED, FAILED, UNTESTED, UNREADABLE = verdict.PASSED, verdict.FAILED, verdict.UNTESTED, "unreadable"


@dataclass(frozen=True)
class TestState:
    state: str                       # passed | failed | untested | unreadable
    failed_step: str | None = None
    logs: str | None = None          # the public test-logs.txt URL
    run: str | None = None
    note: str = ""

    @property
    def text(self) -> str:
        """What a person reads (never colour alone)."""
        if self.state == PASSED:
            return "tested, passed"
        if self.state == FAILED:
            return f"tested, FAILED{f' at {self.failed_step}' if self.failed_step else ''}"
        if self.state == UNREADABLE:
            return f"test record unreadable ({self.note})"
        return "not tested yet"

    def as_dict(self) -> dict:
        return {**asdict(self), "text": self.text}


NOT_TESTED = TestState(UNTESTED)


def from_verdict(record: verdict.Verdict | None, logs_url: str | None = None) -> TestState:
    if record is None:
        return NOT_TESTED
    return TestState(record.verdict, record.failed_step, logs_url or record.logs, record.run)


def read_state(bucket, project: str, version: str | None, *, public_base: str | None = None) -> TestState:
    """The test state of one release (untested when there is no version or no record)."""
    if bucket is None or version is None:
        return NOT_TESTED
    try:
        record = verdict.read_verdict(bucket, project, version)
    except verdict.VerdictError as exc:
        return TestState(UNREADABLE, note=str(exc))
    logs = None
    if record is not None and bucket.exists(layout.release_file(project, version, layout.TEST_LOGS)):
        logs = layout.public_url(bucket.url, layout.release_file(project, version, layout.TEST_LOGS), public_base)
    return from_verdict(record, logs)


def add_test_states(rows, nightly_bucket, release_bucket, *, public_base: str | None = None) -> None:
    """Fill each `release status` row's tests with its newest nightly's and full release's state."""
    for row in rows:
        row.tests = {
            "nightly": read_state(nightly_bucket, row.project, row.nightly.version, public_base=public_base).as_dict(),
            "full": read_state(release_bucket, row.project, row.full.version, public_base=public_base).as_dict(),
        }
