"""`--apply`: guards, then create the PipelineRun, then follow it (or, in-cluster, check it started).

`apply_release` is what `release nightly|full --apply` calls; `submit` is what
`plumbing image build --apply` calls (no bucket guards: an image build publishes no release).

The run's name is chosen here from its `generateName` (plus five random characters, as the API
server would) so that it is known before the create call returns: the re-attach hint and the
CronJob's check never depend on the create response's body.
"""

from __future__ import annotations

import copy
import secrets
import string
import sys
import time

from plumbing.cluster import follow as following
from plumbing.cluster import preflight, runs
from plumbing.cluster.kube import TEKTON_GROUP, TEKTON_VERSION, Refused, Target, api_error, connect
from plumbing.findings import EXIT_FAILED, EXIT_OK, CheckFailed

ACCEPT_WAIT = 20.0     # seconds the in-cluster trigger waits for Tekton to accept the run
ACCEPT_POLL = 1.0
CREATE_ATTEMPTS = 3
_SUFFIX = string.ascii_lowercase + string.digits

# Reasons Tekton gives a PipelineRun it could not even start (reconciler/pipelinerun.go).
VALIDATION_REASONS = frozenset({
    "PipelineValidationFailed", "CouldntGetPipeline", "CouldntGetTask", "CouldntGetPipelineResult",
    "InvalidPipelineResourceBindings", "InvalidWorkspaceBindings", "InvalidTaskRunSpecs",
    "ParameterTypeMismatch", "ObjectParameterMissKeys", "ParamArrayIndexingInvalid",
    "ParameterMissing", "PipelineInvalidGraph", "InvalidTaskResultReference",
    "RequiredWorkspaceMarkedOptional", "ResolutionFailed", "CreateRunFailed",
    "InvalidMatrixParameterTypes", "PipelineTaskFailedToRun",
    "CELEvaluationFailed", "InvalidParamValue",
})


class RunRejected(CheckFailed):
    """The API or Tekton refused the PipelineRun (exit 1)."""


def _named(pipelinerun: dict, namespace: str, service_account: str | None) -> dict:
    body = copy.deepcopy(pipelinerun)
    meta = body.setdefault("metadata", {})
    meta["namespace"] = namespace
    if not meta.get("name"):
        prefix = meta.pop("generateName", None) or "run-"
        meta["name"] = prefix + "".join(secrets.choice(_SUFFIX) for _ in range(5))
    else:
        meta.pop("generateName", None)
    if service_account:
        template = body.setdefault("spec", {}).setdefault("taskRunTemplate", {})
        template.setdefault("serviceAccountName", service_account)
    return body


def create_run(target: Target, namespace: str, pipelinerun: dict,
               service_account: str | None = None) -> str:
    """Create the PipelineRun; return its name. A name clash is retried with a new suffix."""
    from kubernetes.client import ApiException

    fixed_name = bool((pipelinerun.get("metadata") or {}).get("name"))
    for attempt in range(CREATE_ATTEMPTS):
        body = _named(pipelinerun, namespace, service_account)
        try:
            target.custom.create_namespaced_custom_object(
                TEKTON_GROUP, TEKTON_VERSION, namespace, "pipelineruns", body)
        except ApiException as exc:
            if exc.status == 409 and not fixed_name and attempt + 1 < CREATE_ATTEMPTS:
                continue
            raise RunRejected(f"the API refused the PipelineRun in {namespace}: {api_error(exc)}") from None
        return body["metadata"]["name"]
    raise RunRejected("could not pick a free PipelineRun name")  # pragma: no cover


