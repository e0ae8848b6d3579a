"""Nobody misses a failure: a chat message and ONE open GitHub issue per project and mode.

`release notify` runs from the release pipeline's `finally` when the run did not succeed.
- The chat message goes to a Slack-compatible incoming webhook (`{"text": ...}`).
- The GitHub issue is found by its label and exact title (`[release-failure] <project> <mode>`)
  among the repository's open issues: listing by label is consistent, unlike the search API,
  whose index lags, so two failures in a row never open two issues. Found: a comment is added.
  Not found (or closed, i.e. someone fixed it): a new issue is opened.
Both endpoints come from config and secrets: SLACK_WEBHOOK_URL and GITHUB_TOKEN are mounted from
the secrets plumbing.yaml's `notify` names; the repository is `notify.github_repository`.
Every call is retried a bounded number of times on connection errors, 429 and 5xx.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from plumbing.findings import EXIT_FAILED, EXIT_OK, PlumbingError

LABEL = "release-failure"
DEFAULT_GITHUB_API = "https://api.github.com"
TIMEOUT = 15.0
MAX_PAGES = 10


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


@dataclass
class Retry:
    attempts: int = 4
    backoff: float = 1.0          # seconds before the 2nd attempt, doubled each time
    sleep: Callable[[float], None] = field(default=time.sleep)


class NotifyError(PlumbingError):
    exit_code = EXIT_FAILED


def _request(method: str, url: str, *, retry: Retry, token: str | None = None, payload=None,
             params=None, secret_url: bool = False):
    """One HTTP call with bounded retries; returns the response; NotifyError on failure."""
    import requests

    headers = {"Accept": "application/vnd.github+json", "User-Agent": "plumbing-release-notify"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    delay = retry.backoff
    last = ""
    for attempt in range(1, retry.attempts + 1):
        try:
            resp = requests.request(method, url, headers=headers, json=payload, params=params,
                                    timeout=TIMEOUT)
        except requests.RequestException as exc:
            last = f"{type(exc).__name__}"
        else:
            if resp.status_code < 400:
                return resp
            last = f"HTTP {resp.status_code} {_message(resp)}".strip()
            if resp.status_code != 429 and resp.status_code < 500:
                break  # a 4xx will not change by retrying
        if attempt < retry.attempts:
            retry.sleep(delay)
            delay *= 2
    raise NotifyError(f"{method} {_redact(url) if secret_url else url}: {last}")


def _message(resp) -> str:
    try:
        return str(resp.json().get("message", ""))[:200]
    except (ValueError, AttributeError):
        return ""


def _redact(url: str) -> str:
    """A webhook URL is a secret: show scheme and host only."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/..."


def post_chat(webhook_url: str, failure: Failure, *, retry: Retry) -> None:
    _request("POST", webhook_url, retry=retry, payload={"text": failure.chat_text()}, secret_url=True)


def find_issue(api: str, repository: str, title: str, *, token: str | None, retry: Retry) -> dict | None:
    url = f"{api.rstrip('/')}/repos/{repository}/issues"
    params = {"state": "open", "labels": LABEL, "per_page": 100}
    for _ in range(MAX_PAGES):
        resp = _request("GET", url, retry=retry, token=token, params=params)
        for issue in resp.json():
            if issue.get("title") == title and "pull_request" not in issue:
                return issue
        nxt = resp.links.get("next", {}).get("url")
        if not nxt:
            return None
        url, params = nxt, None
    return None


def report_issue(api: str, repository: str, failure: Failure, *, token: str | None,
                 retry: Retry) -> tuple[str, dict]:
    """('commented'|'opened', issue): one open issue per project and mode."""
    base = f"{api.rstrip('/')}/repos/{repository}/issues"
    issue = find_issue(api, repository, failure.title, token=token, retry=retry)
    if issue is not None:
        _request("POST", f"{base}/{issue['number']}/comments", retry=retry, token=token,
                 payload={"body": failure.markdown()})
        return "commented", issue
    resp = _request("POST", base, retry=retry, token=token,
                    payload={"title": failure.title, "body": failure.markdown(), "labels": [LABEL]})
    return "opened", resp.json()


def logs_url(org: dict | None, failure_project: str, mode: str, version: str) -> str | None:
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
        try:
            what, issue = report_issue(github_api or DEFAULT_GITHUB_API, github_repository, failure,
                                       token=github_token, retry=retry)
            done.append("github")
            print(f"github: {'opened' if what == 'opened' else 'commented on'} issue #{issue.get('number')} {issue.get('html_url', '')}".rstrip(),
                  file=out)
        except NotifyError as exc:
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
