"""Wait until Tekton Chains has signed a release's publish TaskRun.

Chains marks a TaskRun it handled with the annotation `chains.tekton.dev/signed`: "true" once
the signatures and provenance are stored, "failed" when it gave up; with transparency uploads on,
`chains.tekton.dev/transparency` holds the Rekor entry's URL. We read them through the Kubernetes
API (the TaskRun is found by the pipelineRun and pipelineTask labels Tekton puts on it) and only
read: nothing published is touched, whatever the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from plumbing.cluster.kube import TEKTON_GROUP, TEKTON_VERSION, Target, api_error
from plumbing.findings import PlumbingError

SIGNED = "chains.tekton.dev/signed"
TRANSPARENCY = "chains.tekton.dev/transparency"
RUN_LABEL = "tekton.dev/pipelineRun"
TASK_LABEL = "tekton.dev/pipelineTask"


@dataclass
class Signature:
    state: str                 # signed | failed | timeout
    taskrun: str | None
    transparency: str | None   # the Rekor entry URL, when Chains uploaded one
    waited: float

    @property
    def ok(self) -> bool:
        return self.state == "signed"

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        where = f"TaskRun {self.taskrun}" if self.taskrun else "the publish TaskRun (not found)"
        if self.ok:
            return f"{where} is signed by Tekton Chains" + (f"; transparency log: {self.transparency}"
                                                            if self.transparency else "")
        if self.state == "failed":
            return f"Tekton Chains failed to sign {where}"
        return f"timed out after {self.waited:.0f}s waiting for Tekton Chains to sign {where}"


def find_taskrun(target: Target, namespace: str, pipelinerun: str, task: str) -> dict | None:
    from kubernetes.client import ApiException

    try:
        listing = target.custom.list_namespaced_custom_object(
            TEKTON_GROUP, TEKTON_VERSION, namespace, "taskruns",
            label_selector=f"{RUN_LABEL}={pipelinerun},{TASK_LABEL}={task}")
    except ApiException as exc:
        raise PlumbingError(f"cannot list TaskRuns in {namespace}: {api_error(exc)}") from None
    items = [tr for tr in listing.get("items") or []
             if ((tr.get("metadata") or {}).get("labels") or {}).get(RUN_LABEL) == pipelinerun
             and tr["metadata"]["labels"].get(TASK_LABEL) == task]
    return items[0] if items else None


def wait_for_signature(target: Target, namespace: str, pipelinerun: str, task: str = "publish-images", *,
                       timeout: float = 1800, interval: float = 10,
                       sleep: Callable[[float], None] = time.sleep,
                       clock: Callable[[], float] = time.monotonic) -> Signature:
    """Poll the TaskRun's annotations until Chains says signed or failed, or `timeout` passes."""
    start = clock()
    name = None
    while True:
        tr = find_taskrun(target, namespace, pipelinerun, task)
        if tr is not None:
            name = tr["metadata"]["name"]
            annotations = tr["metadata"].get("annotations") or {}
            state = annotations.get(SIGNED)
            if state in ("true", "failed"):
                return Signature("signed" if state == "true" else "failed", name,
                                 annotations.get(TRANSPARENCY) or None, clock() - start)
        waited = clock() - start
        if waited >= timeout:
            return Signature("timeout", name, None, waited)
        sleep(min(interval, max(timeout - waited, 0)))
