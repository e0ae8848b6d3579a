"""What was tested is what was published: every image the installed release runs is the digest
its release.yaml names, and no `devel` (or any other version) label is left on what it installed.

Plain functions over release.yaml's documents and the pods read from the throwaway cluster.
"""

from __future__ import annotations

import re

from plumbing.release.built_images import find_refs

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


def _repo(ref: str) -> str:
    """The repository of an image reference (no tag, no digest)."""
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


def _containers(doc: dict) -> list[dict]:
    pod = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]


def published_digests(release_text: str) -> dict[str, str]:
    """{repository: digest} of every image reference release.yaml pins (args included: Tekton
    passes the entrypoint, nop, ... images to its controller as flags)."""
    return {ref.repo: ref.digest for ref in find_refs(release_text)}


def unpinned(docs: list[dict]) -> list[str]:
    """Containers of the release's workloads whose image has no digest: what would run is not
    fixed by what was published."""
    out = []
    for doc in docs:
        if doc.get("kind") not in _WORKLOADS:
            continue
        meta = doc.get("metadata") or {}
        for c in _containers(doc):
            if "@sha256:" not in (c.get("image") or ""):
                out.append(f"{doc['kind']} {meta.get('namespace', 'default')}/{meta.get('name')} container "
                           f"{c.get('name')}: image {c.get('image')} has no digest in release.yaml")
    return out


def running_mismatches(pods: list[dict], published: dict[str, str]) -> list[str]:
    """Running containers whose image differs from the published digest. A container's digest is
    the one in its status.imageID (what the node pulled), else its spec's."""
    out = []
    for pod in pods:
        meta = pod.get("metadata") or {}
        specs = {c.get("name"): c.get("image") or "" for c in _pod_containers(pod)}
        statuses = [*((pod.get("status") or {}).get("initContainerStatuses") or []),
                    *((pod.get("status") or {}).get("containerStatuses") or [])]
        for status in statuses:
            image = specs.get(status.get("name")) or status.get("image") or ""
            repo = _repo(image)
            if repo not in published:
                continue  # not an image of this release (a dependency's, a sidecar's)
            found = _DIGEST.search(status.get("imageID") or "") or _DIGEST.search(image)
            where = f"pod {meta.get('namespace')}/{meta.get('name')} container {status.get('name')}"
            if found is None:
                out.append(f"{where}: runs {image} with no known digest (published {published[repo]})")
            elif found.group(0) != published[repo]:
                out.append(f"{where}: runs {repo}@{found.group(0)}, release.yaml publishes {published[repo]}")
    return out


def _pod_containers(pod: dict) -> list[dict]:
    spec = pod.get("spec") or {}
    return [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]


def _version_key(key: str) -> bool:
    return key in ("version", "release") or key.endswith(("/version", "/release"))


def leftover_labels(objects: list[dict], version: str) -> list[str]:
    """Version labels (labels and pod-template labels whose key is version, release or ends in
    /version or /release) that do not say `version`: `devel` left behind, or another release's."""
    out = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        template = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
        for where, labels in (("", meta.get("labels") or {}), (" pod template", template.get("labels") or {})):
            for key, value in labels.items():
                if _version_key(key) and value != version:
                    what = "devel left" if value == "devel" else f"says {value!r}"
                    out.append(f"{obj.get('kind')} {meta.get('namespace') or ''}/{meta.get('name')}{where} "
                               f"label {key}: {what}, not {version}".replace(" /", " ", 1))
    return out
