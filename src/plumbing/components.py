"""The components a stack installs, where each is pinned, and where its release files live.

A stack file (Pulumi.<stack>.yaml) pins each Tekton component under `plumbing:tektonVersions`
(defaults: inventory.stack.DEFAULT_VERSIONS) and may put one on a channel under
`plumbing:channels` (`release`: the newest verified full release; `nightly`: the newest verified
nightly of our own nightly bucket). plumbing.yaml pins the plumbing image the CronJobs run.
Pins are read here, without Pulumi; `plumbing versions` and the Pulumi program share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from plumbing import layout, versions
from plumbing.findings import ConfigError

RELEASE = "release"
NIGHTLY = "nightly"
PINNED = "pinned"
CHANNELS = (RELEASE, NIGHTLY)
VERSIONS_KEY = "plumbing:tektonVersions"
CHANNELS_KEY = "plumbing:channels"
PLUMBING_IMAGE = "plumbing-image"


@dataclass(frozen=True)
class Component:
    name: str            # the key in plumbing:tektonVersions (and the project folder in the buckets)
    namespace: str       # where its Deployments run
    part_of: str         # their app.kubernetes.io/part-of label
    upstream: str        # GitHub owner/name of its releases


# What the program installs (infra/tekton_install.py), with the labels their release files put
# on every Deployment (app.kubernetes.io/part-of, app.kubernetes.io/version).
TEKTON = (
    Component("pipeline", "tekton-pipelines", "tekton-pipelines", "tektoncd/pipeline"),
    Component("triggers", "tekton-pipelines", "tekton-triggers", "tektoncd/triggers"),
    Component("dashboard", "tekton-pipelines", "tekton-dashboard", "tektoncd/dashboard"),
    Component("chains", "tekton-chains", "tekton-chains", "tektoncd/chains"),
    Component("pruner", "tekton-pipelines", "tekton-pruner", "tektoncd/pruner"),
)
BY_NAME = {c.name: c for c in TEKTON}


@dataclass(frozen=True)
class StackPins:
    stack: str
    path: Path
    versions: dict        # component -> pinned tag (defaults filled in)
    explicit: frozenset   # components the stack file itself pins
    channels: dict        # component -> release | nightly (absent: pinned)
    gke: bool = True      # plumbing:target gke: the cluster is plumbing.yaml's

    def channel(self, component: str) -> str:
        return self.channels.get(component, PINNED)


def stack_path(root: Path, stack: str) -> Path:
    path = Path(root) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in Path(root).glob("Pulumi.*.yaml"))
        raise ConfigError(f"unknown stack {stack!r}; stacks: {', '.join(known) or 'none'} (Pulumi.<stack>.yaml)")
    return path


def check_channels(channels: object) -> dict:
    """{component: channel}; ConfigError naming the first bad entry."""
    if channels is None:
        return {}
    if not isinstance(channels, dict):
        raise ConfigError(f"{CHANNELS_KEY}: expected a mapping of component to {' or '.join(CHANNELS)}")
    for component, channel in channels.items():
        if component not in BY_NAME:
            raise ConfigError(f"{CHANNELS_KEY}: unknown component {component!r}; known: {', '.join(BY_NAME)}")
        if channel not in CHANNELS:
            raise ConfigError(f"{CHANNELS_KEY}.{component}: {channel!r} is not a channel ({', '.join(CHANNELS)})")
    return dict(channels)


def read_pins(root: Path, stack: str) -> StackPins:
    from plumbing.inventory.stack import DEFAULT_VERSIONS, _versions

    path = stack_path(root, stack)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {' '.join(str(exc).split())}") from None
    config = data.get("config") or {}
    pinned = config.get(VERSIONS_KEY) or {}
    if not isinstance(pinned, dict):
        raise ConfigError(f"{path.name}: {VERSIONS_KEY}: expected a mapping")
    try:
        merged = _versions(pinned)
        channels = check_channels(config.get(CHANNELS_KEY))
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
    assert set(merged) == set(DEFAULT_VERSIONS)
    return StackPins(stack, path, merged, frozenset(pinned), channels,
                     gke=(config.get("plumbing:target") or "gke") == "gke")


def kind_of(tag: str) -> str:
    """versions.NIGHTLY or versions.FULL; VersionError for anything else."""
    return versions.parse(tag).kind


def bucket_for(org, tag: str) -> str:
    """The bucket a version of a component is published to: nightlies in the nightly bucket."""
    return org.buckets.nightly if kind_of(tag) == versions.NIGHTLY else org.buckets.release


def install_url(org, component: str, tag: str, name: str = layout.RELEASE_YAML, releases_base: str | None = None) -> str:
    """The release file the program installs: a full release from Tekton's releases
    (`releases_base`/<component>/previous/<tag>/), a nightly from our nightly bucket's
    previous/<tag>/. Always a pinned folder, never latest/."""
    if kind_of(tag) == versions.NIGHTLY:
        return org.public_object_url(org.buckets.nightly, layout.release_file(component, tag, name))
    from plumbing.inventory.stack import TEKTON_RELEASES

    base = (releases_base or TEKTON_RELEASES).rstrip("/")
    return f"{base}/{layout.release_file(component, tag, name)}"


def newer(candidate: str | None, pinned: str) -> bool:
    """Is `candidate` a move up from `pinned`? A change of kind (a full pin moving onto the
    nightly channel, or back) counts as one; otherwise the one version order decides."""
    if not candidate or candidate == pinned:
        return False
    try:
        if kind_of(candidate) != kind_of(pinned):
            return True
    except versions.VersionError:
        return False
    return versions.sort_key(candidate) > versions.sort_key(pinned)
