"""`plumbing dashboard` (the static release status site) and `release record` (a run's outcome)."""

from __future__ import annotations

from datetime import UTC

import click

from plumbing.cli.common import exits, root_option, usage_error


def _parse_now(now: str | None):
    from datetime import datetime

    from plumbing.outcome import OutcomeError, parse_time

    if now is None:
        return datetime.now(UTC)
    try:
        return parse_time(now)
    except OutcomeError as exc:
        raise usage_error(f"--now: {exc}") from None


@click.command("dashboard")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write the site to this folder.")
@click.option("--upload", is_flag=True, help="Publish the site to the logs bucket, under dashboard/.")
@click.option("--now", default=None, metavar="ISO-TIME",
              help="Judge staleness as of this time (default: now), e.g. 2026-11-24T06:00:00Z.")
@click.option("--limit", type=click.IntRange(1, 10000), default=60, show_default=True,
              help="Newest releases shown per project and kind.")
@click.option("--versions", "versions_stack", default=None, metavar="STACK",
              help="Add the versions view (versions.html) of this stack: pins and newest verified versions.")
@click.option("--cluster", "read_cluster", is_flag=True,
              help="With --versions: also read what the cluster runs (its Deployments).")
@root_option
@exits
def dashboard(out_dir, upload, now, limit, versions_stack, read_cluster, root):
    """Build the release status site from the buckets: what ran, what failed, where the logs are.

    \b
    plumbing dashboard --out dist/dashboard          build it locally
    plumbing dashboard --upload                      refresh <logs bucket>/dashboard/ (the CronJob)
    """
    from plumbing.config import load_repo
    from plumbing.dashboard import SITE_PREFIX, build
    from plumbing.dashboard.collect import PROBLEMS

    if not out_dir and not upload:
        raise usage_error("say where the site goes: --out DIR, --upload, or both")
    when = _parse_now(now)
    repo = load_repo(root)
    versions = _versions_report(repo, versions_stack, read_cluster) if versions_stack else None
    result = build(repo, now=when, out_dir=out_dir, upload=upload, limit=limit, versions=versions)
    views = result["projects"]
    troubled = [v for v in views if not v.healthy]
    if out_dir:
        click.echo(f"wrote {len(result['written'])} files to {out_dir}")
    if upload:
        click.echo(f"uploaded {len(result['uploaded'])} files to "
                   f"{repo.org.buckets.logs.rstrip('/')}/{SITE_PREFIX}")
    for v in troubled:
        for cls, text in v.marks:
            if cls in PROBLEMS:
                click.echo(f"{v.name}: {text}")
    click.echo(f"{len(views)} projects, {len(troubled)} need attention")
    return 0


def _versions_report(repo, stack: str, read_cluster: bool):
    from plumbing import components
    from plumbing.storage import open_bucket
    from plumbing.tracking import collect

    target = None
    if read_cluster:
        from plumbing.cluster.kube import connect

        target = connect(repo, check_cluster=components.read_pins(repo.root, stack).gke)
    return collect(repo, stack, target=target, open_bucket=open_bucket)


@click.command("record")
@click.option("--project", required=True, help="The project (releases/<project>.yaml).")
@click.option("--version", "version", required=True, help="The release's version (vX.Y.Z or nightly tag).")
@click.option("--status", required=True, metavar="STATUS",
              help="Succeeded, Completed, Failed, None (Tekton's $(tasks.status)), Cancelled or TimedOut.")
@click.option("--run", "run", required=True, help="The PipelineRun's name ($(context.pipelineRun.name)).")
@click.option("--commit", default=None, help="The 40-hex commit released.")
@click.option("--started", default=None, metavar="ISO-TIME", help="When the run started.")
@click.option("--finished", default=None, metavar="ISO-TIME", help="When it finished (default: now).")
@click.option("--run-url", default=None, help="A link to the run (e.g. in Tekton Dashboard).")
@click.option("--bucket", default=None,
              help="Bucket URL (gs:// or file://); default: the project's nightly or release bucket.")
@root_option
@exits
def record(project, version, status, run, commit, started, finished, run_url, bucket, root):
    """Record how one release run ended, for the status page.

    Writes <bucket>/<project>/previous/<version>/outcome.json. Run by the release pipeline's
    finally task; read by `plumbing dashboard`.
    """
    from plumbing.config import load_repo
    from plumbing.findings import ConfigError
    from plumbing.outcome import OutcomeError, make_outcome, write_outcome
    from plumbing.storage import open_bucket
    from plumbing.versions import VersionError, parse

    repo = None
    if bucket is None or root is not None:
        repo = load_repo(root)
    else:  # --bucket alone: the config, when there is a usable one, still checks the project
        try:
            repo = load_repo(None)
        except ConfigError:
            repo = None
    public_url = None
    if repo is not None:
        repo.project(project)
        public_url = repo.org.public_url
        if bucket is None:
            try:
                kind = parse(version).kind
            except VersionError as exc:
                raise usage_error(str(exc)) from None
            bucket = repo.org.buckets.for_mode(kind)
    try:
        outcome = make_outcome(project=project, version=version, status=status, run=run,
                               commit=commit, started=started,
                               finished=finished or _parse_now(None), bucket_url=bucket,
                               public_url=public_url, run_url=run_url)
    except OutcomeError as exc:
        raise usage_error(str(exc)) from None
    name = write_outcome(open_bucket(bucket), outcome)
    click.echo(f"wrote {bucket.rstrip('/')}/{name}: {outcome.status}")
    return 0
