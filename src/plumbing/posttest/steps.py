"""The steps of a post-release test that talk to the throwaway vcluster (`release test-step`).

- kubeconfig: the vcluster's kubeconfig, from the secret vcluster writes beside it
  (`vc-<name>`, key `config`), into the kube workspace;
- install: each needed project (its version rule resolved against the bucket), then the release
  under test, downloaded from the published URLs users download, applied, and waited for;
- check-images: the digests that run are release.yaml's, and no version label is left wrong;
- smoke: each smoke manifest from the repository at the released commit, applied; its
  TaskRuns and PipelineRuns must succeed, its other objects must be admitted.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from plumbing import layout
from plumbing.findings import CheckFailed, PlumbingError
from plumbing.posttest import digests, readiness
from plumbing.posttest.order import UNDER_TEST, install_order
from plumbing.posttest.plan import published_url
from plumbing.versions import FULL, NIGHTLY

RAW_BASE = "https://raw.githubusercontent.com"
SMOKE_NAMESPACE = "smoke"
VERSIONS_FILE = "versions.json"   # beside the kubeconfig: what install put in, for the record
RULES = {"newest-full": FULL, "newest-nightly": NIGHTLY}


def load_docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def fetch(url: str, timeout: float = 60) -> str:
    """A published file or a smoke manifest, over https (or file:// for local buckets)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (our own URLs)
            return resp.read().decode("utf-8")
    except (OSError, ValueError) as exc:
        raise CheckFailed(f"cannot download {url}: {exc}") from None


def resolve_version(repo, project: str, rule: str, open_bucket=None) -> str:
    """A dependency's version: itself when it is vX.Y.Z, else the newest of that kind released."""
    if rule not in RULES:
        return rule
    if open_bucket is None:
        from plumbing.storage import open_bucket
    kind = RULES[rule]
    bucket = open_bucket(repo.org.buckets.for_mode(kind))
    found = layout.newest(layout.released_versions(bucket, project, kind))
    if found is None:
        raise CheckFailed(f"{project}: no {kind} release in {repo.org.buckets.for_mode(kind)} for rule {rule!r}")
    return found


def write_kubeconfig(target, namespace: str, cluster: str, path: Path) -> Path:
    import base64

    from kubernetes.client import ApiException

    try:
        secret = target.core.read_namespaced_secret(f"vc-{cluster}", namespace)
    except ApiException as exc:
        raise CheckFailed(f"no kubeconfig secret vc-{cluster} in {namespace}: {exc.status} {exc.reason}") from None
    data = (secret.data or {}).get("config")
    if not data:
        raise CheckFailed(f"secret {namespace}/vc-{cluster} has no config key")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(data))
    return path


def apply_docs(api_client, docs: list[dict], default_namespace: str | None = None) -> list[dict]:
    """Create every object (the dynamic client finds CRD kinds too); an existing one is replaced
    by nothing: a throwaway cluster starts empty. Returns the created objects."""
    from kubernetes.client import ApiException
    from kubernetes.dynamic import DynamicClient

    dyn = DynamicClient(api_client)
    created = []
    for doc in docs:
        resource = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        namespace = (doc.get("metadata") or {}).get("namespace") or default_namespace
        try:
            obj = resource.create(body=doc, namespace=namespace if resource.namespaced else None)
        except ApiException as exc:
            name = (doc.get("metadata") or {}).get("name") or (doc.get("metadata") or {}).get("generateName")
            raise CheckFailed(f"{doc['kind']} {name}: the API refused it: {exc.status} {exc.reason}") from None
        created.append(obj.to_dict())
    return created


def install(repo, project: str, version: str, api_client, *, kube_dir: Path, timeout: float,
            open_bucket=None, out=None, poll: float = 5.0) -> dict:
    """Install the needed projects and the release; return {project: version} installed."""
    out = out or sys.stdout
    versions = {}
    for step in install_order(repo.projects, project):
        tag = version if step.version == UNDER_TEST else resolve_version(repo, step.project, step.version, open_bucket)
        versions[step.project] = tag
        docs = []
        for name in step.files:
            url = published_url(repo, step.project, tag, name)
            print(f"install {step.project} {tag}: {url}", file=out, flush=True)
            docs += load_docs(fetch(url))
        apply_docs(api_client, docs)
        test = repo.project(step.project).post_release_test
        want = readiness.expected(docs, test.deployments if step.version == UNDER_TEST else None, test.crds)
        left = readiness.wait_ready(api_client, want, timeout=timeout, poll=poll)
        if left:
            raise CheckFailed(f"{step.project} {tag} not ready after {timeout:g}s: " + "; ".join(left))
        print(f"{step.project} {tag}: {len(want.deployments)} Deployments available, "
              f"{len(want.crds)} CRDs Established", file=out, flush=True)
    (kube_dir / VERSIONS_FILE).write_text(json.dumps(versions))
    return versions


