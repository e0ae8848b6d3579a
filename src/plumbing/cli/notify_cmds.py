"""`release notify`: report a release run that did not succeed (chat webhook + one GitHub issue)."""

from __future__ import annotations

import os

import click

from plumbing.cli.common import exits, github_retry, root_option


@click.command()
@click.option("--project", required=True)
@click.option("--mode", required=True, type=click.Choice(["nightly", "full"]))
@click.option("--version", "version", required=True)
@click.option("--run", "run", required=True, help="The PipelineRun's name.")
@click.option("--status", required=True, help="The run's aggregate status (Failed, None, ...).")
@click.option("--webhook-url", default=None,
              help="Slack-compatible webhook (default: $SLACK_WEBHOOK_URL, mounted from the secret "
                   "plumbing.yaml's notify.slack_webhook_secret names).")
@click.option("--github-api", default=None,
              help="GitHub API base URL (default: $GITHUB_API_URL or https://api.github.com).")
@click.option("--github-repository", default=None,
              help="owner/name for the issue (default: plumbing.yaml's notify.github_repository).")
@root_option
@exits
def notify(project, mode, version, run, status, webhook_url, github_api, github_repository, root):
    """Post a failed release run to the chat webhook and open or update its GitHub issue.

    One issue per project and mode: a second failure comments on the open issue.
    """
    from plumbing.findings import PlumbingError
    from plumbing.notify import DEFAULT_GITHUB_API, Failure, logs_url
    from plumbing.notify import notify as send

    org = None
    try:
        from plumbing.config import load_repo

        org = load_repo(root).org
    except PlumbingError:  # a task container may have no plumbing.yaml; env is enough
        if root is not None:
            raise
    configured_repository = org.notify.github_repository if org is not None else None
    failure = Failure(project, mode, version, run, status, logs_url(org, project, mode, version))
    return send(
        failure,
        webhook_url=webhook_url or os.environ.get("SLACK_WEBHOOK_URL") or None,
        github_api=github_api or os.environ.get("GITHUB_API_URL") or DEFAULT_GITHUB_API,
        github_repository=(github_repository or configured_repository
                           or os.environ.get("GITHUB_REPOSITORY") or None),
        github_token=os.environ.get("GITHUB_TOKEN") or None,
        retry=github_retry(),
    )
