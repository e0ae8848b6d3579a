"""`release nightly|full|check|list`: thin click layer over plumbing.release."""

from __future__ import annotations

import json

import click

from plumbing.cli.common import exits, root_option, run_options
from plumbing.findings import EXIT_FAILED, EXIT_OK

_output = click.option("--output", "output", type=click.Choice(["text", "json"]), default="text",
                       show_default=True, help="Print the plan for people (text) or machines (json).")
_out = click.option("--out", "out", type=click.Path(file_okay=False), default=None,
                    help="Where to write the rendered release [default: dist/<project>/<version>].")
_revision = click.option("--revision", metavar="SHA", help="The 40-hex commit to release.")
_previous = click.option("--previous", metavar="VERSION",
                         help="The highest version already released; latest/ moves only above it.")


def _release_options(fn):
    """The options `nightly` and `full` share, outermost last."""
    for option in (exits, root_option, run_options("the PipelineRun (after pre-flight guards)"), _output, _out,
                   _previous):
        fn = option(fn)
    return fn


def _run(project, mode, *, no_follow, **kwargs) -> int:
    from plumbing.release.command import run_release

    return run_release(project, mode, follow=not no_follow, **kwargs)


@click.command()
@click.argument("project")
@_revision
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The nightly's date [default: today, UTC].")
@_release_options
def nightly(project, **options):
    """Plan a nightly release of PROJECT: version vYYYYMMDD-<commit>, nightly bucket and registry.

    Without --revision the tip of the project's default branch is resolved with git ls-remote.
    """
    return _run(project, "nightly", **options)


@click.command()
@click.argument("project")
@click.option("--version", "version", metavar="vX.Y.Z", required=True, help="The release version.")
@click.option("--revision", metavar="SHA", required=True, help="The 40-hex commit to release.")
@_release_options
def full(project, **options):
    """Plan a full release vX.Y.Z of PROJECT from an exact commit."""
    return _run(project, "full", **options)


@click.command()
@click.argument("projects", nargs=-1)
@click.option("--write", "write", type=click.Path(file_okay=False), default=None,
              help="Also write each render to DIR/<project>-<mode>/, e.g. for `plumbing lint DIR`.")
@_output
@root_option
@exits
def check(projects, write, output, root):
    """Validate the config and render every (or each named) project in both modes.

    Writes nothing unless --write is given.
    """
    from plumbing.release.command import run_check

    return run_check(projects, root=root, output=output, write=write)


@click.command("list")
@_output
@root_option
@exits
def list_projects(output, root):
    """The configured projects, their images and nightly schedules."""
    from plumbing.config import load_repo

    repo = load_repo(root)
    rows = [{"name": p.name, "repository": p.repository, "images": list(p.images), "nightly": p.schedule}
            for p in repo.projects.values()]
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
        return EXIT_OK
    width = max((len(r["name"]) for r in rows), default=4)
    for r in rows:
        nightly_text = r["nightly"] or "no nightly"
        click.echo(f"{r['name']:<{width}}  {nightly_text:<12}  {len(r['images'])} images  {r['repository']}")
    return EXIT_OK if rows else EXIT_FAILED
