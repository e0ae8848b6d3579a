"""The one GitHub REST client of the package: every command that talks to GitHub goes through it.

Built on PyGithub 2.10's `Requester` (the HTTP layer under `github.Github`), not on githubkit 0.16:
- base URL: both take one (tests answer on 127.0.0.1; GitHub Enterprise is `https://HOST/api/v3`);
- retries: both libraries retry a POST after a 5xx by default (PyGithub's `GithubRetry` adds POST to
  urllib3's idempotent methods; githubkit's `RetryServerError` ignores the method), so neither default
  is used. PyGithub takes a plain urllib3 `Retry`, which already knows the difference that matters:
  a connection that failed before anything was sent is retried for every method, a read error only
  for idempotent ones. Status retries (5xx, rate limits) are ours, below, with an injectable sleep;
- rate limits: handled here (403/429 with Retry-After or x-ratelimit-reset), waiting at most
  `Retry.max_wait`, then one clear line; PyGithub's own waits are unbounded by default;
- install and import: `import github` takes ~0.13 s (requests included, measured with -X importtime);
  githubkit ~0.22-0.48 s (pydantic models), and githubkit 0.16.1 does not even import next to
  hishel 2.0.0, which its own requirement range allows. Only `Client()` imports PyGithub: rendering
  and linting never load it, and `owner_repo`/`GitHubError` are free to import.
PyGithub's typed objects are not used: callers get the REST API's JSON (dicts), exactly as documented
at https://docs.github.com/rest, so a new endpoint is one call to `get`/`paginate`/`post`/`patch`.

Errors are `GitHubError` (a PlumbingError: one line, exit 2), naming method, URL and status;
404 is `NotFound`, rate limits `RateLimited`. The token comes from the caller (the CLI reads
GITHUB_TOKEN); nothing here reads the environment.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from plumbing.findings import PlumbingError, one_line

DEFAULT_API = "https://api.github.com"
# Methods that mean the same when sent twice (RFC 9110 9.2.2). POST and PATCH are never resent.
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
PER_PAGE = 100
MAX_PAGES = 100            # 10,000 items: a bound on a server whose Link headers never end
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", re.ASCII)


class GitHubError(PlumbingError):
    """A GitHub call failed: `METHOD URL: HTTP status message`, one line."""

    def __init__(self, method: str, url: str, reason: str, status: int | None = None):
        super().__init__(one_line(f"{method} {url}: {reason}"))
        self.method, self.url, self.status = method, url, status


class NotFound(GitHubError):
    """404: the thing does not exist (or the token may not see it)."""


class RateLimited(GitHubError):
    """403/429 rate limit that we would not, or could not, wait out."""


@dataclass
class Retry:
    """How hard one call tries. Only idempotent calls (IDEMPOTENT) are ever sent twice."""

    attempts: int = 4              # tries of an idempotent call, the first included
    backoff: float = 1.0           # seconds before the 2nd try after a 5xx, doubled each time
    max_wait: float = 60.0         # the longest rate-limit wait we sit out; longer fails at once
    sleep: Callable[[float], None] = field(default=time.sleep)

    def transport(self):
        """A urllib3 Retry for connection failures only: a connect error (nothing was sent) is
        retried for any method, a read error (the server may have acted) only for IDEMPOTENT,
        a status never (that is `Client`'s job, which knows about rate limits). These short
        connection waits are urllib3's own (backoff/2, doubled), not `sleep`."""
        from urllib3.util.retry import Retry as Urllib3Retry

        n = max(self.attempts - 1, 0)
        return Urllib3Retry(total=None, connect=n, read=n, status=0, other=0, redirect=0,
                            allowed_methods=IDEMPOTENT, status_forcelist=(), backoff_factor=self.backoff / 2,
                            raise_on_status=False, raise_on_redirect=False, respect_retry_after_header=False)


def owner_repo(url: str) -> str:
    """`owner/name` from https://github.com/owner/name(.git)."""
    path = urlsplit(url).path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    parts = path.split("/")
    if len(parts) != 2 or not all(parts):
        raise PlumbingError(f"cannot tell the GitHub owner/repository from {url!r}")
    return path


def _repo(repo: str) -> str:
    if not _REPO.fullmatch(repo):
        raise PlumbingError(f"{repo!r} is not a GitHub owner/name")
    return repo


class Client:
    """GitHub REST API v3 at `base_url`, authenticated by `token` (None: anonymous).

    Generic: `get`, `paginate`, `post`, `patch`, `put`, `delete`, `request` take a path under the
    base URL (`/repos/o/r/issues`) and return the decoded JSON. Specific helpers below are thin
    and documented with the endpoint they call; add new ones the same way.
    """

    def __init__(self, token: str | None = None, base_url: str = DEFAULT_API, retry: Retry | None = None,
                 *, timeout: int = 15, user_agent: str = "plumbing"):
        try:
            from github import Auth, Github
        except ImportError:
            raise PlumbingError("talking to GitHub needs PyGithub: pip install 'plumbing[github]'") from None

        self.base_url = base_url.rstrip("/")
        self.retry = retry or Retry()
        # No throttling between calls (PyGithub's default sleeps 1 s between writes): a command
        # makes a handful of calls; rate limits are handled when GitHub signals them.
        self._gh = Github(auth=Auth.Token(token) if token else None, base_url=self.base_url, timeout=timeout,
                          user_agent=user_agent, per_page=PER_PAGE, retry=self.retry.transport(),
                          seconds_between_requests=None, seconds_between_writes=None)
        self._requester = self._gh.requester

    def close(self) -> None:
        """Close pooled connections (a long-lived process; a command may just exit)."""
        self._gh.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- generic -----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                headers: dict | None = None) -> tuple[dict[str, str], Any]:
        """(lower-cased response headers, JSON body). Retries per `self.retry`; GitHubError on failure."""
        from github.GithubException import GithubException
        from requests import RequestException

        method = method.upper()
        url = self._url(path)
        for attempt in range(1, max(self.retry.attempts, 1) + 1):
            try:
                return self._requester.requestJsonAndCheck(method, url, params, headers, json)
            except GithubException as exc:
                wait = self._wait(method, url, exc, attempt)
            except RequestException as exc:   # urllib3 has already retried what was safe to retry
                raise GitHubError(method, url, f"cannot reach GitHub ({_cause(exc)})") from None
            except (AssertionError, RuntimeError) as exc:  # PyGithub refusing a redirect or a foreign URL
                raise GitHubError(method, url, f"refused: {exc}") from None
            self.retry.sleep(wait)
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover

    def get(self, path: str, params: dict | None = None) -> Any:
        return self.request("GET", path, params=params)[1]

    def post(self, path: str, json: Any) -> Any:
        """Sent once: a POST that failed in any way after leaving is never repeated."""
        return self.request("POST", path, json=json)[1]

    def patch(self, path: str, json: Any) -> Any:
        return self.request("PATCH", path, json=json)[1]

    def put(self, path: str, json: Any = None) -> Any:
        return self.request("PUT", path, json=json)[1]

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)[1]

    def paginate(self, path: str, params: dict | None = None, *, max_pages: int = MAX_PAGES) -> Iterator[Any]:
        """Every item of a list endpoint, page after page, following `Link: <...>; rel="next"`.

        Lazy: stop iterating and no further page is asked for. Bodies that wrap their list
        (`{"total_count": n, "items": [...]}`, `{"workflow_runs": [...]}`) yield the list's items.
        """
        url, params = self._url(path), {"per_page": PER_PAGE, **(params or {})}
        for _ in range(max_pages):
            headers, body = self.request("GET", url, params=params)
            items = _items(body)
            if items is None:
                raise GitHubError("GET", url, "expected a JSON list from a list endpoint")
            yield from items
            url, params = _next_link(headers.get("link", "")), None
            if url is None:
                return
            if urlsplit(url).netloc != urlsplit(self.base_url).netloc:
                raise GitHubError("GET", url, f"next page is not on {self.base_url}")
        raise GitHubError("GET", self._url(path), f"more than {max_pages} pages; giving up")

    # --- specific ----------------------------------------------------------------------------

    def release_by_tag(self, repo: str, tag: str) -> dict | None:
        """GET /repos/{repo}/releases/tags/{tag}: the published release, None when there is none.
        (Draft releases have no tag yet and are not found this way.)"""
        try:
            return self.get(f"/repos/{_repo(repo)}/releases/tags/{quote(tag, safe='')}")
        except NotFound:
            return None

    def open_issues_with_label(self, repo: str, label: str) -> Iterator[dict]:
        """GET /repos/{repo}/issues?state=open&labels=...: open issues (pull requests left out).

        Listing is consistent, unlike the search API, whose index lags behind a just-opened issue."""
        for issue in self.paginate(f"/repos/{_repo(repo)}/issues", {"state": "open", "labels": label}):
            if "pull_request" not in issue:
                yield issue

    def create_issue(self, repo: str, title: str, body: str, labels: list[str] | tuple[str, ...] = ()) -> dict:
        """POST /repos/{repo}/issues; the created issue (`number`, `html_url`, ...)."""
        return self.post(f"/repos/{_repo(repo)}/issues", {"title": title, "body": body, "labels": list(labels)})

    def comment_issue(self, repo: str, number: int, body: str) -> dict:
        """POST /repos/{repo}/issues/{number}/comments (pull requests are issues here too)."""
        return self.post(f"/repos/{_repo(repo)}/issues/{int(number)}/comments", {"body": body})

    # --- internals ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def _wait(self, method: str, url: str, exc, attempt: int) -> float:
        """Seconds to wait before trying again, or raise the error this answer means."""
        status, headers = exc.status, {k.lower(): v for k, v in (exc.headers or {}).items()}
        message = _message(exc.data)
        reason = f"HTTP {status} {message}".strip()
        last = attempt >= max(self.retry.attempts, 1) or method not in IDEMPOTENT
        if _rate_limited(status, headers, message):
            wait = _rate_limit_wait(headers)
            said = f" ({message})" if message else ""
            if wait > self.retry.max_wait:
                raise RateLimited(method, url, f"HTTP {status}: rate limited by GitHub for {wait:.0f}s more, "
                                  f"longer than the {self.retry.max_wait:.0f}s we wait{said}", status) from None
            if last:
                raise RateLimited(method, url, f"HTTP {status}: rate limited by GitHub, gave up after "
                                  f"{attempt} attempt(s){said}", status) from None
            return wait
        if status == 404:
            raise NotFound(method, url, reason, status) from None
        if status >= 500 and not last:
            return self.retry.backoff * 2 ** (attempt - 1)
        raise GitHubError(method, url, reason, status) from None


