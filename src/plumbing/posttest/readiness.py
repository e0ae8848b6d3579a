"""When an installed release is up: every Deployment it installs (or the configured ones)
available with its current spec rolled out, every CustomResourceDefinition Established.

The decisions are plain functions over Kubernetes objects as dicts (what the API returns), so
they are tested without a cluster; `wait_ready` reads them with the real client.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field


@dataclass
class Expected:
    deployments: list[tuple[str, str]] = field(default_factory=list)  # (namespace, name)
    crds: list[str] = field(default_factory=list)


def _condition(obj: dict, kind: str) -> str | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return c.get("status")
    return None


def expected(docs: list[dict], deployments: tuple[str, ...] | None, crds: bool = True) -> Expected:
    """What must be ready once `docs` are applied: every Deployment among them (or only those
    named by `deployments`), and their CRDs when `crds`."""
    out = Expected()
    for doc in docs:
        kind, meta = doc.get("kind"), doc.get("metadata") or {}
        if kind == "Deployment" and (deployments is None or meta.get("name") in deployments):
            out.deployments.append((meta.get("namespace") or "default", meta["name"]))
        elif kind == "CustomResourceDefinition" and crds:
            out.crds.append(meta["name"])
    return out


def missing_names(docs: list[dict], deployments: tuple[str, ...] | None) -> list[str]:
    """Configured Deployment names that none of the installed files declares (a typo or a rename)."""
    declared = {(d.get("metadata") or {}).get("name") for d in docs if d.get("kind") == "Deployment"}
    return [name for name in (deployments or ()) if name not in declared]


def deployment_problem(obj: dict | None) -> str | None:
    """Why a Deployment is not available with its current spec, or None."""
    if obj is None:
        return "does not exist"
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    if (status.get("observedGeneration") or 0) < (meta.get("generation") or 0):
        return "its controller has not seen the current spec yet"
    wanted = spec.get("replicas", 1)
    if (status.get("updatedReplicas") or 0) < wanted:
        return f"{status.get('updatedReplicas') or 0} of {wanted} replicas updated"
    if (status.get("availableReplicas") or 0) < wanted:
        return f"{status.get('availableReplicas') or 0} of {wanted} replicas available"
    if _condition(obj, "Available") != "True":
        return "condition Available is not True"
    return None


def crd_problem(obj: dict | None) -> str | None:
    if obj is None:
        return "does not exist"
    if _condition(obj, "Established") != "True":
        return "condition Established is not True"
    return None


def problems(want: Expected, deployments: dict, crds: dict) -> list[str]:
    """Every reason the release is not up yet; empty when it is. `deployments` maps
    (namespace, name) and `crds` maps name to the object read from the cluster (None: absent)."""
    out = []
    for key in want.deployments:
        problem = deployment_problem(deployments.get(key))
        if problem:
            out.append(f"Deployment {key[0]}/{key[1]}: {problem}")
    for name in want.crds:
        problem = crd_problem(crds.get(name))
        if problem:
            out.append(f"CustomResourceDefinition {name}: {problem}")
    return out


def read_state(api_client, want: Expected) -> tuple[dict, dict]:
    """The objects `problems` judges, read with the real kubernetes client (absent: None)."""
    from kubernetes import client
    from kubernetes.client import ApiException

    apps, ext = client.AppsV1Api(api_client), client.ApiextensionsV1Api(api_client)

    def read(call, *args):
        # The raw JSON: readiness needs a few status fields, not the client's strict models.
        try:
            return json.loads(call(*args, _preload_content=False).data)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    deployments = {(ns, name): read(apps.read_namespaced_deployment, name, ns) for ns, name in want.deployments}
    crds = {name: read(ext.read_custom_resource_definition, name) for name in want.crds}
    return deployments, crds


def wait_ready(api_client, want: Expected, *, timeout: float, poll: float = 5.0, clock=time.monotonic,
               sleep=time.sleep) -> list[str]:
    """Poll until nothing is left to wait for (returns []) or `timeout` seconds pass (returns
    what is still not ready)."""
    deadline = clock() + timeout
    while True:
        left = problems(want, *read_state(api_client, want))
        if not left or clock() >= deadline:
            return left
        sleep(poll)
