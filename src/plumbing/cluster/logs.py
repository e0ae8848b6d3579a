"""Every TaskRun's step logs for one PipelineRun, in task then step order, `[task/step] ` prefixed.

`release logs RUN` prints them; `--upload` writes them as logs.txt next to the release
(`<bucket>/<project>/previous/<version>/logs.txt`), replacing an older copy: a re-run refreshes it.
The release pipeline's `finally` runs it, so failed runs' logs are public too.
"""

from __future__ import annotations

from plumbing import layout
from plumbing.cluster import runs
from plumbing.cluster.kube import Target
from plumbing.findings import PlumbingError

PROJECT_LABEL = "plumbing.tekton.dev/project"
MODE_LABEL = "plumbing.tekton.dev/mode"
VERSION_KEY = "plumbing.tekton.dev/version"


def collect(target: Target, namespace: str, run: dict) -> list[str]:
    """All the run's log lines: pipeline task order (finally last), then each TaskRun's steps."""
    taskruns = runs.get_taskruns(target, namespace, run)
    order = runs.task_order(run)
    order += sorted(t for t in taskruns if t not in order)
    lines: list[str] = []
    for task in order:
        tr = taskruns.get(task)
        if tr is None:
            continue
        for step in runs.steps(tr):
            for line in runs.step_log(target, namespace, tr, step):
                lines.append(f"[{task}/{step.name}] {line}")
    return lines


def release_of(run: dict) -> tuple[str, str, str]:
    """(project, mode, version) from the run's labels (version: the annotation, else the label)."""
    meta = run.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    project = labels.get(PROJECT_LABEL)
    mode = labels.get(MODE_LABEL)
    version = annotations.get(VERSION_KEY) or labels.get(VERSION_KEY)
    missing = [k for k, v in ((PROJECT_LABEL, project), (MODE_LABEL, mode), (VERSION_KEY, version)) if not v]
    if missing:
        raise PlumbingError(f"PipelineRun {meta.get('name')} has no {', '.join(missing)} label: "
                            "not a release run, nowhere to upload its logs")
    return project, mode, version


def logs_path(project: str, version: str) -> str:
    return layout.release_file(project, version, layout.LOGS)


def upload(run: dict, lines: list[str], *, bucket_url: str | None = None, repo=None) -> str:
    """Write logs.txt beside the release; return its URL."""
    from plumbing.storage import open_bucket

    project, mode, version = release_of(run)
    if bucket_url is None:
        if repo is None:
            raise PlumbingError("--upload needs --bucket or a plumbing.yaml to take the mode's bucket from")
        bucket_url = repo.org.buckets.for_mode(mode)
    bucket = open_bucket(bucket_url)
    name = logs_path(project, version)
    data = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    bucket.write(name, data, content_type="text/plain; charset=utf-8", if_absent=False)
    return f"{bucket_url.rstrip('/')}/{name}"
