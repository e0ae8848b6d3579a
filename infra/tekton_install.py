"""Tekton Pipelines, Triggers (and its core interceptors), the read-only Dashboard, Chains and
the pruner, each from its release file at a pinned version (third-party YAML: the only YAML
groups in the program), plus typed server-side-apply patches for their config: feature flags,
Chains' storage and signing key, and how long old runs are kept.

The release files are `pulumi_kubernetes.yaml.v2.ConfigFile`s: the provider fetches and expands
them, not this program, so under mocks (`plumbing infra plan`) nothing is fetched and each
appears as one resource with its pinned URL."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.yaml.v2 import ConfigFile

from plumbing.components import install_url
from plumbing.inventory.desired import CHAINS_SIGNING_KEYS
from plumbing.inventory.isolation import namespaces as project_namespaces
from plumbing.tekton_flags import FEATURE_FLAGS  # one definition, also what plumbing lint assumes

# The patches take over fields the release files set: force server-side apply ownership.
FORCE = {"pulumi.com/patchForce": "true"}

TRIGGERS_FLAGS = {"enable-api-fields": "stable"}
CHAINS_CONFIG = {
    "artifacts.taskrun.format": "in-toto",
    "artifacts.taskrun.storage": "oci",
    "artifacts.pipelinerun.format": "in-toto",
    "artifacts.pipelinerun.storage": "oci",
    "artifacts.oci.storage": "oci",
    "transparency.enabled": "false",
}
# Old runs: how long finished runs stay and how many are kept, per namespace key.
RETENTION = {
    "nightly": {"ttlSecondsAfterFinished": 7 * 86400, "successfulHistoryLimit": 30, "failedHistoryLimit": 30},
    "release": {"ttlSecondsAfterFinished": 30 * 86400, "successfulHistoryLimit": 50, "failedHistoryLimit": 50},
    "ci": {"ttlSecondsAfterFinished": 3 * 86400, "successfulHistoryLimit": 100, "failedHistoryLimit": 50},
}
DEFAULT_RETENTION = {"ttlSecondsAfterFinished": 7 * 86400, "successfulHistoryLimit": 20, "failedHistoryLimit": 20}


def pruner_config(namespaces: dict) -> str:
    lines = ["enforcedConfigLevel: global"]
    lines += [f"{k}: {v}" for k, v in DEFAULT_RETENTION.items()]
    lines.append("namespaces:")
    for key, ns in sorted(namespaces.items()):
        lines.append(f"  {ns}:")
        # a project's own namespace (key <project>/<mode key>) keeps runs as its mode does
        lines += [f"    {k}: {v}" for k, v in RETENTION.get(key.rsplit("/", 1)[-1], DEFAULT_RETENTION).items()]
    return "\n".join(lines) + "\n"


class Tekton(pulumi.ComponentResource):
    def __init__(self, name: str, *, repo, settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Tekton", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        v = settings.versions

        def release_file(component: str, file: str = "release.yaml") -> str:
            # A nightly pin installs from our nightly bucket's previous/<tag>/, like a release.
            return install_url(repo.org, component, v[component], file)

        self.pipeline = ConfigFile(f"{name}-pipeline-{v['pipeline']}", file=release_file("pipeline"),
                                   opts=child)
        after_pipeline = pulumi.ResourceOptions(parent=self, depends_on=[self.pipeline])
        self.triggers = ConfigFile(f"{name}-triggers-{v['triggers']}", file=release_file("triggers"),
                                   opts=after_pipeline)
        self.interceptors = ConfigFile(f"{name}-interceptors-{v['triggers']}",
                                       file=release_file("triggers", "interceptors.yaml"),
                                       opts=pulumi.ResourceOptions(parent=self, depends_on=[self.triggers]))
        # release.yaml is the Dashboard's read-only install (release-full.yaml would allow edits).
        self.dashboard = ConfigFile(f"{name}-dashboard-{v['dashboard']}", file=release_file("dashboard"),
                                    opts=after_pipeline)
        self.chains = ConfigFile(f"{name}-chains-{v['chains']}", file=release_file("chains"),
                                 opts=after_pipeline)
        self.pruner = ConfigFile(f"{name}-pruner-{v['pruner']}", file=release_file("pruner"),
                                 opts=after_pipeline)

        def patch(logical, cm, namespace, data, after):
            return k8s.core.v1.ConfigMapPatch(
                f"{name}-{logical}", metadata=k8s.meta.v1.ObjectMetaPatchArgs(
                    name=cm, namespace=namespace, annotations=FORCE),
                data=data, opts=pulumi.ResourceOptions(parent=self, depends_on=[after]))

        patch("feature-flags", "feature-flags", "tekton-pipelines", FEATURE_FLAGS, self.pipeline)
        patch("triggers-feature-flags", "feature-flags-triggers", "tekton-pipelines", TRIGGERS_FLAGS, self.triggers)
        patch("chains-config", "chains-config", "tekton-chains", CHAINS_CONFIG, self.chains)
        patch("pruner-config", "tekton-pruner-default-spec", "tekton-pipelines",
              {"global-config": pruner_config(
                  {**repo.org.namespaces, **{s.key: s.name for s in project_namespaces(repo)}})}, self.pruner)
        cfg = pulumi.Config("plumbing")
        k8s.core.v1.SecretPatch(
            f"{name}-chains-signing-secrets",
            metadata=k8s.meta.v1.ObjectMetaPatchArgs(name="signing-secrets", namespace="tekton-chains",
                                                     annotations=FORCE),
            string_data={key: cfg.require_secret(ck) for key, ck in CHAINS_SIGNING_KEYS.items()},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.chains],
                                        additional_secret_outputs=["stringData", "data"]))
        self.register_outputs({"versions": dict(v)})
