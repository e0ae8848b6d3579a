"""`plumbing infra`: the offline view of the Pulumi program (no Pulumi CLI, no cloud)."""

from __future__ import annotations

import click

from plumbing.cli.common import exits, output_option, root_option, stack_option


@click.group()
def infra():
    """The infrastructure program (infra/, Pulumi): plan it offline, list its secrets.

    \b
    plumbing infra plan -s dogfooding                 every resource, grouped by component
    plumbing infra plan -s local --output json > inventory.json
    plumbing infra plan --diff inventory.json         what changed since that inventory
    plumbing infra secrets -s dogfooding              config secrets the program needs

    Applying needs the Pulumi CLI, cloud credentials and network: `pulumi up -s STACK`
    (see docs/infra.md).
    """


@infra.command("plan")
@stack_option
@output_option
@click.option("--diff", "diff_file", type=click.Path(dir_okay=False), default=None,
              help="Compare with a saved `--output json` inventory: what is added, removed, changed.")
@root_option
@exits
def plan(stack, output, diff_file, root):
    """Run the Pulumi program under Pulumi's mocks and print what it declares.

    Exits 1 when a policy (public access, keys, cluster-admin, wildcards, CronJob spec, pinned
    images, secrets, one CronJob per nightly/image/job, GitHub branch protection and teams, each
    project isolated: prefix conditions, own prefix and registry path, published releases
    immutable) is broken; the messages go to stderr.
    """
    from plumbing.config import find_root
    from plumbing.inventory.commands import plan as run

    return run(find_root(root), stack, output, diff_file)


@infra.command("secrets")
@stack_option
@output_option
@root_option
@exits
def secrets(stack, output, root):
    """The Pulumi config secrets the program requires, and which the stack file holds."""
    from plumbing.config import find_root
    from plumbing.inventory.commands import secrets as run

    return run(find_root(root), stack, output)


@infra.command("pr-diff")
@click.option("--base", "base", type=click.Path(file_okay=False, exists=True), required=True,
              help="A checkout of the pull request's base commit.")
@click.option("-s", "--stack", "stacks", multiple=True,
              help="A stack (repeatable; default: every Pulumi.<stack>.yaml at the head).")
@click.option("--pr", "number", type=int, default=None, help="Post the result as the PR's one inventory comment.")
@click.option("--repository", default=None, help="owner/name of the pull request (default: $GITHUB_REPOSITORY).")
@click.option("--github-api", default=None, help="GitHub API base URL (default: $GITHUB_API_URL or api.github.com).")
@click.option("--base-sha", default="", help="For the comment's title.")
@click.option("--head-sha", default="", help="For the comment's title.")
@output_option
@root_option
@exits
def pr_diff(base, stacks, number, repository, github_api, base_sha, head_sha, output, root):
    """What a pull request changes in each stack's inventory (base vs head, offline), with the
    head's policy results; with --pr, one comment on the PR, edited in place on every push.
    Exit 1 when a policy is broken at the head."""
    from plumbing.deploy.commands import pr_diff as run

    return run(base, root, stacks, number, repository, github_api, base_sha, head_sha, output)


@infra.command("stale")
@stack_option
@click.option("--delete", "delete_", is_flag=True, help="Delete what is stale (default: only list it).")
@click.option("--include", multiple=True, metavar="KIND/[NAMESPACE/]NAME",
              help="Also delete this Namespace or RBAC object (never deleted otherwise). Repeatable.")
@output_option
@root_option
@exits
def stale(stack, delete_, include, output, root):
    """Objects in the namespaces the program manages (and cluster objects labelled as its own)
    that the program does not declare. Exit 1 while any remains."""
    from plumbing.config import find_root
    from plumbing.deploy.commands import stale as run

    return run(find_root(root), stack, delete_, set(include), output)


@infra.command("pr-comment")
@click.option("--body-file", type=click.Path(dir_okay=False, exists=True), required=True,
              help="What `plumbing infra pr-diff` printed.")
@click.option("--pr", "number", type=int, required=True, help="The pull request number.")
@click.option("--repository", required=True, help="owner/name of the pull request.")
@click.option("--github-api", default=None, help="GitHub API base URL (default: $GITHUB_API_URL or api.github.com).")
@exits
def pr_comment(body_file, number, repository, github_api):
    """Post a saved `pr-diff` as the PR's one inventory comment (edited in place on later pushes).
    The PR pipeline runs this from the deployed image, so PR code never holds the token."""
    from plumbing.deploy.commands import pr_comment as run

    return run(body_file, number, repository, github_api)
