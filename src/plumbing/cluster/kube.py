"""Which cluster we talk to, and the refusal when it is not the one plumbing.yaml names.

Two ways in:
- in-cluster (a CronJob or a Task): KUBERNETES_SERVICE_HOST is set and the service-account token
  is mounted; the pod's own service account and namespace are used;
- a kube config (KUBECONFIG or ~/.kube/config): its current context must be plumbing.yaml's
  `cluster.context` (the context's name, or the name of the cluster entry it points to).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plumbing.findings import CheckFailed, PlumbingError

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
TEKTON_GROUP = "tekton.dev"
TEKTON_VERSION = "v1"


class Refused(CheckFailed):
    """A pre-flight guard said no: nothing was created (exit 1)."""


@dataclass
class Target:
    """A connected API client and how we got it."""

    api_client: Any
    in_cluster: bool
    description: str
    namespace: str | None = None  # in-cluster: the pod's namespace

    @property
    def core(self):
        from kubernetes import client

        return client.CoreV1Api(self.api_client)

    @property
    def custom(self):
        from kubernetes import client

        return client.CustomObjectsApi(self.api_client)


def service_account_dir() -> Path:
    return Path(os.environ.get("PLUMBING_SERVICEACCOUNT_DIR", SERVICE_ACCOUNT_DIR))


def in_cluster(environ=None) -> bool:
    """Inside the cluster: KUBERNETES_SERVICE_HOST set and the service-account token present."""
    environ = os.environ if environ is None else environ
    return bool(environ.get("KUBERNETES_SERVICE_HOST")) and (service_account_dir() / "token").is_file()


def _kubernetes():
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        raise PlumbingError("talking to the cluster needs the kubernetes client: "
                            "pip install 'plumbing[cluster]'") from None
    from kubernetes import client, config

    return client, config


def connect(repo=None, *, check_cluster: bool = True) -> Target:
    """Connect to the cluster; with `check_cluster`, refuse any cluster but plumbing.yaml's."""
    client, config = _kubernetes()
    if in_cluster():
        folder = service_account_dir()
        from kubernetes.config.incluster_config import InClusterConfigLoader

        configuration = client.Configuration()
        InClusterConfigLoader(token_filename=str(folder / "token"),
                              cert_filename=str(folder / "ca.crt")).load_and_set(configuration)
        ns_file = folder / "namespace"
        namespace = ns_file.read_text().strip() if ns_file.is_file() else None
        return Target(client.ApiClient(configuration), True, "in-cluster service account", namespace)

    # Read KUBECONFIG now: the client computes its default path once, at import time.
    config_file = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    try:
        contexts, current = config.list_kube_config_contexts(config_file=config_file)
    except config.ConfigException as exc:
        raise Refused(f"no usable kube config ({_one_line(exc)}); "
                      "set KUBECONFIG or run inside the cluster") from None
    if not current:
        raise Refused("the kube config has no current context")
    name = current["name"]
    cluster_entry = (current.get("context") or {}).get("cluster")
    if check_cluster and repo is not None:
        wanted = repo.org.cluster
        if wanted.context not in (name, cluster_entry):
            raise Refused(
                f"kube context {name!r} is not cluster {wanted.name!r}: plumbing.yaml wants "
                f"context {wanted.context!r} (kubectl config use-context {wanted.context})")
    try:
        api_client = config.new_client_from_config(config_file=config_file, context=name)
    except (config.ConfigException, OSError) as exc:
        raise Refused(f"kube context {name!r}: {_one_line(exc)}") from None
    return Target(api_client, False, f"kube context {name!r}",
                  (current.get("context") or {}).get("namespace"))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def api_error(exc) -> str:
    """One line out of a kubernetes ApiException: status and the Status message if any."""
    import json

    message = getattr(exc, "reason", "") or ""
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body)
            message = data.get("message") or data.get("reason") or message
        except (ValueError, AttributeError):
            pass
    return f"{getattr(exc, 'status', '?')} {_one_line(Exception(message))}".strip()
