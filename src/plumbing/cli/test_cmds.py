"""`release test`, and the steps the test pipeline runs: thin click layer over plumbing.posttest."""

from __future__ import annotations

from pathlib import Path

import click

from plumbing.cli.common import exits, root_option, run_options
from plumbing.findings import EXIT_FAILED, EXIT_OK

_revision = click.option("--revision", metavar="SHA|TAG",
                         help="The released commit (a full release defaults to its tag; a nightly needs it).")


@click.command()
@click.argument("project")
@click.argument("version")
@_revision
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Where to write the rendered test run [default: dist/test/<project>/<version>].")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Print the plan for people (text) or machines (json).")
@run_options("the test PipelineRun")
@root_option
@exits
def test(project, version, revision, out, output, apply, no_follow, logs, root):
    """Plan the post-release test of a published VERSION of PROJECT (no cluster needed).

    The test installs the release from its published URLs into a throwaway vcluster (projects it
    needs first), checks the running digests and version labels, runs the smoke tests, always
    deletes the vcluster, and writes tested.json and test-logs.txt beside the release.
    """
    from plumbing.posttest.command import run_test

    return run_test(project, version, root=root, revision=revision, out=out, output=output, apply=apply,
                    follow=not no_follow, logs=logs)


@click.command("test-start")
@click.argument("project")
@click.argument("version")
@click.option("--status", required=True, help="The release run's aggregate status ($(tasks.status)).")
@_revision
@root_option
@exits
def test_start(project, version, status, revision, root):
    """(release pipeline, finally) Start VERSION's post-release test when the release succeeded.

    Returns once Tekton accepted the test run: the release never waits for its test.
    """
    from plumbing.posttest.command import start_test

    return start_test(project, version, status=status, revision=revision, root=root)


@click.command("test-step")
@click.argument("step", type=click.Choice(["kubeconfig", "install", "check-images", "smoke"]))
@click.option("--project", default=None)
@click.option("--version", "version", default=None)
@_revision
@click.option("--cluster", default=None, help="kubeconfig: the vcluster's name.")
@click.option("--kubeconfig", "kubeconfig", required=True, type=click.Path(dir_okay=False),
              help="The vcluster's kubeconfig (written by the kubeconfig step, read by the others).")
@root_option
@exits
def test_step(step, project, version, revision, cluster, kubeconfig, root):
    """(test pipeline) One step of a post-release test against the throwaway vcluster."""
    from plumbing.cli.common import usage_error
    from plumbing.config import load_repo, parse_go_duration
    from plumbing.posttest import steps

    repo = load_repo(root)
    path = Path(kubeconfig)
    if step == "kubeconfig":
        if not cluster:
            raise usage_error("kubeconfig needs --cluster")
        from plumbing.cluster.kube import connect

        steps.write_kubeconfig(connect(repo, check_cluster=False), repo.org.test_settings()[0], cluster, path)
        click.echo(f"kubeconfig of vcluster {cluster} written to {path}")
        return EXIT_OK
    if not (project and version):
        raise usage_error(f"{step} needs --project and --version")
    api = steps.kube_client(path)
    timeout = parse_go_duration(repo.project(project).post_release_test.timeout) or 3600
    if step == "install":
        steps.install(repo, project, version, api, kube_dir=path.parent, timeout=timeout)
        return EXIT_OK
    if step == "check-images":
        return EXIT_FAILED if steps.check_images(repo, project, version, api) else EXIT_OK
    if not revision:
        raise usage_error("smoke needs --revision")
    return EXIT_FAILED if steps.smoke(repo.project(project), revision, api, timeout=timeout) else EXIT_OK


@click.command("test-record")
@click.option("--project", required=True)
@click.option("--version", "version", required=True)
@click.option("--run", "run", required=True, help="The test PipelineRun's name.")
@click.option("--status", required=True, help="The test run's aggregate status ($(tasks.status)).")
@click.option("--versions", "versions_file", default=None, help="versions.json the install step wrote.")
@click.option("--bucket", "bucket_url", default=None, help="Override the bucket of VERSION's kind.")
@root_option
@exits
def test_record(project, version, run, status, versions_file, bucket_url, root):
    """(test pipeline, finally) Write tested.json and test-logs.txt; notify when the test failed."""
    from plumbing.cli.common import github_retry
    from plumbing.posttest.command import record_test

    return record_test(project, version, run=run, status=status, versions_file=versions_file, root=root,
                       bucket_url=bucket_url, retry=github_retry())
