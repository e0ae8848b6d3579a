"""`plumbing infra`: the offline view of the Pulumi program (no Pulumi CLI, no cloud)."""

from __future__ import annotations

import click

from plumbing.cli.common import exits, output_option, root_option

_stack = click.option("-s", "--stack", default="dogfooding", show_default=True,
                      help="The stack: Pulumi.<stack>.yaml at the repository root.")


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
@_stack
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
@_stack
@output_option
@root_option
@exits
def secrets(stack, output, root):
    """The Pulumi config secrets the program requires, and which the stack file holds."""
    from plumbing.config import find_root
    from plumbing.inventory.commands import secrets as run

    return run(find_root(root), stack, output)
