"""Following a PipelineRun: task states as they change, step logs as they come, the verdict.

Not a TTY (CI, pipes, tests): one plain line per change. A TTY with rich importable: a live table.
Exit 0 when the run succeeded, 1 when it failed (naming the failed task and its last log lines),
130 when detached with Ctrl-C (the run keeps going; `release follow RUN` re-attaches).
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import UTC, datetime

from plumbing.ages import parse_iso
from plumbing.cluster import runs
from plumbing.cluster.kube import Target, api_error
from plumbing.findings import EXIT_FAILED, EXIT_OK, PlumbingError

EXIT_DETACHED = 130
TAIL_LINES = 20
MAX_POLL_ERRORS = 5


def poll_interval(interval: float | None = None) -> float:
    """Seconds between polls: the argument, else $PLUMBING_POLL_INTERVAL, else 2."""
    if interval is not None:
        return interval
    import os

    try:
        return max(0.01, float(os.environ.get("PLUMBING_POLL_INTERVAL", "2")))
    except ValueError:
        return 2.0


def reattach_hint(name: str, namespace: str) -> str:
    return f"release follow {name} -n {namespace}"


class PlainView:
    """One line per change: `task  state  duration`."""

    def __init__(self, out):
        self.out = out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def line(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def changed(self, state: runs.TaskState, states: list[runs.TaskState]) -> None:
        extra = runs.format_duration(state.duration()) if state.state in runs.DONE else ""
        if state.state in (runs.FAILED, runs.SKIPPED) and state.reason:
            extra = f"{extra} ({state.reason})".strip()
        self.line(f"{state.name:<24} {state.state:<9} {extra}".rstrip())

    def tick(self, states: list[runs.TaskState]) -> None:
        pass


class RichView:
    """A live table of every task, refreshed on every poll; log lines print above it."""

    COLOURS = {runs.PENDING: "dim", runs.RUNNING: "yellow", runs.SUCCEEDED: "green",
               runs.FAILED: "bold red", runs.SKIPPED: "cyan"}

    def __init__(self, out, title: str):
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=out)
        self.title = title
        self.live = Live(self._table([]), console=self.console, refresh_per_second=4,
                         transient=False)

    def __enter__(self):
        self.live.__enter__()
        return self

    def __exit__(self, *exc):
        return self.live.__exit__(*exc)

    def _table(self, states):
        from rich.table import Table

        table = Table(title=self.title, expand=False)
        table.add_column("task")
        table.add_column("state")
        table.add_column("duration", justify="right")
        for s in states:
            colour = self.COLOURS.get(s.state, "")
            state = f"[{colour}]{s.state}[/]" if colour else s.state
            if s.reason and s.state in (runs.FAILED, runs.SKIPPED):
                state += f" ({s.reason})"
            table.add_row(s.name, state, runs.format_duration(s.duration()))
        return table

    def line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def changed(self, state, states) -> None:
        pass

    def tick(self, states) -> None:
        self.live.update(self._table(states))


def make_view(out, title: str):
    if hasattr(out, "isatty") and out.isatty():
        try:
            return RichView(out, title)
        except ImportError:
            pass
    return PlainView(out)


def follow_run(target: Target, namespace: str, name: str, *, logs: bool = False, out=None,
               interval: float | None = None, detach: threading.Event | None = None) -> int:
    """Follow until the run ends; return its exit code (0, 1), or 130 when detached."""
    out = out or sys.stdout
    interval = poll_interval(interval)
    view = make_view(out, f"PipelineRun {namespace}/{name}")
    seen: dict[str, tuple] = {}
    printed_steps: dict[tuple[str, str], int] = {}
    errors = 0
    try:
        with view:
            view.line(f"following PipelineRun {name} in {namespace} (Ctrl-C detaches)")
            while True:
                if detach is not None and detach.is_set():
                    raise KeyboardInterrupt
                try:
                    run = runs.get_run(target, namespace, name)
                    taskruns = runs.get_taskruns(target, namespace, run)
                    errors = 0
                except Exception as exc:  # noqa: BLE001 - API hiccups: retry a few polls, then stop
                    errors += 1
                    if _gone(exc) or errors >= MAX_POLL_ERRORS:
                        raise PlumbingError(f"cannot read PipelineRun {namespace}/{name}: "
                                            f"{_describe(exc)}") from None
                    view.line(f"(API error, retrying: {_describe(exc)})")
                    _sleep(interval, detach)
                    continue
                states = runs.task_states(run, taskruns)
                for s in states:
                    if seen.get(s.name) != s.key():
                        if s.name in seen or s.state != runs.PENDING:
                            view.changed(s, states)
                        seen[s.name] = s.key()
                view.tick(states)
                if logs:
                    _print_new_logs(target, namespace, run, taskruns, printed_steps, view)
                outcome = runs.run_outcome(run)
                if outcome is not None:
                    return _verdict(target, namespace, run, taskruns, states, outcome, view)
                _sleep(interval, detach)
    except KeyboardInterrupt:
        print(f"detached: PipelineRun {name} keeps running; re-attach with: "
              f"{reattach_hint(name, namespace)}", file=out, flush=True)
        return EXIT_DETACHED


def _gone(exc: BaseException) -> bool:
    return getattr(exc, "status", None) in (401, 403, 404)


def _describe(exc: BaseException) -> str:
    if hasattr(exc, "status") and hasattr(exc, "body"):
        return api_error(exc)
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _sleep(interval: float, detach: threading.Event | None) -> None:
    if detach is not None:
        detach.wait(interval)
    else:
        time.sleep(interval)


def _print_new_logs(target, namespace, run, taskruns, printed: dict, view) -> None:
    """Print each step's new complete lines: running steps as their log grows, the rest of a
    step's log (and any read error) once it has finished. `printed` counts lines per step."""
    for task in runs.task_order(run) + sorted(set(taskruns) - set(runs.task_order(run))):
        tr = taskruns.get(task)
        if tr is None:
            continue
        pod_started = bool((tr.get("status") or {}).get("podName"))
        for step in runs.steps(tr):
            key = (tr["metadata"]["name"], step.name)
            done = printed.get(key, 0)
            if done < 0 or not (step.terminated or pod_started):
                continue  # finished and printed, or nothing to read yet
            text, why = runs.step_log_text(target, namespace, tr, step)
            if text is None:
                lines = [f"({why})"] if step.terminated else []
            else:
                lines = text.splitlines()
                if not step.terminated and text and not text.endswith("\n"):
                    lines = lines[:-1]  # a line still being written
            for line in lines[done:]:
                view.line(f"[{task}/{step.name}] {line}")
            printed[key] = -1 if step.terminated else max(done, len(lines))


