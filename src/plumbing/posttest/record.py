"""`release test-record`: the test run's verdict and logs beside the release, and a loud failure.

Runs in the test pipeline's `finally`. The steps and their durations come from the run's own
TaskRuns (what Tekton recorded, not what a step said about itself); the versions installed come
from the file the install step left beside the kubeconfig; the verdict is passed only when the
run's aggregate status is Succeeded or Completed and no step failed.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from plumbing import layout, verdict
from plumbing.cluster import logs as run_logs
from plumbing.cluster import runs

# finally tasks that are bookkeeping, not part of what was tested
BOOKKEEPING = ("delete-cluster", "record")
OK_STATUSES = ("Succeeded", "Completed")


def steps_of(run: dict, taskruns: dict[str, dict]) -> list[verdict.Step]:
    out = []
    for state in runs.task_states(run, taskruns):
        if state.name in BOOKKEEPING:
            continue
        result = {runs.SUCCEEDED: verdict.PASSED, runs.FAILED: verdict.FAILED}.get(state.state, "skipped")
        seconds = state.duration() if state.finished else None
        out.append(verdict.Step(state.name, result, round(seconds, 1) if seconds is not None else None))
    return out


def judge(status: str, steps: list[verdict.Step]) -> str:
    ok = status in OK_STATUSES and not any(s.result == verdict.FAILED for s in steps)
    return verdict.PASSED if ok else verdict.FAILED


def record(target, namespace: str, run_name: str, *, project: str, version: str, status: str, bucket,
           bucket_url: str, public_base: str | None, tekton: dict, now: datetime | None = None, out=None):
    """Write test-logs.txt and tested.json; return the Verdict (and whether it was written)."""
    out = out or sys.stdout
    run = runs.get_run(target, namespace, run_name)
    taskruns = runs.get_taskruns(target, namespace, run)
    steps = steps_of(run, taskruns)
    lines = run_logs.collect(target, namespace, run)
    logs_name = layout.release_file(project, version, layout.TEST_LOGS)
    bucket.write(logs_name, ("\n".join(lines) + "\n").encode() if lines else b"",
                 content_type="text/plain; charset=utf-8", if_absent=False)
    started = (run.get("status") or {}).get("startTime") or (run.get("metadata") or {}).get("creationTimestamp")
    record_ = verdict.make_verdict(
        project=project, version=version, verdict=judge(status, steps), run=run_name,
        started=started, finished=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        steps=steps, tekton=tekton, logs=layout.public_url(bucket_url, logs_name, public_base))
    written = verdict.write_verdict(bucket, record_)
    print(f"{project} {version}: {record_.verdict}" + (f" (failed step {record_.failed_step})" if record_.failed_step
                                                         else "")
          + ("" if written else "; a newer test run's verdict stands, not replaced"), file=out, flush=True)
    return record_, written


def read_versions(path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
