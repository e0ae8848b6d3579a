"""`plumbing pr check-labels`: whether a pull request carries what release notes need."""

from __future__ import annotations

import json

import click

from plumbing.cli.common import exits, output_option
from plumbing.findings import EXIT_FAILED, EXIT_OK


@click.group("pr")
def pr():
    """Checks on pull requests, reported as GitHub commit statuses."""


@pr.command("check-labels")
@click.argument("repository")
@click.argument("number", type=int)
@click.option("--github-api", default="https://api.github.com", show_default=True, envvar="GITHUB_API_URL",
              help="The GitHub REST API (GitHub Enterprise: https://HOST/api/v3); $GITHUB_API_URL.")
@click.option("--no-status", is_flag=True, help="Only print the verdict; set no commit status.")
@click.option("--target-url", default=None, help="Link the status to this page (e.g. the PipelineRun's logs).")
@output_option
@exits
def check_labels(repository, number, github_api, no_status, target_url, output):
    """Exactly one kind/* label, and a release-note block or the release-note-none label?

    REPOSITORY is owner/name. Sets the `plumbing/release-notes` commit status on the PR's head
    (success or failure) and exits 1 when something is missing.
    """
    from plumbing.cli.common import github_client
    from plumbing.prlabels import check_pull

    with github_client(github_api) as client:
        result = check_pull(client, repository, number, report=not no_status, target_url=target_url)
    if output == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        click.echo(f"{repository}#{number}: {result.state}: {result.description}")
    return EXIT_FAILED if result.problems else EXIT_OK
