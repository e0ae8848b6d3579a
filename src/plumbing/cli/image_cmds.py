"""`plumbing image`: the CI images under images/<name>/ (Dockerfile + image.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from plumbing.cli.common import exits, output_option, root_option, run_options, usage_error
from plumbing.findings import EXIT_OK


@click.group()
def image():
    """CI images built in the cluster (BuildKit rootless, no Docker daemon).

    \b
    plumbing image list                     the images and their schedules
    plumbing image build plumbing           render dist/images/plumbing/ and print the plan
    plumbing image build plumbing --apply   ... and run it in the cluster
    """


@image.command("list")
@output_option
@root_option
@exits
def list_images(output, root):
    """The images under images/, checked."""
    from plumbing.ci_images import load_images
    from plumbing.config import load_repo

    images = load_images(load_repo(root))
    if output == "json":
        click.echo(json.dumps({"images": list(images.values())}, indent=2))
    else:
        for img in images.values():
            click.echo(f"{img['name']:<20} {img['image']}  {','.join(img['platforms'])}  {img['schedule']!r}")
    return EXIT_OK


@image.command("build")
@click.argument("name")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Where to write the Pipeline and PipelineRun [default: dist/images/NAME].")
@run_options("the image-build PipelineRun")
@output_option
@root_option
@exits
def build(name, out, apply, no_follow, logs, output, root):
    """Render the image-build PipelineRun for images/NAME/ and print the plan."""
    from plumbing.ci_images import image_named, render_build
    from plumbing.config import load_repo
    from plumbing.render import header, write_documents

    repo = load_repo(root)
    result = render_build(repo, image_named(repo, name))
    folder = Path(out) if out else repo.root / "dist" / "images" / name
    head = header(["pipelines/image-build.yaml.j2", f"images/{name}/image.yaml", "plumbing.yaml"], repo.root)
    files = [write_documents([result["pipeline"]], folder / "pipeline.yaml", head),
             write_documents([result["pipelinerun"]], folder / "pipelinerun.yaml", head)]
    plan = {**result["plan"], "files": [str(f) for f in files]}
    if output == "json":
        click.echo(json.dumps(plan, indent=2))
    else:
        click.echo(f"image {plan['image']}: build {plan['target']} for {', '.join(plan['platforms'])}")
        click.echo(f"  from {plan['repository']} at {plan['revision']}, context {plan['context']}, "
                   f"dockerfile {plan['dockerfile']}")
        click.echo(f"  builder {plan['builder']}")
        click.echo(f"  runs in namespace {plan['namespace']} as {plan['service_account']}, timeout {plan['timeout']}; "
                   f"scheduled {plan['schedule']!r} UTC")
        for f in files:
            click.echo(f"  wrote {f}")
    if not apply:
        return EXIT_OK
    try:
        from plumbing.cluster.apply import submit
    except ImportError:
        raise usage_error("--apply: not available in this build (plumbing.cluster.apply is missing)") from None
    return submit(repo, result["pipelinerun"], namespace=plan["namespace"], service_account=plan["service_account"],
                  follow=not no_follow, logs=logs)
