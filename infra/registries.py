"""Artifact Registry, where plumbing.yaml's registry is Google's: one repository per released
project, writable (roles/artifactregistry.writer) by that project's runners only. A registry
reached with a token (ghcr.io) gets a push Secret per project namespace instead (secret_store)."""

from __future__ import annotations

import pulumi
from pulumi_gcp import artifactregistry


class Registries(pulumi.ComponentResource):
    def __init__(self, name: str, *, repositories, emails, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Registries", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repositories = {}
        for r in repositories:
            logical = f"{name}-{r.cloud_project}-{r.location}-{r.repository}"
            repository = artifactregistry.Repository(
                logical, repository_id=r.repository, location=r.location, project=r.cloud_project,
                format="DOCKER", description=f"images of {r.repository}, pushed by its release runs only",
                labels={"plumbing": "release"}, opts=child)
            for key in r.writers:
                # the repository by its id (known offline, read by the policies), after it exists
                artifactregistry.RepositoryIamMember(
                    f"{logical}-{key.replace('/', '-')}", repository=r.repository, location=r.location,
                    project=r.cloud_project, role="roles/artifactregistry.writer",
                    member=emails[key].apply(lambda e: f"serviceAccount:{e}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[repository]))
            self.repositories[logical] = repository
        self.register_outputs({"repositories": sorted(self.repositories)})