def _message(data: Any) -> str:
    """GitHub's error body as text: `message`, and for a 422 what each error says
    ("Validation Failed: tag_name already_exists")."""
    if not isinstance(data, dict):
        return ""
    message = str(data.get("message") or "")
    details = [str(e.get("message") or " ".join(str(e[k]) for k in ("field", "code") if e.get(k)))
               for e in data.get("errors") or [] if isinstance(e, dict)]
    details = [d for d in details if d]
    return f"{message}: {'; '.join(details)}" if details else message


def _rate_limited(status: int, headers: dict, message: str) -> bool:
    if status == 429:
        return True
    return status == 403 and ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"
                              or "rate limit" in message.lower())


def _rate_limit_wait(headers: dict) -> float:
    """GitHub's documented order: Retry-After; else x-ratelimit-reset when none remain; else a minute."""
    try:
        if "retry-after" in headers:
            return max(float(headers["retry-after"]), 0.0)
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            return max(float(headers["x-ratelimit-reset"]) - time.time(), 0.0) + 1
    except ValueError:
        pass
    return 60.0


def _items(body: Any) -> list | None:
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        lists = [v for v in body.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return None


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


def _next_link(link: str) -> str | None:
    for url, rels in _LINK.findall(link):
        if "next" in rels.split():
            return url
    return None


def _cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, short: 'Connection refused'."""
    while True:
        inner = getattr(exc, "reason", None) or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException)
                                                 else None)
        if not isinstance(inner, BaseException) or inner is exc:
            break
        exc = inner
    text = str(exc)
    m = re.search(r"\[Errno -?\d+\] ([^')]+)", text)
    return m.group(1) if m else f"{type(exc).__name__}"
