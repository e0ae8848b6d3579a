"""`plumbing deploy` (run, status, drift) and `plumbing verify`: continuous deployment of the
plumbing itself (docs/cd.md)."""

from __future__ import annotations

import click

from plumbing.cli.common import exits, output_option, root_option, stack_option


def _root(root):
    from plumbing.config import find_root

    return find_root(root)


@click.command()
@stack_option
@click.option("--image", default=None,
              help="The plumbing image the CronJobs must run (REPO@sha256:...); default: the stack's last verified deploy.")
@click.option("--smoke", is_flag=True, help="Also run a minimal PipelineRun in a scratch namespace.")
@click.option("--smoke-timeout", type=float, default=300, show_default=True, help="Seconds the smoke run may take.")
@output_option
@root_option
@exits
def verify(stack, image, smoke, smoke_timeout, output, root):
    """Check the cluster runs what the program declares: Tekton's Deployments available, CRDs
    Established, the admission webhook answering, EventListeners ready, every CronJob present,
    not suspended and on the deployed image. Exit 1 naming every failed gate."""
    from plumbing.deploy.commands import verify as run

    return run(_root(root), stack, image, smoke, smoke_timeout, output)


@click.group()
def deploy():
    """Continuous deployment of this repository (run by the deploy pipeline, not by people).

    \b
    plumbing deploy run -s dogfooding --commit SHA --image REPO@sha256:... --workdir CHECKOUT
    plumbing deploy status                       deployed commit per stack, its age, failed deploys
    plumbing deploy drift -s dogfooding          preview with refresh; exit 1 on any difference
    """


@deploy.command("run")
@stack_option
@click.option("--commit", required=True, help="The plumbing commit being deployed.")
@click.option("--image", required=True, help="The plumbing image built for that commit (REPO@sha256:...).")
@click.option("--workdir", type=click.Path(file_okay=False, exists=True), required=True,
              help="A git checkout of the plumbing repository at --commit (the program Pulumi runs).")
@click.option("--run", "run_name", default="manual", help="The PipelineRun's name, for the record.")
@click.option("--smoke", is_flag=True, help="Verify with a smoke PipelineRun too.")
@output_option
@root_option
@exits
def run(stack, commit, image, workdir, run_name, smoke, output, root):
    """Preview, apply the saved plan, verify, roll back to the last verified commit on failure,
    record the outcome in the logs bucket. Exit 0 deployed or unchanged, 1 otherwise."""
    from plumbing.deploy.commands import run as go

    return go(_root(root), stack, commit, image, workdir, run_name, smoke, output)


@deploy.command("status")
@click.option("-s", "--stack", "stacks", multiple=True, help="A stack (repeatable; default: every Pulumi.<stack>.yaml).")
@output_option
@root_option
@exits
def status(stacks, output, root):
    """The deployed commit per stack, its age, and the last deploy if it failed."""
    from plumbing.deploy.commands import status as go

    folder = _root(root)
    stacks = list(stacks) or sorted(p.name[len("Pulumi."):-len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))
    return go(folder, stacks, output)


@deploy.command("drift")
@stack_option
@click.option("--workdir", type=click.Path(file_okay=False, exists=True), default=".", show_default=True,
              help="A checkout of the deployed commit.")
@root_option
@exits
def drift(stack, workdir, root):
    """Preview with refresh: exit 1 (and notify) when the cluster or cloud differs from the program."""
    from pathlib import Path

    from plumbing.deploy.commands import drift as go

    return go(_root(root), stack, Path(workdir))


@deploy.command("render")
@stack_option
@click.option("--revision", required=True, help="The plumbing commit to deploy.")
@click.option("--repository", default=None,
              help="The plumbing repository's https URL (default: https://github.com/<notify.github_repository>).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Write pipeline.yaml and pipelinerun.yaml here.")
@click.option("--apply", "apply_", is_flag=True, help="Create the PipelineRun in the cluster (the push trigger and "
              "the hourly catch-up do; people do not).")
@click.option("--skip-deployed", is_flag=True, help="Do nothing when the last deploy of the stack was this commit.")
@click.option("--drift", is_flag=True, help="Render the drift check instead (preview with refresh, changes nothing).")
@output_option
@root_option
@exits
def render(stack, revision, repository, out, apply_, skip_deployed, drift, output, root):
    """Render the deploy Pipeline and its PipelineRun (every task spec embedded) for one commit;
    --revision may be a branch (resolved with git ls-remote) or `deployed` (the last verified commit)."""
    from plumbing.deploy.commands import render as go

    return go(_root(root), stack, revision, repository, out, output, apply_=apply_, skip_deployed=skip_deployed,
              mode="drift" if drift else "deploy")
