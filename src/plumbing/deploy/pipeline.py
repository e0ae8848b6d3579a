"""Render the deploy Pipeline and its PipelineRun for one stack and commit: the clone and build
tasks are the image-build pipeline's own (rendered for images/plumbing), embedded, so the image
the deploy runs is built exactly as every other CI image is."""

from __future__ import annotations

import copy

from plumbing.findings import CheckFailed, ConfigError

TEMPLATE = "pipelines/deploy.yaml.j2"


MODES = ("deploy", "drift")


def render(repo, stack: str, revision: str, repository: str, mode: str = "deploy") -> dict:
    from plumbing.ci_images import load_images, render_build
    from plumbing.config import image_pin_problem
    from plumbing.inventory import deployer
    from plumbing.inventory.desired import REGISTRY_SECRET
    from plumbing.render import content_hash, embed_tasks, plumbing_commit, render_template

    images = load_images(repo)
    if "plumbing" not in images:
        raise ConfigError("images/plumbing/image.yaml: the deploy builds the plumbing image; it is missing")
    image = images["plumbing"]
    problem = image_pin_problem(deployer.PULUMI_IMAGE)
    if problem:
        raise ConfigError(f"{deployer.PULUMI_IMAGE} {problem}")
    build = render_build(repo, dict(image, revision=revision))["pipeline"]
    build_tasks = {f"image-build-{t['name']}": {"spec": t["taskSpec"]} for t in build["spec"]["tasks"]}
    docs = render_template(
        repo, TEMPLATE, mode=mode, stack=stack, revision=revision, repository=repository, image=image,
        build_args=[f"{k}={v}" for k, v in sorted(image["build_args"].items())],
        pulumi_image=deployer.PULUMI_IMAGE, state_bucket=deployer.state_bucket(repo.org),
        namespace=deployer.NAMESPACE, service_account=deployer.SERVICE_ACCOUNT, registry_secret=REGISTRY_SECRET,
        timeout=deployer.TIMEOUT)
    kinds = [d.get("kind") for d in docs]
    if kinds != ["Pipeline", "PipelineRun"]:
        raise CheckFailed(f"{TEMPLATE}: renders {kinds}, expected a Pipeline then a PipelineRun")
    pipeline, run = docs
    spec = embed_tasks(pipeline, build_tasks)
    run["spec"].pop("pipelineRef", None)
    run["spec"] = {"pipelineSpec": copy.deepcopy(spec), **run["spec"]}
    annotations = run["metadata"].setdefault("annotations", {})
    annotations["plumbing.tekton.dev/commit"] = plumbing_commit(repo.root)
    annotations["plumbing.tekton.dev/content-hash"] = content_hash(spec)
    pipeline = dict(pipeline, spec=spec)
    return {"pipeline": pipeline, "pipelinerun": run,
            "plan": {"mode": mode, "stack": stack, "revision": revision, "repository": repository,
                     "namespace": deployer.NAMESPACE, "service_account": deployer.SERVICE_ACCOUNT,
                     "pulumi_image": deployer.PULUMI_IMAGE, "state_bucket": deployer.state_bucket(repo.org)}}