def _verdict(target, namespace, run, taskruns, states, outcome, view) -> int:
    name = run["metadata"]["name"]
    _, reason, message = runs.condition(run)
    started = parse_iso((run.get("status") or {}).get("startTime"))
    finished = parse_iso((run.get("status") or {}).get("completionTime"))
    took = ""
    if started:
        took = " in " + runs.format_duration(
            ((finished or datetime.now(UTC)) - started).total_seconds())
    if outcome == runs.SUCCEEDED:
        view.line(f"PipelineRun {name} succeeded{took}")
        return EXIT_OK
    failed = [s for s in states if s.state == runs.FAILED]
    view.line(f"PipelineRun {name} failed{took}: {reason or 'Failed'}"
              + (f": {' '.join(message.split())}" if message else ""))
    for s in failed:
        view.line(f"failed task: {s.name}" + (f" ({s.reason})" if s.reason else ""))
        tr = taskruns.get(s.name)
        if tr is None:
            continue
        step_list = runs.steps(tr)
        bad = [st for st in step_list if st.exit_code not in (None, 0)] or step_list[-1:]
        for step in bad:
            lines = runs.step_log(target, namespace, tr, step)[-TAIL_LINES:]
            view.line(f"last {len(lines)} log lines of {s.name}/{step.name}:")
            for line in lines:
                view.line(f"[{s.name}/{step.name}] {line}")
    return EXIT_FAILED
