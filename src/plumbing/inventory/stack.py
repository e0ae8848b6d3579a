"""A stack's infrastructure knobs (Pulumi.<stack>.yaml): what they are, their defaults, checks.

Only infrastructure lives in stack config: cloud project, region, machine types, versions.
Everything about projects, namespaces, buckets and identities comes from plumbing.yaml,
releases/, images/ and cronjobs/ through plumbing's loader. The Pulumi program reads the knobs
through `pulumi.Config` and hands them to `settings_from`; `plumbing infra plan` uses KNOBS to
reject a key no knob reads. No Pulumi import here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from plumbing import layout
from plumbing.findings import ConfigError

# Tekton components at pinned versions; their release folders (plumbing.layout) are immutable.
TEKTON_RELEASES = "https://infra.tekton.dev/tekton-releases"
DEFAULT_VERSIONS = {
    "pipeline": "v1.0.0",
    "triggers": "v0.31.0",
    "dashboard": "v0.56.0",
    "chains": "v0.24.0",
    "pruner": "v0.3.5",
}

# Every `plumbing:` knob a stack file may set (secrets aside); `plumbing infra plan` rejects
# others, so a typo does not silently fall back to a default.
KNOBS = ("target", "bucketLocation", "machineType", "nodesMin", "nodesMax", "diskSizeGb", "releaseChannel",
         "kubeContext", "nightlyRetentionDays", "registryUsername", "tektonVersions", "channels",
         "githubOrg", "githubAdopt", "plumbingImage")

# The knob the deploy pipeline sets (`pulumi config set plumbing:plumbingImage REPO@sha256:...`)
# to the plumbing image built for the commit it deploys: every CronJob runs that digest.
IMAGE_KNOB = "plumbingImage"


@dataclass(frozen=True)
class Settings:
    target: str                 # "gke": the cluster and cloud resources; "existing": a kube context only
    gcp_project: str | None
    region: str | None
    bucket_location: str
    machine_type: str
    nodes_min: int
    nodes_max: int
    disk_size_gb: int
    release_channel: str
    kube_context: str | None
    nightly_retention_days: int
    registry_username: str
    versions: dict
    # component -> "release" | "nightly": what promotion proposes (plumbing.components)
    channels: dict = field(default_factory=dict)
    github_org: bool = False    # declare the GitHub organisation from github.yaml (GitHubOrg)
    github_adopt: bool = False  # import its existing objects rather than create them (one-time adoption)
    plumbing_image: str | None = None   # REPO@sha256:..., set by the deploy pipeline

    @property
    def gke(self) -> bool:
        return self.target == "gke"

    @property
    def workload_pool(self) -> str:
        return f"{self.gcp_project}.svc.id.goog"


def _versions(pinned: dict | None) -> dict:
    versions = dict(DEFAULT_VERSIONS)
    versions.update(pinned or {})
    unknown = sorted(set(versions) - set(DEFAULT_VERSIONS))
    if unknown:
        raise ConfigError(f"plumbing:tektonVersions: unknown component {unknown[0]!r}; "
                          f"known: {', '.join(DEFAULT_VERSIONS)}")
    for component, version in versions.items():
        if not isinstance(version, str) or not layout.of_kind(version, None):
            raise ConfigError(f"plumbing:tektonVersions.{component}: {version!r} is not a pinned version such as v1.0.0")
    return versions


def flag(knob: str, value) -> bool:
    """A true/false knob: Pulumi config holds strings, so "true"/"false" (or a bool); unset is false."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ConfigError(f"plumbing:{knob} must be true or false, not {value!r}")


def settings_from(get: Callable[[str], object], gcp: Callable[[str], str | None]) -> Settings:
    """Settings from two lookups: `get(knob)` for `plumbing:` knobs (ints and objects already
    decoded, None when unset) and `gcp(key)` for `gcp:` config. ConfigError on a bad value."""
    target = get("target") or "gke"
    if target not in ("gke", "existing"):
        raise ConfigError(f"plumbing:target must be gke or existing, not {target!r}")
    if target == "gke":
        missing = [f"gcp:{k}" for k in ("project", "region") if not gcp(k)]
        if missing:
            raise ConfigError(f"{', '.join(missing)}: required when plumbing:target is gke")
    if flag("githubAdopt", get("githubAdopt")) and not flag("githubOrg", get("githubOrg")):
        raise ConfigError("plumbing:githubAdopt: needs plumbing:githubOrg: true (it adopts what that declares)")
    return Settings(
        target=target,
        gcp_project=gcp("project") if target == "gke" else None,
        region=gcp("region") if target == "gke" else None,
        bucket_location=get("bucketLocation") or "US",
        machine_type=get("machineType") or "e2-standard-4",
        nodes_min=get("nodesMin") or 1,
        nodes_max=get("nodesMax") or 3,
        disk_size_gb=get("diskSizeGb") or 100,
        release_channel=get("releaseChannel") or "REGULAR",
        kube_context=get("kubeContext"),
        nightly_retention_days=get("nightlyRetentionDays") or 30,
        registry_username=get("registryUsername") or "tekton-robot",
        versions=_versions(get("tektonVersions")),
        channels=_channels(get("channels")),
        github_org=flag("githubOrg", get("githubOrg")),
        github_adopt=flag("githubAdopt", get("githubAdopt")),
        plumbing_image=_digest(get(IMAGE_KNOB)),
    )


def _channels(channels) -> dict:
    from plumbing.components import check_channels

    return check_channels(channels)



def _digest(image) -> str | None:
    if image is None:
        return None
    if not isinstance(image, str) or "@sha256:" not in image:
        raise ConfigError(f"plumbing:{IMAGE_KNOB}: {image!r} is not pinned by digest (REPO@sha256:...); "
                          "the deploy pipeline sets it to the image built for the deployed commit")
    return image


def deployed_image(settings: Settings) -> str:
    """The plumbing image the CronJobs run: only ever the digest the deploy set, never a tag."""
    if settings.plumbing_image is None:
        raise ConfigError(f"plumbing:{IMAGE_KNOB} is not set: the deploy pipeline sets it to the digest of the "
                          "plumbing image built for the commit it deploys (docs/cd.md; by hand only to bootstrap)")
    return settings.plumbing_image


PLACEHOLDER_DIGEST = "sha256:" + "0" * 64


def placeholder_image(root) -> str:
    """What the offline plan shows for the deployed image: the plumbing image's repository with an
    all-zero digest (the deploy pipeline sets the real one)."""
    from plumbing.config import load_repo

    ref = load_repo(root).org.tool_images["plumbing"].split("@", 1)[0]
    repository = ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
    return f"{repository}@{PLACEHOLDER_DIGEST}"