def check_accepted(target: Target, namespace: str, name: str, *, wait: float = ACCEPT_WAIT,
                   poll: float = ACCEPT_POLL, out=None) -> int:
    """In-cluster trigger: the run exists and Tekton did not fail it at once (bounded wait)."""
    from kubernetes.client import ApiException

    out = out or sys.stdout
    deadline = time.monotonic() + wait
    seen = False
    while True:
        try:
            run = runs.get_run(target, namespace, name)
            seen = True
        except ApiException as exc:
            if exc.status != 404:
                raise RunRejected(f"cannot read PipelineRun {namespace}/{name}: {api_error(exc)}") from None
            run = None
        if run is not None:
            status, reason, message = runs.condition(run)
            if status == "False":
                kind = "Tekton rejected" if reason in VALIDATION_REASONS or not \
                    (run.get("status") or {}).get("childReferences") else "Tekton failed"
                print(f"{kind} PipelineRun {namespace}/{name}: {reason or 'Failed'}"
                      + (f": {' '.join(message.split())}" if message else ""), file=out, flush=True)
                return EXIT_FAILED
            started = (run.get("status") or {}).get("childReferences") or (
                status == "Unknown" and reason in ("Running", "Started"))
            if started or status == "True":
                print(f"PipelineRun {namespace}/{name} accepted and running", file=out, flush=True)
                return EXIT_OK
        if time.monotonic() >= deadline:
            break
        time.sleep(poll)
    if not seen:
        print(f"PipelineRun {namespace}/{name} was created but cannot be read back", file=out, flush=True)
        return EXIT_FAILED
    print(f"PipelineRun {namespace}/{name} accepted (no failure within {wait:g}s)", file=out, flush=True)
    return EXIT_OK


def _after_create(target: Target, namespace: str, name: str, *, follow: bool, logs: bool, out,
                  interval: float | None, accept_wait: float) -> int:
    interval = following.poll_interval(interval)
    print(f"created PipelineRun {name} in {namespace} ({target.description})", file=out, flush=True)
    if target.in_cluster:
        return check_accepted(target, namespace, name, wait=accept_wait,
                              poll=min(ACCEPT_POLL, interval), out=out)
    if not follow:
        print(f"follow it with: {following.reattach_hint(name, namespace)}", file=out, flush=True)
        return EXIT_OK
    return following.follow_run(target, namespace, name, logs=logs, out=out, interval=interval)


def _set_param(pipelinerun: dict, name: str, value: str) -> bool:
    for p in ((pipelinerun.get("spec") or {}).get("params") or []):
        if p.get("name") == name:
            changed = p.get("value") != value
            p["value"] = value
            return changed
    return False


def apply_release(repo, plan: dict, pipelinerun: dict, *, follow: bool = True, logs: bool = False,
                  out=None, target: Target | None = None, interval: float | None = None,
                  accept_wait: float = ACCEPT_WAIT) -> int:
    """Guards, create, then follow (from a terminal) or check acceptance (in-cluster)."""
    out = out or sys.stdout
    target = target or connect(repo)
    decided = preflight.run_all(repo, plan, pipelinerun, target, out=out)
    run = copy.deepcopy(pipelinerun)
    if _set_param(run, "latest", "auto" if decided["latest"] else "never"):
        print("latest param set from the bucket's listing", file=out)
    cluster = plan["cluster"]
    name = create_run(target, cluster["namespace"], run, cluster["service_account"])
    return _after_create(target, cluster["namespace"], name, follow=follow, logs=logs, out=out,
                         interval=interval, accept_wait=accept_wait)


def submit(repo, pipelinerun: dict, *, namespace: str, service_account: str | None,
           follow: bool = True, logs: bool = False, out=None, target: Target | None = None,
           interval: float | None = None, accept_wait: float = ACCEPT_WAIT) -> int:
    """Create any PipelineRun (image builds): cluster, namespace and service-account guards only."""
    out = out or sys.stdout
    target = target or connect(repo)
    preflight.check_namespace(target, namespace)
    if service_account:
        preflight.check_service_account(target, namespace, service_account)
    run_ns = (pipelinerun.get("metadata") or {}).get("namespace")
    if run_ns and run_ns != namespace:
        raise Refused(f"the PipelineRun's namespace {run_ns!r} is not {namespace!r}")
    name = create_run(target, namespace, pipelinerun, service_account)
    return _after_create(target, namespace, name, follow=follow, logs=logs, out=out,
                         interval=interval, accept_wait=accept_wait)
