"""A GitHub REST API for tests: an http.server on 127.0.0.1 that keeps issues, comments, releases,
pull requests and commit statuses in memory, and answers with GitHub's paths, status codes, JSON
shapes and pagination `Link` headers. No test reaches github.com.

Use it from any test folder (tests/conftest.py imports the fixture):

    def test_x(github_server):                       # a fresh server per test
        client = Client(token=TOKEN, base_url=github_server.url)
        github_server.add_issue("o/r", "title", labels=["bug"])
        ...
        assert github_server.calls("POST", "/repos/o/r/issues") == [...]

State (plain dicts shaped like GitHub's JSON, editable by tests): `issues[repo]` (a list; pull
requests appear there too, with a `pull_request` key, as on GitHub), `comments[repo]`,
`releases[repo]`, `pulls[repo]`, `statuses[repo]`. Helpers: `add_issue`, `add_release`,
`add_pull`, `add_merged_pull` (closed, with `merge_commit_sha`, labels, author). `received` lists every request as a `Received(method, path, query, body, headers)`;
`calls(method, path)` filters it.

Auth: `token` (TOKEN by default) is the one valid token. A wrong token gets 401 "Bad
credentials"; no token may read but not write (401 "Requires authentication"). `token=None`: no checks.

Pagination: list endpoints take `per_page` (GitHub's default 30, at most 100) and `page`, and
answer with `Link: <...page=2>; rel="next", <...>; rel="last"` (and prev/first) like GitHub.
`max_per_page` lowers the cap so a test reaches page 3 with a few items.

Faults: `fail(method, path, status=500, times=1)` answers the next `times` matching requests with
`status` (500, 502, 503, ...) without touching the state; `rate_limit(method, path, times=1,
retry_after=None, reset_in=None, status=403)` answers like GitHub's primary (x-ratelimit-remaining:
0 and x-ratelimit-reset) or secondary (Retry-After) limit. `path` is a regular expression matched
against the whole path (no query); method "*" matches any.

Adding a route: decorate a function with `@route(METHOD, r"/repos/(?P<repo>[^/]+/[^/]+)/things")`
in this module (for every test) or call `server.route(METHOD, PATTERN)(handler)` in one test
(`auth=False` for a route that is not GitHub, e.g. a chat webhook the same test needs).
A handler is `handler(server, req, **groups) -> (status, body[, headers])`; `req` is the
`Received`; list endpoints return `server.page(req, items)`; use `server.lock` around state if you
touch more than one collection; `server.not_found()` for GitHub's 404 body.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

TOKEN = "ghp_test_token"
REPO = r"(?P<repo>[^/]+/[^/]+)"
DOCS = "https://docs.github.com/rest"


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    body: object
    headers: dict[str, str]


@dataclass
class _Fault:
    method: str
    path: re.Pattern
    remaining: int
    answer: Callable[[], tuple]


Handler = Callable[..., tuple]
ROUTES: list[tuple[str, re.Pattern, Handler, bool]] = []


def route(method: str, pattern: str, *, auth: bool = True):
    """Register a handler for every GitHubServer (see the module docstring)."""
    def add(fn: Handler) -> Handler:
        ROUTES.append((method, re.compile(pattern), fn, auth))
        return fn
    return add


@dataclass
class GitHubServer:
    token: str | None = TOKEN
    max_per_page: int = 100
    issues: dict[str, list[dict]] = field(default_factory=dict)
    comments: dict[str, list[dict]] = field(default_factory=dict)
    releases: dict[str, list[dict]] = field(default_factory=dict)
    pulls: dict[str, list[dict]] = field(default_factory=dict)
    statuses: dict[str, list[dict]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def __post_init__(self):
        self.lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._routes: list[tuple[str, re.Pattern, Handler, bool]] = []
        self._ids = itertools.count(1001)

    # --- scripting -------------------------------------------------------------------------

    def fail(self, method: str, path: str, status: int = 500, times: int = 1) -> None:
        body = {"message": "Server Error" if status == 500 else "Service Unavailable", "documentation_url": DOCS}
        self._faults.append(_Fault(method, re.compile(path), times, lambda: (status, body)))

    def rate_limit(self, method: str, path: str, times: int = 1, *, retry_after: int | None = None,
                   reset_in: int | None = None, status: int = 403) -> None:
        if retry_after is not None:   # secondary rate limit
            headers = {"Retry-After": str(retry_after)}
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        else:                          # primary rate limit
            reset = int(time.time()) + (3600 if reset_in is None else reset_in)
            headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                       "x-ratelimit-used": "5000", "x-ratelimit-reset": str(reset)}
            message = "API rate limit exceeded for user ID 1."
        body = {"message": message, "documentation_url": DOCS}
        self._faults.append(_Fault(method, re.compile(path), times, lambda: (status, body, headers)))

    def route(self, method: str, pattern: str, *, auth: bool = True):
        """Add a route to this server only; it is tried before the module's routes.
        `auth=False`: no token checks (a route that stands for something other than GitHub)."""
        def add(fn: Handler) -> Handler:
            self._routes.append((method, re.compile(pattern), fn, auth))
            return fn
        return add

    def calls(self, method: str | None = None, path: str | None = None) -> list[Received]:
        return [r for r in self.received if (method is None or r.method == method)
                and (path is None or re.fullmatch(path, r.path))]

    # --- state helpers ---------------------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    def _next_number(self, repo: str) -> int:
        return max((i["number"] for i in self.issues.get(repo, [])), default=0) + 1

    def html(self, repo: str, *rest) -> str:
        return "/".join(["https://github.com", repo, *map(str, rest)])

    def add_issue(self, repo: str, title: str, body: str = "", labels=(), state: str = "open", **extra) -> dict:
        with self.lock:
            n = self._next_number(repo)
            issue = {"id": self.next_id(), "number": n, "title": title, "body": body, "state": state,
                     "labels": [{"name": name} for name in labels], "comments": 0,
                     "url": f"{self.url}/repos/{repo}/issues/{n}", "html_url": self.html(repo, "issues", n), **extra}
            self.issues.setdefault(repo, []).append(issue)
            return issue

    def add_release(self, repo: str, tag: str, *, draft: bool = False, name: str | None = None, body: str = "") -> dict:
        with self.lock:
            rid = self.next_id()
            release = {"id": rid, "tag_name": tag, "name": name or tag, "body": body, "draft": draft,
                       "prerelease": False, "url": f"{self.url}/repos/{repo}/releases/{rid}",
                       "html_url": self.html(repo, "releases", "tag", tag)}
            self.releases.setdefault(repo, []).append(release)
            return release

    def add_pull(self, repo: str, title: str, head: str, base: str = "main", body: str = "") -> dict:
        with self.lock:
            issue = self.add_issue(repo, title, body)
            pull = {"id": issue["id"], "number": issue["number"], "title": title, "body": body, "state": "open",
                    "head": {"ref": head, "label": f"{repo.split('/')[0]}:{head}", "sha": "0" * 40},
                    "base": {"ref": base}, "labels": [],
                    "html_url": self.html(repo, "pull", issue["number"]),
                    "url": f"{self.url}/repos/{repo}/pulls/{issue['number']}"}
            issue["pull_request"] = {"url": pull["url"], "html_url": pull["html_url"]}
            self.pulls.setdefault(repo, []).append(pull)
            return pull

    def add_merged_pull(self, repo: str, title: str, merge_commit_sha: str, *, author: str = "octocat",
                        labels=(), body: str = "", merged_at: str = "2026-11-20T10:00:00Z",
                        updated_at: str | None = None, base: str = "main") -> dict:
        """A closed, merged pull request as `GET /repos/{repo}/pulls?state=closed` lists it."""
        with self.lock:
            pull = self.add_pull(repo, title, f"topic-{self._next_number(repo)}", base, body)
            issue = _find(self.issues[repo], "number", pull["number"])
            issue.update(state="closed", labels=[{"name": name} for name in labels])
            pull.update(state="closed", merged_at=merged_at, closed_at=merged_at, updated_at=updated_at or merged_at,
                        merge_commit_sha=merge_commit_sha, labels=[{"name": name} for name in labels],
                        user={"login": author, "type": "Bot" if author.endswith("[bot]") else "User"})
            return pull

    # --- answers ---------------------------------------------------------------------------

    @staticmethod
    def not_found() -> tuple:
        return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}

    @staticmethod
    def invalid(resource: str, field_name: str) -> tuple:
        return 422, {"message": "Validation Failed", "documentation_url": DOCS, "status": "422",
                     "errors": [{"resource": resource, "code": "missing_field", "field": field_name}]}

    def page(self, req: Received, items: list) -> tuple:
        """One page of `items` as GitHub answers it: the slice and a Link header."""
        per_page = max(1, min(int(req.query.get("per_page", 30)), self.max_per_page))
        page = max(1, int(req.query.get("page", 1)))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]

        rest = {k: v for k, v in req.query.items() if k not in ("per_page", "page")}

        def link(n: int) -> str:   # GitHub keeps the query and puts page last
            return f"{self.url}{req.path}?{urlencode({**rest, 'per_page': per_page, 'page': n})}"

        rels = []
        if page < last:
            rels += [f'<{link(page + 1)}>; rel="next"', f'<{link(last)}>; rel="last"']
        if page > 1:
            rels += [f'<{link(page - 1)}>; rel="prev"', f'<{link(1)}>; rel="first"']
        return 200, chunk, ({"Link": ", ".join(rels)} if rels else {})

    # --- dispatch ----------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes) -> tuple:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            return 400, {"message": "Problems parsing JSON", "documentation_url": DOCS}
        req = Received(method, parts.path, query, body, headers)
        with self.lock:
            self.received.append(req)
            for fault in self._faults:
                if fault.remaining > 0 and fault.method in ("*", method) and fault.path.fullmatch(parts.path):
                    fault.remaining -= 1
                    return fault.answer()
        for route_method, pattern, handler, auth in self._routes + ROUTES:
            m = pattern.fullmatch(parts.path)
            if m and route_method == method:
                denied = self._auth(method, headers) if auth else None
                if denied:
                    return denied
                with self.lock:
                    return handler(self, req, **m.groupdict())
        return self._auth(method, headers) or self.not_found()

    def _auth(self, method: str, headers: dict[str, str]) -> tuple | None:
        if self.token is None:
            return None
        given = headers.get("authorization", "")
        if given:
            scheme, _, value = given.partition(" ")
            if scheme.lower() not in ("token", "bearer") or value != self.token:
                return 401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
        elif method not in ("GET", "HEAD"):
            return 401, {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"}
        return None

    def start(self) -> GitHubServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"   # keep-alive, as clients expect of api.github.com

            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload, *extra = server.handle(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (extra[0] if extra else {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _any

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


# --- routes: https://docs.github.com/rest ----------------------------------------------------

def _issue_matches(issue: dict, q: dict) -> bool:
    state = q.get("state", "open")
    wanted = {name for name in q.get("labels", "").split(",") if name}
    have = {label["name"] for label in issue["labels"]}
    return (state == "all" or issue["state"] == state) and wanted <= have


@route("GET", rf"/repos/{REPO}/issues")
def list_issues(s: GitHubServer, req: Received, repo: str):
    return s.page(req, [i for i in s.issues.get(repo, []) if _issue_matches(i, req.query)])


@route("POST", rf"/repos/{REPO}/issues")
def create_issue(s: GitHubServer, req: Received, repo: str):
    body = req.body or {}
    if not body.get("title"):
        return s.invalid("Issue", "title")
    return 201, s.add_issue(repo, body["title"], body.get("body") or "", body.get("labels") or ())


def _find(items: list[dict], key: str, value) -> dict | None:
    return next((i for i in items if i[key] == value), None)


@route("GET", rf"/repos/{REPO}/issues/(?P<number>\d+)")
def get_issue(s: GitHubServer, req: Received, repo: str, number: str):
    issue = _find(s.issues.get(repo, []), "number", int(number))
    return (200, issue) if issue else s.not_found()


@route("PATCH", rf"/repos/{REPO}/issues/(?P<number>\d+)")
def update_issue(s: GitHubServer, req: Received, repo: str, number: str):
    issue = _find(s.issues.get(repo, []), "number", int(number))
    if not issue:
        return s.not_found()
    body = dict(req.body or {})
    if "labels" in body:
        body["labels"] = [{"name": name} for name in body["labels"]]
    issue.update({k: v for k, v in body.items() if k in ("title", "body", "state", "labels")})
    return 200, issue


@route("GET", rf"/repos/{REPO}/issues/(?P<number>\d+)/comments")
def list_comments(s: GitHubServer, req: Received, repo: str, number: str):
    return s.page(req, [c for c in s.comments.get(repo, []) if c["issue_number"] == int(number)])


@route("POST", rf"/repos/{REPO}/issues/(?P<number>\d+)/comments")
def create_comment(s: GitHubServer, req: Received, repo: str, number: str):
    issue = _find(s.issues.get(repo, []), "number", int(number))
    if not issue:
        return s.not_found()
    if not (req.body or {}).get("body"):
        return s.invalid("IssueComment", "body")
    cid = s.next_id()
    comment = {"id": cid, "issue_number": int(number), "body": req.body["body"],
               "url": f"{s.url}/repos/{repo}/issues/comments/{cid}",
               "html_url": f"{issue['html_url']}#issuecomment-{cid}"}
    s.comments.setdefault(repo, []).append(comment)
    issue["comments"] += 1
    return 201, comment


@route("PATCH", rf"/repos/{REPO}/issues/comments/(?P<cid>\d+)")
def update_comment(s: GitHubServer, req: Received, repo: str, cid: str):
    comment = _find(s.comments.get(repo, []), "id", int(cid))
    if not comment:
        return s.not_found()
    comment["body"] = (req.body or {}).get("body", comment["body"])
    return 200, comment


@route("GET", rf"/repos/{REPO}/releases")
def list_releases(s: GitHubServer, req: Received, repo: str):
    return s.page(req, list(reversed(s.releases.get(repo, []))))   # newest first


@route("POST", rf"/repos/{REPO}/releases")
def create_release(s: GitHubServer, req: Received, repo: str):
    body = req.body or {}
    if not body.get("tag_name"):
        return s.invalid("Release", "tag_name")
    if any(r["tag_name"] == body["tag_name"] and not r["draft"] for r in s.releases.get(repo, [])):
        return 422, {"message": "Validation Failed", "documentation_url": DOCS,
                     "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]}
    release = s.add_release(repo, body["tag_name"], draft=bool(body.get("draft")), name=body.get("name"),
                            body=body.get("body") or "")
    release.update({k: body[k] for k in ("make_latest", "target_commitish") if k in body})
    return 201, release


@route("GET", rf"/repos/{REPO}/releases/tags/(?P<tag>[^/]+)")
def release_by_tag(s: GitHubServer, req: Received, repo: str, tag: str):
    found = [r for r in s.releases.get(repo, []) if r["tag_name"] == tag and not r["draft"]]
    return (200, found[-1]) if found else s.not_found()   # drafts are invisible here, as on GitHub


@route("GET", rf"/repos/{REPO}/releases/(?P<rid>\d+)")
def get_release(s: GitHubServer, req: Received, repo: str, rid: str):
    release = _find(s.releases.get(repo, []), "id", int(rid))
    return (200, release) if release else s.not_found()


@route("PATCH", rf"/repos/{REPO}/releases/(?P<rid>\d+)")
def update_release(s: GitHubServer, req: Received, repo: str, rid: str):
    release = _find(s.releases.get(repo, []), "id", int(rid))
    if not release:
        return s.not_found()
    release.update({k: v for k, v in (req.body or {}).items()
                    if k in ("tag_name", "name", "body", "draft", "prerelease", "make_latest", "target_commitish")})
    return 200, release


@route("DELETE", rf"/repos/{REPO}/releases/(?P<rid>\d+)")
def delete_release(s: GitHubServer, req: Received, repo: str, rid: str):
    release = _find(s.releases.get(repo, []), "id", int(rid))
    if not release:
        return s.not_found()
    s.releases[repo].remove(release)
    return 204, None


@route("GET", rf"/repos/{REPO}/pulls")
def list_pulls(s: GitHubServer, req: Received, repo: str):
    q = req.query
    pulls = [p for p in s.pulls.get(repo, []) if q.get("state", "open") in ("all", p["state"])
             and ("head" not in q or q["head"] == p["head"]["label"]) and ("base" not in q or q["base"] == p["base"]["ref"])]
    if q.get("sort") == "updated":   # GitHub: sort=created (default) | updated; direction desc by default then
        pulls.sort(key=lambda p: p.get("updated_at") or "", reverse=q.get("direction", "desc") == "desc")
    elif q.get("direction", "asc") == "desc":
        pulls.reverse()
    return s.page(req, pulls)


@route("POST", rf"/repos/{REPO}/pulls")
def create_pull(s: GitHubServer, req: Received, repo: str):
    body = req.body or {}
    for name in ("title", "head", "base"):
        if not body.get(name):
            return s.invalid("PullRequest", name)
    head = body["head"].split(":")[-1]
    if any(p["head"]["ref"] == head and p["state"] == "open" for p in s.pulls.get(repo, [])):
        return 422, {"message": "Validation Failed", "documentation_url": DOCS,
                     "errors": [{"resource": "PullRequest", "code": "custom",
                                 "message": f"A pull request already exists for {body['head']}."}]}
    return 201, s.add_pull(repo, body["title"], head, body["base"], body.get("body") or "")


@route("GET", rf"/repos/{REPO}/pulls/(?P<number>\d+)")
def get_pull(s: GitHubServer, req: Received, repo: str, number: str):
    pull = _find(s.pulls.get(repo, []), "number", int(number))
    return (200, pull) if pull else s.not_found()


@route("PATCH", rf"/repos/{REPO}/pulls/(?P<number>\d+)")
def update_pull(s: GitHubServer, req: Received, repo: str, number: str):
    pull = _find(s.pulls.get(repo, []), "number", int(number))
    if not pull:
        return s.not_found()
    pull.update({k: v for k, v in (req.body or {}).items() if k in ("title", "body", "state")})
    return 200, pull


@route("POST", rf"/repos/{REPO}/statuses/(?P<sha>[0-9a-f]{{40}})")
def create_status(s: GitHubServer, req: Received, repo: str, sha: str):
    body = req.body or {}
    if body.get("state") not in ("error", "failure", "pending", "success"):
        return s.invalid("Status", "state")
    status = {"id": s.next_id(), "sha": sha, "state": body["state"], "context": body.get("context", "default"),
              "description": body.get("description"), "target_url": body.get("target_url")}
    s.statuses.setdefault(repo, []).append(status)
    return 201, status


@route("GET", rf"/repos/{REPO}/commits/(?P<ref>[^/]+)/statuses")
def list_statuses(s: GitHubServer, req: Received, repo: str, ref: str):
    return s.page(req, [st for st in reversed(s.statuses.get(repo, [])) if st["sha"] == ref])


@pytest.fixture
def github_server():
    """A fresh GitHub API on 127.0.0.1 for one test; see the module docstring."""
    server = GitHubServer().start()
    yield server
    server.stop()
