"""`release publish`, `release status`, `release precheck`: the bucket side of a release."""

from __future__ import annotations

import json

import click

from plumbing.cli.common import exits, output_option, root_option
from plumbing.findings import EXIT_FAILED, EXIT_OK


def _repo(root):
    from plumbing.config import load_repo

    return load_repo(root)


@click.command("publish")
@click.argument("project")
@click.argument("version")
@click.option("--from", "src_dir", required=True, type=click.Path(file_okay=False),
              help="The folder to upload: release.yaml, release.notags.yaml, extra files.")
@click.option("--bucket", "bucket_url", default=None,
              help="gs://name[/prefix] or file:///path (default: plumbing.yaml's nightly bucket for "
                   "a nightly tag, release bucket for vX.Y.Z).")
@click.option("--latest", type=click.Choice(["auto", "never"]), default="auto", show_default=True,
              help="auto: move latest/ only when VERSION is the highest release; never: leave it.")
@root_option
@output_option
@exits
def publish(project, version, src_dir, bucket_url, latest, root, output):
    """Upload DIR to <bucket>/PROJECT/previous/VERSION/ and maybe mirror it to latest/.

    Refuses (exit 1, nothing changed) a folder that already holds a release, a release.yaml
    whose version labels say devel or another version, and a version of the wrong kind for
    the bucket. release.yaml is uploaded last, so a re-run after an interruption finishes.
    """
    from plumbing.release.publish import bucket_for
    from plumbing.release.publish import publish as run
    from plumbing.storage import open_bucket

    repo = _repo(root)
    repo.project(project)
    url = bucket_for(repo.org, version, bucket_url)
    bucket = open_bucket(url)
    result = run(bucket, project, version, src_dir, latest=latest, public_base=repo.org.public_url)
    if output == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for line in result.lines():
            click.echo(line)
    return EXIT_OK


@click.command("status")
@click.argument("project", required=False)
@click.option("--now", "now", default=None, help="Pretend it is this ISO 8601 time (tests).")
@click.option("--nightly-bucket", default=None, help="Override plumbing.yaml's nightly bucket.")
@click.option("--release-bucket", default=None, help="Override plumbing.yaml's release bucket.")
@root_option
@output_option
@exits
def status(project, now, nightly_bucket, release_bucket, root, output):
    """Latest full and nightly release per project, their age and post-release test; exit 1 if
    a nightly is stale or the newest nightly failed its post-release test.

    A nightly is stale when it is older than twice its schedule's period (or missing while
    the project has a nightly schedule).
    """
    from plumbing.ages import parse_now
    from plumbing.posttest.state import add_test_states
    from plumbing.release.status import project_status
    from plumbing.storage import open_bucket

    repo = _repo(root)
    when = parse_now(now)
    projects = [repo.project(project)] if project else [repo.projects[n] for n in sorted(repo.projects)]
    nb_url = nightly_bucket or repo.org.buckets.nightly
    rb_url = release_bucket or repo.org.buckets.release
    nb = open_bucket(nb_url) if nb_url else None
    rb = open_bucket(rb_url) if rb_url else None
    rows = [project_status(p, nb, rb, when) for p in projects]
    add_test_states(rows, nb, rb, public_base=repo.org.public_url)
    stale = [r for r in rows if r.stale]
    failed = [r for r in rows if r.nightly_test_failed]
    if output == "json":
        click.echo(json.dumps({"now": when.isoformat(), "stale": [r.project for r in stale],
                               "test_failed": [r.project for r in failed],
                               "projects": [r.as_dict() for r in rows]}, indent=2))
    else:
        for r in rows:
            click.echo(r.line())
        if stale:
            click.echo(f"{len(stale)} stale nightly: {', '.join(r.project for r in stale)}", err=True)
        if failed:
            click.echo(f"{len(failed)} newest nightly failed its post-release test: "
                       f"{', '.join(r.project for r in failed)}", err=True)
    return EXIT_FAILED if stale or failed else EXIT_OK


@click.command("precheck")
@click.argument("project")
@click.argument("version")
@click.option("--bucket", "bucket_url", default=None, help="Override the bucket for VERSION's kind.")
@click.option("--repository", default=None, help="Git repository to look for the tag in "
              "(default: the project's repository; file:// URLs work).")
@click.option("--github-api", default="https://api.github.com", show_default=True)
@click.option("--skip-github", is_flag=True, help="Do not ask GitHub whether the release exists.")
@root_option
@output_option
@exits
def precheck(project, version, bucket_url, repository, github_api, skip_github, root, output):
    """Fail (exit 1, one line each) if VERSION's tag, bucket folder or GitHub release exists."""
    from plumbing.cli.common import github_client
    from plumbing.release.precheck import precheck as run
    from plumbing.release.publish import bucket_for
    from plumbing.storage import open_bucket

    repo = _repo(root)
    proj = repo.project(project)
    bucket = open_bucket(bucket_for(repo.org, version, bucket_url))
    failures = run(proj, version, bucket, repository=repository,
                   github=None if skip_github else github_client(github_api))
    if output == "json":
        click.echo(json.dumps({"project": project, "version": version, "ok": not failures,
                               "failures": failures}, indent=2))
    else:
        for line in failures:
            click.echo(f"{project} {version}: {line}", err=True)
        if not failures:
            click.echo(f"{project} {version}: no tag, bucket folder or GitHub release yet; clear to release")
    return EXIT_FAILED if failures else EXIT_OK
