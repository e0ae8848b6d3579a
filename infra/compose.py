"""Composition of the plumbing infrastructure: reads plumbing.yaml, releases/, images/,
cronjobs/ and (when the stack enables it) github.yaml through plumbing's loaders, the stack's
knobs from Pulumi config, and wires one component per concern. `infra/__main__.py` calls
`compose()`; so does `plumbing infra plan`."""

from __future__ import annotations

from pathlib import Path

import pulumi

from infra import settings as settings_mod
from infra.access import Access
from infra.schedules import ImageBuilds, Nightlies, ScheduledJobs
from infra.secret_store import Secrets
from infra.tekton_install import Tekton
from plumbing.ci_images import load_images
from plumbing.config import load_repo
from plumbing.cronjobs import load_jobs
from plumbing.github_org import load_github
from plumbing.inventory import desired as model
from plumbing.inventory import isolation


def compose(root: Path | None = None) -> dict:
    """Declare everything; the config is `root`'s, else $PLUMBING_ROOT's or the working folder's."""
    repo = load_repo(root)
    images = load_images(repo)
    jobs = load_jobs(repo)
    settings = settings_mod.read()
    identities = model.identities(repo, images, jobs)
    scheduled = model.scheduled_jobs(repo, images, jobs)
    # The digest the deploy pipeline built for this commit, never the hand-pinned tag (docs/cd.md).
    from plumbing.inventory.stack import deployed_image
    plumbing_image = deployed_image(settings)
    github = load_github(repo) if settings.github_org else None

    from infra.cluster import Cluster  # pulumi_gcp is imported only when needed
    cluster = Cluster("cluster", repo=repo, settings=settings)
    k8s_opts = pulumi.ResourceOptions(providers=[cluster.provider])
    emails = {}
    if settings.gke:
        from infra.buckets import Buckets
        from infra.identities import Identities

        buckets = Buckets("buckets", repo=repo, settings=settings)
        emails = Identities("identities", identities=identities, buckets=buckets, settings=settings).emails
        repositories = isolation.registry_repositories(repo)
        if repositories:   # Google's registry: a repository per project (infra/registries.py)
            from infra.registries import Registries

            Registries("registries", repositories=repositories, emails=emails)
    access = Access("access", repo=repo, identities=identities, emails=emails, opts=k8s_opts)
    Secrets("secrets", repo=repo, specs=model.secrets(repo), namespaces=access.namespaces,
            settings=settings, opts=k8s_opts)
    Tekton("tekton", repo=repo, settings=settings, opts=k8s_opts)
    if "test" in access.namespaces:
        from infra.post_release_test import PostReleaseTests

        PostReleaseTests("post-release-tests", repo=repo, namespace=access.namespaces["test"], opts=k8s_opts)
    from infra.deployer import Deployer
    Deployer("deployer", repo=repo, settings=settings, image=plumbing_image, opts=k8s_opts)
    by_kind = {kind: [j for j in scheduled if j.kind == kind] for kind in ("nightly", "image", "job")}
    after_access = pulumi.ResourceOptions(providers=[cluster.provider], depends_on=list(access.service_accounts.values()))
    Nightlies("nightlies", jobs=by_kind["nightly"], image=plumbing_image, namespaces=access.namespaces,
              opts=after_access)
    ImageBuilds("image-builds", jobs=by_kind["image"], image=plumbing_image, namespaces=access.namespaces,
                opts=after_access)
    ScheduledJobs("jobs", jobs=by_kind["job"], image=plumbing_image, namespaces=access.namespaces,
                  opts=after_access)
    if github is not None:
        from infra.github_org import GitHubOrg  # pulumi_github is imported only when enabled

        GitHubOrg("github", org=github, adopt=settings.github_adopt)
    pulumi.export("target", settings.target)
    pulumi.export("cronjobs", sorted(j.name for j in scheduled))
    return {"repo": repo, "settings": settings}
