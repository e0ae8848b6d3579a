"""Policies for continuous deployment: what the CronJobs run is an output of deployment."""

from __future__ import annotations

from collections.abc import Iterator

from plumbing.inventory.records import get_path

CRONJOB = "kubernetes:batch/v1:CronJob"


def deployed_image(inventory: list[dict]) -> Iterator[str]:
    """Every CronJob runs the plumbing image by digest (the one the deploy pipeline built for the
    deployed commit), never a hand-pinned tag such as tool_images.plumbing's."""
    for r in inventory:
        if r["type"] != CRONJOB:
            continue
        pod = get_path(r["inputs"], "spec", "jobTemplate", "spec", "template", "spec") or {}
        for c in pod.get("containers") or []:
            image = c.get("image") or ""
            if "@sha256:" not in image:
                yield (f"{CRONJOB} {r['name']}: container {c.get('name', '?')} runs "
                       f"{image!r}, a hand-pinned tag; CronJobs run the digest the deploy sets (plumbing:plumbingImage)")
