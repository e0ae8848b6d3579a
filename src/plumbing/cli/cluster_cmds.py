"""`release follow RUN` and `release logs RUN`: thin click layers over plumbing.cluster."""

from __future__ import annotations

import click

from plumbing.cli.common import exits, root_option


def _repo(root):
    """plumbing.yaml when there is one (a terminal); None in a task container without it."""
    from plumbing.config import load_repo
    from plumbing.findings import ConfigError

    try:
        return load_repo(root)
    except ConfigError:
        if root is not None:
            raise
        return None


def _find_run(target, repo, name: str, namespace: str | None):
    """(namespace, run): the given namespace, else the pod's, else plumbing.yaml's namespaces."""
    from kubernetes.client import ApiException

    from plumbing.cluster import runs
    from plumbing.cluster.kube import api_error
    from plumbing.findings import PlumbingError

    if namespace:
        candidates = [namespace]
    else:
        candidates = [target.namespace] if target.namespace else []
        if repo is not None:
            candidates += repo.run_namespaces()
        candidates = list(dict.fromkeys(c for c in candidates if c))
    if not candidates:
        raise PlumbingError("no namespace to look in: pass -n NAMESPACE")
    for ns in candidates:
        try:
            return ns, runs.get_run(target, ns, name)
        except ApiException as exc:
            if exc.status != 404:
                raise PlumbingError(f"cannot read PipelineRun {ns}/{name}: {api_error(exc)}") from None
    raise PlumbingError(f"no PipelineRun {name!r} in namespace {', '.join(candidates)}")


namespace_option = click.option("-n", "--namespace", default=None,
                                help="The run's namespace (default: look in plumbing.yaml's namespaces).")


@click.command()
@click.argument("run")
@namespace_option
@click.option("--logs", is_flag=True, help="Print step logs as they come, each line prefixed [task/step].")
@click.option("--interval", type=float, default=None, hidden=True,
              help="Seconds between polls (default: $PLUMBING_POLL_INTERVAL or 2).")
@root_option
@exits
def follow(run, namespace, logs, interval, root):
    """Follow a PipelineRun to its end: task states, durations, the failed task's last lines.

    Exit 0 when it succeeded, 1 when it failed; Ctrl-C detaches (the run keeps going).
    """
    from plumbing.cluster.follow import follow_run
    from plumbing.cluster.kube import connect

    repo = _repo(root)
    target = connect(repo, check_cluster=repo is not None)
    ns, _ = _find_run(target, repo, run, namespace)
    return follow_run(target, ns, run, logs=logs, interval=interval)


@click.command()
@click.argument("run")
@namespace_option
@click.option("--upload", is_flag=True,
              help="Write logs.txt next to the release instead of printing (replaces an older copy).")
@click.option("--bucket", default=None,
              help="Bucket URL for --upload (default: the bucket plumbing.yaml configures for the run's mode).")
@root_option
@exits
def logs(run, namespace, upload, bucket, root):
    """Every TaskRun's step logs for a PipelineRun, each line prefixed `[task/step] `."""
    from plumbing.cluster import logs as run_logs
    from plumbing.cluster.kube import connect

    repo = _repo(root)
    target = connect(repo, check_cluster=repo is not None)
    ns, found = _find_run(target, repo, run, namespace)
    lines = run_logs.collect(target, ns, found)
    if not upload:
        for line in lines:
            click.echo(line)
        return 0
    url = run_logs.upload(found, lines, bucket_url=bucket, repo=repo)
    click.echo(f"uploaded {len(lines)} log lines to {url}")
    return 0
