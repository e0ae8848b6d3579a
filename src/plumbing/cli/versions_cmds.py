"""`plumbing versions`: what runs, what git pins, what could run; bumps and promotions by pull request."""

from __future__ import annotations

import click

from plumbing.cli.common import exits, github_client, output_option, root_option, stack_option

_github = click.option("--github-api", default=None,
                       help="GitHub API base URL (default: https://api.github.com; token from $GITHUB_TOKEN).")
_remote = click.option("--remote", default=None,
                       help="The git repository the pull request branch is pushed to "
                            "(default: https://github.com/<plumbing.yaml notify.github_repository>.git).")
_base = click.option("--base", default="main", show_default=True, help="The branch pull requests target.")


@click.group("versions", invoke_without_command=True)
@stack_option
@output_option
@click.option("--offline", is_flag=True, help="Read only the repository (what git pins): no cluster, buckets or GitHub.")
@_github
@root_option
@click.pass_context
def versions(ctx, stack, output, offline, github_api, root):
    """One row per component the stack installs: pinned in git, deployed in the cluster, newest
    full release and nightly in the buckets (with their post-release verdicts), newest upstream.

    Marks: drift (the cluster runs something else than git pins), behind (a newer verified
    version exists on the component's channel), unverified (the pin's post-release test did not
    pass), unknown (what runs could not be read). Exits 1 on drift.

    \b
    plumbing versions -s dogfooding
    plumbing versions -s dogfooding --offline --output json
    plumbing versions bump pipeline -s dogfooding --channel --pr
    plumbing versions promote -s dogfooding            (the version-promotion CronJob)
    """
    if ctx.invoked_subcommand is None:
        _show(stack, output, offline, github_api, root)


@exits
def _show(stack, output, offline, github_api, root):
    from plumbing.tracking_commands import show

    return show(root, stack, output, offline, github_api, github_client)


@versions.command("bump")
@click.argument("component")
@stack_option
@click.option("--to", "to", default=None, metavar="VERSION", help="Pin this version (vX.Y.Z or a nightly tag).")
@click.option("--channel", is_flag=True, help="Pin the newest verified version of the component's channel.")
@click.option("--force", is_flag=True, help="Pin without looking up the post-release test (needs --reason).")
@click.option("--reason", default=None, help="Why --force: written into the commit and the pull request.")
@click.option("--pr", is_flag=True, help="Push a branch and open (or update) its pull request instead of "
                                         "editing the working tree.")
@_remote
@_base
@_github
@output_option
@root_option
@exits
def bump(component, stack, to, channel, force, reason, pr, remote, base, github_api, output, root):
    """Pin COMPONENT at a verified version in Pulumi.<stack>.yaml (comments, order and quoting kept).

    Refuses (exit 1) a version whose post-release test did not pass. With --pr, one pull request
    per component and stack is opened, then updated by later bumps; merging it deploys it.
    """
    from plumbing.tracking_commands import bump as run

    return run(root, stack, component, to, channel, force, reason, pr, remote, base, github_api, github_client, output)


@versions.command("promote")
@stack_option
@_remote
@_base
@_github
@output_option
@root_option
@exits
def promote(stack, remote, base, github_api, output, root):
    """For each component on a channel (plumbing:channels), open or update its bump pull request
    when a newer verified version exists; nothing when there is none."""
    from plumbing.tracking_commands import promote as run

    return run(root, stack, remote, base, github_api, github_client, output)
