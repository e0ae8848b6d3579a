"""Promotion: every component a stack puts on a channel moves to the newest verified version
of that channel, by pull request (the version-promotion CronJob runs this).

Only a version whose post-release test passed is ever proposed; nothing is opened when there
is none newer than the pin. The pull request's branch is named for the component and stack,
so there is never more than one open per component and stack: a newer candidate updates it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from plumbing import bump, components, versions
from plumbing.components import NIGHTLY
from plumbing.tracking import newest
from plumbing.verdict import PASSED


@dataclass
class Step:
    component: str
    channel: str
    pinned: str
    candidate: str | None
    action: str                # created | updated | unchanged | none
    pull: str | None = None    # the pull request's html_url


def channel_candidate(repo, open_bucket, component: str, channel: str) -> str | None:
    if channel == NIGHTLY:
        return newest(open_bucket(repo.org.buckets.nightly), component, versions.NIGHTLY).verified
    return newest(open_bucket(repo.org.buckets.release), component, versions.FULL).verified


def promote(repo, stack: str, *, open_bucket, client, remote: str, base: str, github_repo: str) -> list[Step]:
    with tempfile.TemporaryDirectory(prefix="plumbing-promote-") as tmp:
        pins = components.read_pins(bump.clone(remote, base, Path(tmp)), stack)
    steps = []
    for component, channel in sorted(pins.channels.items()):
        pinned = pins.versions[component]
        found = channel_candidate(repo, open_bucket, component, channel)
        step = Step(component, channel, pinned, found, "none")
        if components.newer(found, pinned):
            done, step.action, pull = bump.propose(
                remote=remote, base=base, stack=stack, component=component, new=found, verdict=PASSED,
                reason=None, client=client, github_repo=github_repo)
            step.pull = (pull or {}).get("html_url")
        steps.append(step)
    return steps
