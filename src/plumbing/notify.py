"""Nobody misses a failure: a chat message and ONE open GitHub issue per project and mode.

`release notify` runs from the release pipeline's `finally` when the run did not succeed.
- The chat message goes to a Slack-compatible incoming webhook (`{"text": ...}`).
- The GitHub issue is found by its label and exact title (`[release-failure] <project> <mode>`)
  among the repository's open issues: listing by label is consistent, unlike the search API,
  whose index lags, so two failures in a row never open two issues. Found: a comment is added.
  Not found (or closed, i.e. someone fixed it): a new issue is opened.
Both endpoints come from config and secrets: SLACK_WEBHOOK_URL and GITHUB_TOKEN are mounted from
the secrets plumbing.yaml's `notify` names; the repository is `notify.github_repository`.
GitHub calls go through `plumbing.github.Client`: reads are retried (5xx, rate limits, bounded);
a POST (the chat message, a comment, a new issue) is sent once, so a flaky server never gets
the same message twice; connections that fail before sending are retried for both.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from plumbing.findings import EXIT_FAILED, EXIT_OK, PlumbingError
from plumbing.github import DEFAULT_API as DEFAULT_GITHUB_API
from plumbing.github import Retry

if TYPE_CHECKING:
    from plumbing.github import Client

__all__ = ["DEFAULT_GITHUB_API", "LABEL", "Failure", "NotifyError", "Retry", "notify"]

LABEL = "release-failure"
TIMEOUT = 15.0


@dataclass(frozen=True)
class Failure:
    project: str
    mode: str
    version: str
    run: str
    status: str
    logs_url: str | None = None

    @property
    def title(self) -> str:
        return f"[{LABEL}] {self.project} {self.mode}"

    def summary(self) -> str:
        return (f"{self.project} {self.mode} release {self.version} did not succeed: "
                f"{self.status} (PipelineRun {self.run})")

    def marker(self) -> str:
        return f"<!-- plumbing:{LABEL} project={self.project} mode={self.mode} -->"

    def markdown(self) -> str:
        lines = [
            f"The **{self.mode}** release of **{self.project}** did not succeed.",
            "",
            "| | |",
            "| --- | --- |",
            f"| version | `{self.version}` |",
            f"| status | `{self.status}` |",
            f"| PipelineRun | `{self.run}` |",
        ]
        if self.logs_url:
            lines.append(f"| logs | {self.logs_url} |")
        lines += ["", f"Re-attach: `release follow {self.run}`; logs: `release logs {self.run}`.", "",
                  self.marker()]
        return "\n".join(lines)

    def chat_text(self) -> str:
        text = f":red_circle: {self.summary()}"
        if self.logs_url:
            text += f"\nlogs: {self.logs_url}"
        return text


class NotifyError(PlumbingError):
    exit_code = EXIT_FAILED


def _redact(url: str) -> str:
    """A webhook URL is a secret: show scheme and host only."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/..."


def post_chat(webhook_url: str, failure: Failure, *, retry: Retry) -> None:
    """POST the message once. Only a connection that failed before the request went out is tried
    again (`Retry.transport`); after a 5xx or a lost answer the server may have posted it already,
    and a second POST would post it twice."""
    import requests
    from requests.adapters import HTTPAdapter

    where = f"POST {_redact(webhook_url)}"
    with requests.Session() as session:
        adapter = HTTPAdapter(max_retries=retry.transport())
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        try:
            resp = session.post(webhook_url, json={"text": failure.chat_text()}, timeout=TIMEOUT,
                                headers={"User-Agent": "plumbing-release-notify"})
        except requests.RequestException as exc:
            raise NotifyError(f"{where}: {type(exc).__name__}") from None
    if resp.status_code >= 400:
        raise NotifyError(f"{where}: HTTP {resp.status_code} {_message(resp)}".strip())


def _message(resp) -> str:
    try:
        return str(resp.json().get("message", ""))[:200]
    except (ValueError, AttributeError):
        return resp.text[:200].strip() if resp.text and "<" not in resp.text else ""


def report_issue(github: Client, repository: str, failure: Failure) -> tuple[str, dict]:
    """('commented'|'opened', issue): one open issue per project and mode.

    Found among the open issues with the label, by exact title: a comment. Else a new issue.
    Both are POSTs, sent once: a failed one is reported, never resent (it may have landed)."""
    issue = next((i for i in github.open_issues_with_label(repository, LABEL) if i.get("title") == failure.title),
                 None)
    if issue is not None:
        github.comment_issue(repository, issue["number"], failure.markdown())
        return "commented", issue
    return "opened", github.create_issue(repository, failure.title, failure.markdown(), [LABEL])


def logs_url(org, failure_project: str, mode: str, version: str) -> str | None:
    """The public URL of the run's logs.txt, when the mode's bucket is a gs:// bucket."""
    from plumbing import layout

    if org is None:
        return None
    bucket = org.buckets.for_mode(mode)
    if not bucket.startswith("gs://"):
        return None
    return layout.public_url(bucket, layout.release_file(failure_project, version, layout.LOGS), org.public_url)


def notify(failure: Failure, *, webhook_url: str | None, github_api: str | None,
           github_repository: str | None, github_token: str | None, out=None,
           retry: Retry | None = None) -> int:
    """Post to every configured endpoint; 0 when all worked, 1 when any failed or none is set."""
    out = out or sys.stdout
    retry = retry or Retry()
    done, failed = [], []
    if webhook_url:
        try:
            post_chat(webhook_url, failure, retry=retry)
            done.append("chat webhook")
            print("chat: posted", file=out)
        except NotifyError as exc:
            failed.append(f"chat: {exc}")
    if github_repository and github_token:
        from plumbing.github import Client

        try:
            with Client(token=github_token, base_url=github_api or DEFAULT_GITHUB_API, retry=retry) as github:
                what, issue = report_issue(github, github_repository, failure)
            done.append("github")
            print(f"github: {'opened' if what == 'opened' else 'commented on'} issue #{issue.get('number')} "
                  f"{issue.get('html_url', '')}".rstrip(), file=out)
        except PlumbingError as exc:
            failed.append(f"github: {exc}")
    elif github_repository or github_token:
        failed.append("github: needs both a repository (notify.github_repository) and GITHUB_TOKEN")
    for line in failed:
        print(f"notify failed: {line}", file=sys.stderr)
    if not done and not failed:
        print("notify failed: no endpoint configured (SLACK_WEBHOOK_URL, GITHUB_TOKEN): "
              "nobody would hear of this failure", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED if failed else EXIT_OK
