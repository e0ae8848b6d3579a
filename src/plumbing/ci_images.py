"""Loading images/<name>/image.yaml: the CI images the cluster builds on a schedule.

Each image is a folder holding a Dockerfile and an image.yaml (target repository, platforms,
schedule), checked by schemas/image.yaml plus the cross-field rules here. The Pulumi program
makes one CronJob per image from this list; `plumbing image build NAME` renders its run.
No Pulumi or cloud import here: linting and rendering use it too.
"""

from __future__ import annotations

import re
from pathlib import Path

from plumbing.config import KNOWN_PLATFORMS, cron_problem, image_pin_problem, read_yaml, schema_findings
from plumbing.findings import ConfigError, Finding

IMAGES_DIR = "images"
IMAGE_FILE = "image.yaml"
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", re.IGNORECASE | re.MULTILINE)


def effective_image(raw: dict, name: str, org) -> dict:
    """The image config with every default filled in."""
    image = dict(raw)
    image["name"] = name
    image.setdefault("description", "")
    image.setdefault("context", f"{IMAGES_DIR}/{name}")
    image["dockerfile"] = f"{IMAGES_DIR}/{name}/Dockerfile"
    gh = org.notify.github_repository
    image.setdefault("repository", f"https://github.com/{gh}" if gh else None)
    image.setdefault("revision", "main")
    image.setdefault("build_args", {})
    image["platforms"] = list(image["platforms"])
    return image


