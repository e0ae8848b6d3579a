"""`plumbing verify -s STACK [--smoke]`: is the cluster running what the program declares?

Gates, each named in the output and in the exit-1 message when it fails:
- deployment/<component>: every Deployment of each Tekton component the program installs
  (found by its `app.kubernetes.io/part-of` label) is Available;
- crd/<name>: Tekton's CRDs are Established;
- webhook: Tekton's admission webhook answers a server-side dry-run create of a minimal Task;
- eventlistener/<ns>/<name>: each EventListener in triggers/ is Ready;
- cronjob/<ns>/<name>: each CronJob the program declares exists, is not suspended and runs the
  deployed plumbing image;
- smoke (with --smoke): a minimal PipelineRun in a scratch namespace succeeds within a timeout;
  it is deleted afterwards, passed or not.
Labels are matched here, not by a server-side selector: one list per namespace, fewer calls.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

# component -> (namespace, part-of label) as Tekton's release files install them
COMPONENTS = {
    "pipeline": ("tekton-pipelines", "tekton-pipelines"),
    "triggers": ("tekton-pipelines", "tekton-triggers"),
    "dashboard": ("tekton-pipelines", "tekton-dashboard"),
    "chains": ("tekton-chains", "tekton-chains"),
    "pruner": ("tekton-pipelines", "tekton-pruner"),
}
PART_OF = "app.kubernetes.io/part-of"
CRDS = tuple(f"{p}.tekton.dev" for p in ("tasks", "pipelines", "taskruns", "pipelineruns", "customruns",
                                         "stepactions")) + tuple(
    f"{p}.triggers.tekton.dev" for p in ("eventlisteners", "triggerbindings", "triggertemplates", "triggers",
                                         "interceptors", "clustertriggerbindings", "clusterinterceptors"))
SMOKE_NAMESPACE = "plumbing-smoke"
SMOKE_TIMEOUT = 300.0
EL_GROUP, EL_VERSION = "triggers.tekton.dev", "v1beta1"


@dataclass
class Gate:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Expected:
    """What the deployed program declares, for the gates."""

    image: str
    cronjobs: list = field(default_factory=list)         # (namespace, name)
    eventlisteners: list = field(default_factory=list)   # (namespace, name)
    components: dict = field(default_factory=lambda: dict(COMPONENTS))
    crds: tuple = CRDS
    webhook_namespace: str = "default"


def expected(repo, image: str) -> Expected:
    from plumbing.ci_images import load_images
    from plumbing.cronjobs import load_jobs
    from plumbing.inventory import desired as model

    jobs = model.scheduled_jobs(repo, load_images(repo), load_jobs(repo))
    return Expected(image=image, cronjobs=[(j.namespace, j.name) for j in jobs],
                    eventlisteners=eventlisteners(Path(repo.root) / "triggers"),
                    webhook_namespace=repo.org.namespaces["ci"])


def eventlisteners(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "EventListener":
                meta = doc.get("metadata") or {}
                out.append((meta.get("namespace", "default"), meta.get("name", "")))
    return out


def _condition(obj: dict, kind: str) -> tuple[bool, str]:
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond.get("status") == "True", cond.get("message") or cond.get("reason") or ""
    return False, f"no {kind} condition"


def _raw(call, *args, **kwargs) -> dict:
    """The object as the server sent it (no typed model: a partial object is still readable)."""
    import json

    return json.loads(call(*args, _preload_content=False, **kwargs).data)


def _api(target):
    from kubernetes import client

    return _raw, client.AppsV1Api(target.api_client), \
        client.ApiextensionsV1Api(target.api_client), client.BatchV1Api(target.api_client)


def _err(exc) -> str:
    from plumbing.cluster.kube import api_error

    return api_error(exc)


def check_components(target, exp: Expected) -> list[Gate]:
    from kubernetes.client.exceptions import ApiException

    plain, apps, _, _ = _api(target)
    listed: dict[str, list] = {}
    gates = []
    for component, (ns, part_of) in sorted(exp.components.items()):
        name = f"deployment/{component}"
        try:
            if ns not in listed:
                listed[ns] = plain(apps.list_namespaced_deployment, ns).get("items") or []
        except ApiException as exc:
            gates.append(Gate(name, False, _err(exc)))
            continue
        mine = [d for d in listed[ns] if (d["metadata"].get("labels") or {}).get(PART_OF) == part_of]
        if not mine:
            gates.append(Gate(name, False, f"no Deployment labelled {PART_OF}={part_of} in {ns}"))
            continue
        down = [d["metadata"]["name"] for d in mine if not _condition(d, "Available")[0]]
        gates.append(Gate(name, not down, f"not available: {', '.join(down)}" if down else
                          f"{len(mine)} available in {ns}"))
    return gates


def check_crds(target, exp: Expected) -> list[Gate]:
    from kubernetes.client.exceptions import ApiException

    plain, _, ext, _ = _api(target)
    gates = []
    for crd in exp.crds:
        try:
            ok, why = _condition(plain(ext.read_custom_resource_definition, crd), "Established")
        except ApiException as exc:
            ok, why = False, _err(exc)
        gates.append(Gate(f"crd/{crd}", ok, "" if ok else why))
    return gates


def minimal_task() -> dict:
    # A fresh name each time (not generateName): a dry run stores nothing, so the name is free.
    return {"apiVersion": "tekton.dev/v1", "kind": "Task",
            "metadata": {"name": f"plumbing-verify-{uuid.uuid4().hex[:8]}"},
            "spec": {"steps": [{"name": "noop", "image": "busybox", "script": "true"}]}}


def check_webhook(target, exp: Expected) -> Gate:
    """A dry-run create goes through admission (Tekton's webhook) and stores nothing."""
    from kubernetes.client.exceptions import ApiException

    try:
        target.custom.create_namespaced_custom_object("tekton.dev", "v1", exp.webhook_namespace, "tasks",
                                                      minimal_task(), dry_run="All")
    except ApiException as exc:
        return Gate("webhook", False, f"dry-run create of a Task in {exp.webhook_namespace}: {_err(exc)}")
    return Gate("webhook", True, "a dry-run Task was admitted")


def check_eventlisteners(target, exp: Expected) -> list[Gate]:
    from kubernetes.client.exceptions import ApiException

    gates = []
    for ns, name in exp.eventlisteners:
        try:
            ok, why = _condition(target.custom.get_namespaced_custom_object(EL_GROUP, EL_VERSION, ns,
                                                                            "eventlisteners", name), "Ready")
        except ApiException as exc:
            ok, why = False, _err(exc)
        gates.append(Gate(f"eventlistener/{ns}/{name}", ok, "" if ok else why))
    return gates


def check_cronjobs(target, exp: Expected) -> list[Gate]:
    from kubernetes.client.exceptions import ApiException

    plain, _, _, batch = _api(target)
    gates = []
    for ns, name in exp.cronjobs:
        gate = Gate(f"cronjob/{ns}/{name}", True)
        try:
            cj = plain(batch.read_namespaced_cron_job, name, ns)
        except ApiException as exc:
            gate.ok, gate.detail = False, _err(exc)
            gates.append(gate)
            continue
        spec = cj.get("spec") or {}
        pod = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template", {}).get("spec", {})
        images = sorted({c.get("image") for c in pod.get("containers") or []})
        if spec.get("suspend"):
            gate.ok, gate.detail = False, "suspended"
        elif images != [exp.image]:
            gate.ok, gate.detail = False, f"runs {', '.join(map(str, images)) or 'no image'}, not {exp.image}"
        gates.append(gate)
    return gates


def smoke_run(image: str) -> dict:
    return {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
            "metadata": {"name": f"plumbing-smoke-{uuid.uuid4().hex[:8]}", "namespace": SMOKE_NAMESPACE,
                         "labels": {"plumbing.tekton.dev/kind": "smoke"}},
            "spec": {"timeouts": {"pipeline": "5m"},
                     "pipelineSpec": {"tasks": [{"name": "smoke", "taskSpec": {"steps": [
                         {"name": "version", "image": image, "command": ["plumbing", "--version"]}]}}]}}}


def check_smoke(target, exp: Expected, *, timeout: float = SMOKE_TIMEOUT, poll: float = 2.0) -> Gate:
    """Create the run, wait for its verdict, delete it (always)."""
    from kubernetes.client.exceptions import ApiException

    run = smoke_run(exp.image)
    name = run["metadata"]["name"]
    try:
        target.custom.create_namespaced_custom_object("tekton.dev", "v1", SMOKE_NAMESPACE, "pipelineruns", run)
    except ApiException as exc:
        return Gate("smoke", False, f"create {name} in {SMOKE_NAMESPACE}: {_err(exc)}")
    try:
        deadline = time.monotonic() + timeout
        while True:
            obj = target.custom.get_namespaced_custom_object("tekton.dev", "v1", SMOKE_NAMESPACE, "pipelineruns", name)
            for cond in (obj.get("status") or {}).get("conditions") or []:
                if cond.get("type") == "Succeeded" and cond.get("status") in ("True", "False"):
                    ok = cond["status"] == "True"
                    return Gate("smoke", ok, f"{name}: {cond.get('reason', '')} {cond.get('message', '')}".strip())
            if time.monotonic() > deadline:
                return Gate("smoke", False, f"{name} did not finish within {timeout:.0f}s")
            time.sleep(poll)
    except ApiException as exc:
        return Gate("smoke", False, f"{name}: {_err(exc)}")
    finally:
        try:
            target.custom.delete_namespaced_custom_object("tekton.dev", "v1", SMOKE_NAMESPACE, "pipelineruns", name)
        except ApiException:
            pass  # already gone; the pruner removes what is left


def verify(target, exp: Expected, *, smoke: bool = False, smoke_timeout: float = SMOKE_TIMEOUT,
           poll: float = 2.0) -> list[Gate]:
    gates = check_components(target, exp) + check_crds(target, exp)
    gates.append(check_webhook(target, exp))
    gates += check_eventlisteners(target, exp) + check_cronjobs(target, exp)
    if smoke:
        gates.append(check_smoke(target, exp, timeout=smoke_timeout, poll=poll))
    return gates


def failed(gates: list[Gate]) -> list[str]:
    return [f"{g.name} ({g.detail})" if g.detail else g.name for g in gates if not g.ok]


def to_json(stack: str, gates: list[Gate]) -> dict:
    return {"stack": stack, "ok": all(g.ok for g in gates), "gates": [asdict(g) for g in gates]}