def check_images(repo, project: str, version: str, api_client, *, out=None) -> list[str]:
    """Problems: unpinned images, running digests that differ, version labels left wrong."""
    from kubernetes import client

    out = out or sys.stdout
    text = fetch(published_url(repo, project, version, layout.RELEASE_YAML))
    docs = load_docs(text)
    published = digests.published_digests(text)
    namespaces = sorted({(d.get("metadata") or {}).get("namespace") for d in docs
                         if d.get("kind") == "Deployment"} - {None})
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    pods, live = [], []
    for ns in namespaces:
        pods += [api_client.sanitize_for_serialization(p) for p in core.list_namespaced_pod(ns).items]
        live += [api_client.sanitize_for_serialization(d) for d in apps.list_namespaced_deployment(ns).items]
    ours = {((d.get("metadata") or {}).get("namespace"), (d.get("metadata") or {}).get("name")) for d in docs}
    live = [d for d in live if (d["metadata"].get("namespace"), d["metadata"].get("name")) in ours]
    problems = (digests.unpinned(docs) + digests.running_mismatches(pods, published)
                + digests.leftover_labels(docs + live, version))
    for line in problems:
        print(line, file=out)
    if not problems:
        print(f"{len(pods)} pods run the {len(published)} published digests; version labels say {version}",
              file=out, flush=True)
    return problems


def smoke(project, revision: str, api_client, *, timeout: float, raw_base: str | None = None, out=None,
          poll: float = 5.0) -> list[str]:
    """Apply each smoke manifest; return the failures (runs that did not succeed in time)."""
    from kubernetes import client

    out = out or sys.stdout
    raw_base = (raw_base or os.environ.get("PLUMBING_RAW_BASE") or RAW_BASE).rstrip("/")
    core = client.CoreV1Api(api_client)
    try:
        core.create_namespace({"metadata": {"name": SMOKE_NAMESPACE}})
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    runs = []
    for path in project.post_release_test.smoke:
        url = f"{raw_base}/{project.owner_repo}/{revision}/{path}"
        created = apply_docs(api_client, load_docs(fetch(url)), SMOKE_NAMESPACE)
        runs += [(path, o) for o in created if o.get("kind") in ("TaskRun", "PipelineRun")]
        print(f"smoke {path}: {len(created)} objects admitted", file=out, flush=True)
    return wait_runs(api_client, runs, timeout=timeout, poll=poll, out=out)


def wait_runs(api_client, runs: list[tuple[str, dict]], *, timeout: float, poll: float, out) -> list[str]:
    from kubernetes import client

    custom = client.CustomObjectsApi(api_client)
    deadline = time.monotonic() + timeout
    failures, pending = [], list(runs)
    while pending:
        still = []
        for path, obj in pending:
            meta = obj["metadata"]
            plural = obj["kind"].lower() + "s"
            live = custom.get_namespaced_custom_object("tekton.dev", "v1", meta["namespace"], plural, meta["name"])
            status = next((c for c in (live.get("status") or {}).get("conditions") or []
                           if c.get("type") == "Succeeded"), {})
            if status.get("status") == "True":
                print(f"smoke {path}: {obj['kind']} {meta['name']} succeeded", file=out, flush=True)
            elif status.get("status") == "False":
                failures.append(f"{path}: {obj['kind']} {meta['name']} failed: {status.get('reason')} "
                                f"{' '.join((status.get('message') or '').split())}".rstrip())
            else:
                still.append((path, obj))
        pending = still
        if pending and time.monotonic() >= deadline:
            failures += [f"{p}: {o['kind']} {o['metadata']['name']} did not finish in {timeout:g}s" for p, o in pending]
            break
        if pending:
            time.sleep(poll)
    for line in failures:
        print(line, file=out)
    return failures


def kube_client(path: Path):
    from kubernetes import config

    if not path.is_file():
        raise PlumbingError(f"{path}: no kubeconfig (did create-cluster run?)")
    return config.new_client_from_config(config_file=str(path))
