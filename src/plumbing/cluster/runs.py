"""Reading Tekton objects: a PipelineRun, its TaskRuns, their states, durations and step logs.

Pure functions over the API's dicts plus a few small readers; no printing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from plumbing.ages import parse_iso
from plumbing.cluster.kube import TEKTON_GROUP, TEKTON_VERSION, Target

RUN_LABEL = "tekton.dev/pipelineRun"
TASK_LABEL = "tekton.dev/pipelineTask"

PENDING, RUNNING, SUCCEEDED, FAILED, SKIPPED = "pending", "running", "succeeded", "failed", "skipped"
DONE = (SUCCEEDED, FAILED, SKIPPED)


@dataclass(frozen=True)
class TaskState:
    name: str                 # the pipeline task's name
    state: str                # pending | running | succeeded | failed | skipped
    taskrun: str | None = None
    started: datetime | None = None
    finished: datetime | None = None
    reason: str = ""

    def duration(self, now: datetime | None = None) -> float | None:
        if self.started is None:
            return None
        end = self.finished or now or datetime.now(UTC)
        return max(0.0, (end - self.started).total_seconds())

    def key(self) -> tuple:
        return (self.state, self.taskrun, self.finished, self.reason)




def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def condition(obj: dict | None) -> tuple[str, str, str]:
    """The Succeeded condition: (status 'True'|'False'|'Unknown', reason, message)."""
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Succeeded":
            return str(cond.get("status", "Unknown")), cond.get("reason") or "", cond.get("message") or ""
    return "Unknown", "", ""


def run_outcome(run: dict) -> str | None:
    """None while running, else SUCCEEDED or FAILED."""
    status, _, _ = condition(run)
    return {"True": SUCCEEDED, "False": FAILED}.get(status)


def pipeline_spec(run: dict) -> dict:
    status = run.get("status") or {}
    return status.get("pipelineSpec") or (run.get("spec") or {}).get("pipelineSpec") or {}


def task_order(run: dict) -> list[str]:
    """Pipeline task names in the order the pipeline declares them, `finally` last."""
    spec = pipeline_spec(run)
    names = [t.get("name") for t in spec.get("tasks") or []]
    names += [t.get("name") for t in spec.get("finally") or []]
    return [n for n in names if n]


def get_run(target: Target, namespace: str, name: str) -> dict:
    return target.custom.get_namespaced_custom_object(
        TEKTON_GROUP, TEKTON_VERSION, namespace, "pipelineruns", name)


def get_taskruns(target: Target, namespace: str, run: dict) -> dict[str, dict]:
    """The run's TaskRuns by pipeline task name: childReferences, else the pipelineRun label."""
    from kubernetes.client import ApiException

    name = run["metadata"]["name"]
    listing = target.custom.list_namespaced_custom_object(
        TEKTON_GROUP, TEKTON_VERSION, namespace, "taskruns", label_selector=f"{RUN_LABEL}={name}")
    by_name = {
        tr["metadata"]["name"]: tr for tr in listing.get("items") or []
        if ((tr.get("metadata") or {}).get("labels") or {}).get(RUN_LABEL) == name
    }
    result: dict[str, dict] = {}
    refs = [r for r in ((run.get("status") or {}).get("childReferences") or [])
            if r.get("kind", "TaskRun") == "TaskRun"]
    for ref in refs:
        tr = by_name.get(ref.get("name"))
        if tr is None:
            try:
                tr = target.custom.get_namespaced_custom_object(
                    TEKTON_GROUP, TEKTON_VERSION, namespace, "taskruns", ref["name"])
            except ApiException as exc:
                if exc.status == 404:
                    continue
                raise
        result[ref.get("pipelineTaskName") or ref["name"]] = tr
    for tr in by_name.values():
        task = (tr["metadata"].get("labels") or {}).get(TASK_LABEL) or tr["metadata"]["name"]
        result.setdefault(task, tr)
    return result


def task_states(run: dict, taskruns: dict[str, dict]) -> list[TaskState]:
    skipped = {s.get("name"): s.get("reason") or "" for s in
               ((run.get("status") or {}).get("skippedTasks") or [])}
    names = task_order(run)
    names += sorted(n for n in {*taskruns, *skipped} if n not in names)
    states = []
    for name in names:
        tr = taskruns.get(name)
        if tr is None:
            if name in skipped:
                states.append(TaskState(name, SKIPPED, reason=skipped[name]))
            else:
                states.append(TaskState(name, PENDING))
            continue
        status, reason, _ = condition(tr)
        st = tr.get("status") or {}
        state = {"True": SUCCEEDED, "False": FAILED}.get(status) or (
            PENDING if reason == "Pending" or not st.get("startTime") else RUNNING)
        states.append(TaskState(name, state, tr["metadata"]["name"], parse_iso(st.get("startTime")),
                                parse_iso(st.get("completionTime")), reason))
    return states


@dataclass(frozen=True)
class Step:
    name: str
    container: str
    terminated: bool
    exit_code: int | None


def steps(taskrun: dict) -> list[Step]:
    """The TaskRun's steps in order, from status.steps (or the task spec before they start)."""
    st = taskrun.get("status") or {}
    result = []
    for s in st.get("steps") or []:
        term = s.get("terminated")
        result.append(Step(s.get("name", ""), s.get("container") or f"step-{s.get('name', '')}",
                           term is not None, (term or {}).get("exitCode")))
    if not result:
        for s in ((st.get("taskSpec") or {}).get("steps") or []):
            result.append(Step(s.get("name", ""), f"step-{s.get('name', '')}", False, None))
    return result


def step_log_text(target: Target, namespace: str, taskrun: dict, step: Step) -> tuple[str | None, str]:
    """(the step's whole log so far, '') or (None, why it cannot be read)."""
    from kubernetes.client import ApiException

    pod = (taskrun.get("status") or {}).get("podName")
    if not pod:
        return None, "no pod: the task never started"
    try:
        text = target.core.read_namespaced_pod_log(pod, namespace, container=step.container)
    except ApiException as exc:
        from plumbing.cluster.kube import api_error

        return None, f"log unavailable: {api_error(exc)}"
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text or ""), ""


def step_log(target: Target, namespace: str, taskrun: dict, step: Step) -> list[str]:
    """A step's log lines; one explanatory line when the pod or container is gone."""
    text, why = step_log_text(target, namespace, taskrun, step)
    return [f"({why})"] if text is None else text.splitlines()
