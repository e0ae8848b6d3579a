"""Every Secret the pipelines read, declared here and filled from Pulumi config secrets
(`pulumi config set --secret KEY VALUE`, encrypted in the stack file): nothing made by hand,
nothing in plaintext in git. The registry Secret is a docker config.json built from a token."""

from __future__ import annotations

import base64
import json

import pulumi
import pulumi_kubernetes as k8s

from infra.access import MANAGED
from plumbing.inventory.isolation import PROJECT_LABEL, REGISTRY_PATH_ANNOTATION


def docker_config(registries, username, token):
    auth = base64.b64encode(f"{username}:{token}".encode()).decode()
    return json.dumps({"auths": {host: {"auth": auth} for host in sorted(registries)}}, sort_keys=True)


class Secrets(pulumi.ComponentResource):
    def __init__(self, name: str, *, repo, specs, namespaces, settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Secrets", name, None, opts)
        cfg = pulumi.Config("plumbing")
        registries = {repo.org.registry[k].split("/", 1)[0] for k in ("nightly", "release")}
        self.secrets = {}
        for spec in specs:
            data = {}
            hosts = {spec.registry_path.split("/", 1)[0]} if spec.registry_path else registries
            for key, config_key in spec.keys.items():
                value = cfg.require_secret(config_key)
                if spec.kind == "dockerconfig":
                    value = value.apply(lambda t, hosts=hosts: docker_config(hosts, settings.registry_username, t))
                data[key] = value
            labels, annotations = dict(MANAGED), {"plumbing.tekton.dev/purpose": spec.purpose,
                                                  "plumbing.tekton.dev/config-keys": ",".join(sorted(spec.keys.values()))}
            if spec.project:   # read by the policies: this credential pushes for this project only
                labels[PROJECT_LABEL] = spec.project
                annotations[REGISTRY_PATH_ANNOTATION] = spec.registry_path
            secret = k8s.core.v1.Secret(
                f"{name}-{spec.namespace_key.replace('/', '-')}-{spec.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=spec.name, namespace=namespaces[spec.namespace_key].metadata.name, labels=labels,
                    annotations=annotations),
                type="Opaque", string_data=data,
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stringData", "data"]))
            self.secrets[f"{spec.namespace}/{spec.name}"] = secret
        self.register_outputs({"secrets": sorted(self.secrets)})