def dockerfile_findings(path: Path, display: str) -> list[Finding]:
    """Every FROM must be pinned (digest or version tag): a moving base makes builds drift."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [Finding(display, 1, 1, "error", "image-config", f"cannot read the Dockerfile: {exc}")]
    out = []
    stages = set()
    for match in _FROM.finditer(text):
        ref = match.group(1)
        line = text.count("\n", 0, match.start(1)) + 1
        rest = text[match.end(1):].split("\n", 1)[0].split()
        if ref.lower() == "scratch" or ref in stages:
            pass
        else:
            problem = image_pin_problem(ref)
            if problem:
                out.append(Finding(display, line, 1, "error", "image-unpinned-base", f"FROM {ref} {problem}"))
        if len(rest) >= 2 and rest[0].upper() == "AS":
            stages.add(rest[1])
    if not _FROM.search(text):
        out.append(Finding(display, 1, 1, "error", "image-config", "the Dockerfile has no FROM line"))
    return out


def check_ci_images(root: Path, org: dict) -> tuple[dict[str, dict], list[Finding]]:
    """Every images/<name>/ folder: the effective configs and all findings."""
    images: dict[str, dict] = {}
    findings: list[Finding] = []
    base = Path(root) / IMAGES_DIR
    for folder in sorted(p for p in base.glob("*") if p.is_dir()) if base.is_dir() else []:
        name = folder.name
        display = f"{IMAGES_DIR}/{name}/{IMAGE_FILE}"
        if not _NAME.fullmatch(name):
            findings.append(Finding(display, 1, 1, "error", "image-config",
                                    f"folder name {name!r} is not a Kubernetes name (lowercase, digits, '-')"))
            continue
        if not (folder / IMAGE_FILE).is_file():
            findings.append(Finding(display, 1, 1, "error", "image-config", f"images/{name}/ has no {IMAGE_FILE}"))
            continue
        doc, errs = read_yaml(folder / IMAGE_FILE, display)
        if doc is None:
            findings.extend(errs)
            continue
        errs = schema_findings(doc, "image.yaml", display, "image-config")
        if errs:
            findings.extend(errs)
            continue
        image = effective_image(doc.data, name, org)

        def add(path, message, doc=doc, display=display):
            line, col = doc.position(path)
            findings.append(Finding(display, line, col, "error", "image-config", message))

        for i, plat in enumerate(image["platforms"]):
            if plat not in KNOWN_PLATFORMS:
                add(("platforms", i), f"platforms.{i}: unknown platform {plat!r}")
        if len(set(image["platforms"])) != len(image["platforms"]):
            add(("platforms",), "platforms: lists a platform twice")
        problem = cron_problem(image["schedule"])
        if problem:
            add(("schedule",), f"schedule: {problem}")
        if image["repository"] is None:
            add(("repository",), "repository: required when plumbing.yaml has no notify.github_repository")
        if ".." in image["context"].split("/"):
            add(("context",), "context: must stay inside the repository")
        dockerfile = folder / "Dockerfile"
        if not dockerfile.is_file():
            add((), f"images/{name}/ has no Dockerfile")
        else:
            findings.extend(dockerfile_findings(dockerfile, f"{IMAGES_DIR}/{name}/Dockerfile"))
        images[name] = image
    return images, findings


def load_images(repo) -> dict[str, dict]:
    """The checked, effective image configs; ConfigError (exit 2) naming the first problem."""
    images, findings = check_ci_images(repo.root, repo.org)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(errors[0].format() + more, findings=errors)
    return images


def image_named(repo, name: str) -> dict:
    images = load_images(repo)
    if name not in images:
        known = ", ".join(sorted(images)) or "none"
        raise ConfigError(f"unknown image {name!r}; known images: {known}")
    return images[name]


# --- rendering a build ---------------------------------------------------------------------

TEMPLATE = "pipelines/image-build.yaml.j2"
# BuildKit rootless, daemonless; org tool_images.buildkit overrides it when set.
BUILDKIT = ("moby/buildkit:v0.20.2-rootless"
            "@sha256:cb5bb371545222c430528556acfdf424144b69897f5deaad391bd227187e90df")
BUILD_TIMEOUT = "1h30m"


def builder_image(org) -> str:
    return org.tool_images.get("buildkit") or BUILDKIT


def render_build(repo, image: dict) -> dict:
    """The image-build Pipeline and its PipelineRun (pipeline spec embedded, commit and content
    hash annotated), plus the plan that describes them."""
    import copy

    from plumbing.findings import CheckFailed
    from plumbing.inventory.desired import IMAGE_BUILDER, REGISTRY_SECRET
    from plumbing.render import content_hash, plumbing_commit, render_template

    namespace = repo.org.namespaces["release"]
    builder = builder_image(repo.org)
    problem = image_pin_problem(builder)
    if problem or "@sha256:" not in builder:
        raise ConfigError(f"tool_images.buildkit: {builder} must be pinned by digest")
    docs = render_template(
        repo, TEMPLATE, image=image, builder=builder, namespace=namespace, service_account=IMAGE_BUILDER,
        registry_secret=REGISTRY_SECRET, timeout=BUILD_TIMEOUT,
        build_args=[f"{k}={v}" for k, v in sorted(image["build_args"].items())])
    kinds = [d.get("kind") for d in docs]
    if kinds != ["Pipeline", "PipelineRun"]:
        raise CheckFailed(f"{TEMPLATE}: renders {kinds}, expected a Pipeline then a PipelineRun")
    pipeline, run = docs
    spec = copy.deepcopy(pipeline["spec"])
    run["spec"].pop("pipelineRef", None)
    run["spec"] = {"pipelineSpec": spec, **run["spec"]}
    annotations = run["metadata"].setdefault("annotations", {})
    annotations["plumbing.tekton.dev/commit"] = plumbing_commit(repo.root)
    annotations["plumbing.tekton.dev/content-hash"] = content_hash(spec)
    plan = {
        "image": image["name"],
        "target": f"{image['image']}:vYYYYMMDD-<commit10>",
        "repository": image["repository"],
        "revision": image["revision"],
        "context": image["context"],
        "dockerfile": image["dockerfile"],
        "platforms": image["platforms"],
        "schedule": image["schedule"],
        "builder": builder,
        "namespace": namespace,
        "service_account": IMAGE_BUILDER,
        "timeout": BUILD_TIMEOUT,
    }
    return {"plan": plan, "pipeline": pipeline, "pipelinerun": run}
