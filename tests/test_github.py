"""plumbing.github.Client (PyGithub underneath) against the local GitHub API (tests/github_server.py)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from github_server import TOKEN

from plumbing.findings import PlumbingError
from plumbing.github import Client, GitHubError, NotFound, RateLimited, Retry, owner_repo

REPO = "tektoncd/pipeline"


class Sleeps(list):
    """An injected sleep: records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(github_server, sleeps):
    return Client(token=TOKEN, base_url=github_server.url, retry=Retry(attempts=4, backoff=0.5, sleep=sleeps))


@pytest.mark.parametrize("url", ["https://github.com/tektoncd/pipeline", "https://github.com/tektoncd/pipeline.git",
                                 "https://github.com/tektoncd/pipeline/"])
def test_owner_repo(url):
    assert owner_repo(url) == REPO


@pytest.mark.parametrize("url", ["https://github.com/tektoncd", "https://github.com/a/b/c", "nonsense"])
def test_owner_repo_refuses_what_is_not_a_repository(url):
    with pytest.raises(PlumbingError, match="cannot tell the GitHub owner/repository"):
        owner_repo(url)


@pytest.mark.parametrize("call", [
    lambda c: c.create_issue(REPO, "t", "b", ["x"]),
    lambda c: c.comment_issue(REPO, 1, "hello"),
    lambda c: c.patch(f"/repos/{REPO}/issues/1", {"state": "closed"}),
    lambda c: c.post(f"/repos/{REPO}/releases", {"tag_name": "v1.0.0", "draft": True}),
], ids=["create_issue", "comment_issue", "patch", "post"])
def test_a_write_answered_500_is_sent_exactly_once(github_server, client, sleeps, call):
    github_server.add_issue(REPO, "existing")
    github_server.fail("*", r"/repos/.*", 500, times=5)
    with pytest.raises(GitHubError) as err:
        call(client)
    (req,) = github_server.received          # once: the server may have acted on it
    assert str(err.value) == f"{req.method} {github_server.url}{req.path}: HTTP 500 Server Error"
    assert err.value.exit_code == 2 and sleeps == []
    assert len(github_server.issues[REPO]) == 1 and not github_server.comments and not github_server.releases


def test_gets_answered_503_are_retried_with_backoff(github_server, client, sleeps):
    github_server.add_release(REPO, "v1.2.3")
    github_server.fail("GET", rf"/repos/{REPO}/releases/tags/v1\.2\.3", 503, times=2)
    assert client.release_by_tag(REPO, "v1.2.3")["tag_name"] == "v1.2.3"
    assert len(github_server.calls("GET")) == 3 and sleeps == [0.5, 1.0]


def test_get_retries_are_bounded(github_server, client, sleeps):
    github_server.fail("GET", ".*", 502, times=10)
    with pytest.raises(GitHubError, match=r"^GET http://127\.0\.0\.1:\d+/repos/tektoncd/pipeline/issues/1: HTTP 502"):
        client.get(f"/repos/{REPO}/issues/1")
    assert len(github_server.received) == 4 and sleeps == [0.5, 1.0, 2.0]


def test_pagination_finds_the_issue_on_page_3(github_server, client):
    github_server.max_per_page = 2
    for n in range(4):
        github_server.add_issue(REPO, f"other {n}", labels=["release-failure"])
    github_server.add_pull(REPO, "a pull request is an issue too", head="bump")
    github_server.issues[REPO][-1]["labels"] = [{"name": "release-failure"}]
    github_server.add_issue(REPO, "unlabelled")
    wanted = github_server.add_issue(REPO, "the one", labels=["release-failure", "bug"])
    found = [i["title"] for i in client.open_issues_with_label(REPO, "release-failure")]
    assert found == ["other 0", "other 1", "other 2", "other 3", "the one"]   # the pull request is left out
    pages = [r.query.get("page") for r in github_server.calls("GET", f"/repos/{REPO}/issues")]
    assert pages == [None, "2", "3"]
    assert next(i for i in client.open_issues_with_label(REPO, "bug"))["number"] == wanted["number"]


def test_pagination_stops_when_the_caller_does(github_server, client):
    github_server.max_per_page = 1
    for n in range(5):
        github_server.add_issue(REPO, f"i{n}", labels=["x"])
    assert next(iter(client.open_issues_with_label(REPO, "x")))["title"] == "i0"
    assert len(github_server.received) == 1


def test_a_next_page_on_another_host_is_refused(github_server, client):
    @github_server.route("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/tags")
    def tags(server, req, repo):
        return 200, [{"name": "v1"}], {"Link": '<https://evil.example.com/steal?page=2>; rel="next"'}

    with pytest.raises(GitHubError, match="next page is not on"):
        list(client.paginate(f"/repos/{REPO}/tags"))


def test_release_by_tag_none_when_404_or_only_a_draft(github_server, client):
    assert client.release_by_tag(REPO, "v1.2.3") is None
    github_server.add_release(REPO, "v1.2.3", draft=True)
    assert client.release_by_tag(REPO, "v1.2.3") is None
    with pytest.raises(NotFound, match="HTTP 404 Not Found"):
        client.get(f"/repos/{REPO}/releases/999")


def test_primary_rate_limit_too_far_away_fails_at_once_with_one_clear_line(github_server, client, sleeps):
    github_server.rate_limit("GET", ".*", reset_in=3600)
    with pytest.raises(RateLimited) as err:
        client.get(f"/repos/{REPO}/issues")
    message = str(err.value)
    assert re.search(r"HTTP 403: rate limited by GitHub for 36\d\ds more, longer than the 60s we wait", message)
    assert "API rate limit exceeded" in message and "\n" not in message
    assert sleeps == [] and len(github_server.received) == 1


def test_secondary_rate_limit_is_waited_out_when_short(github_server, client, sleeps):
    github_server.add_issue(REPO, "x")
    github_server.rate_limit("GET", ".*", retry_after=7, status=429)
    assert client.get(f"/repos/{REPO}/issues/1")["title"] == "x"
    assert sleeps == [7.0] and len(github_server.received) == 2


def test_a_rate_limited_post_is_not_resent(github_server, client, sleeps):
    github_server.rate_limit("POST", ".*", retry_after=1)
    with pytest.raises(RateLimited, match="gave up after 1 attempt"):
        client.create_issue(REPO, "t", "b")
    assert len(github_server.received) == 1 and sleeps == []


def test_a_wrong_token_is_one_line_and_not_retried(github_server, sleeps):
    bad = Client(token="wrong", base_url=github_server.url, retry=Retry(sleep=sleeps))
    with pytest.raises(GitHubError, match="HTTP 401 Bad credentials$"):
        list(bad.open_issues_with_label(REPO, "x"))
    anonymous = Client(base_url=github_server.url, retry=Retry(sleep=sleeps))
    with pytest.raises(GitHubError, match="HTTP 401 Requires authentication$"):
        anonymous.comment_issue(REPO, 1, "hi")
    assert len(github_server.received) == 2 and sleeps == []


def test_the_token_is_sent_and_bodies_are_github_json(github_server, client):
    issue = client.create_issue(REPO, "title", "body", ["a", "b"])
    assert issue["number"] == 1 and issue["html_url"] == f"https://github.com/{REPO}/issues/1"
    comment = client.comment_issue(REPO, 1, "more")
    assert comment["html_url"].endswith(f"#issuecomment-{comment['id']}")
    (post, _) = github_server.calls("POST")
    assert post.headers["authorization"] == f"token {TOKEN}"
    assert post.body == {"title": "title", "body": "body", "labels": ["a", "b"]}


def test_unreachable_is_one_line(sleeps):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(GitHubError, match=rf"^GET http://127\.0\.0\.1:{port}/x: cannot reach GitHub \(Connection refused\)$"):
        Client(base_url=f"http://127.0.0.1:{port}", retry=Retry(backoff=0.01, sleep=sleeps)).get("/x")


def test_a_repository_name_cannot_change_the_path(client):
    with pytest.raises(PlumbingError, match="is not a GitHub owner/name"):
        client.create_issue("a/b/../../orgs/x", "t", "b")


def test_importing_our_modules_does_not_load_pygithub_or_requests():
    """Commands import the client lazily: rendering and linting never pay for PyGithub."""
    code = ("import sys, plumbing.github, plumbing.notify, plumbing.release.precheck, plumbing.cli.main, "
            "plumbing.cli.notify_cmds, plumbing.cli.publish_cmds, plumbing.cli.common; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('github', 'requests', 'urllib3')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the generic helpers carry what comes next (and the test server's other routes) ----------

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_a_pr_comment_created_once_then_updated(github_server, client):
    pull = github_server.add_pull(REPO, "infra: add a bucket", head="infra")
    comment = client.comment_issue(REPO, pull["number"], "inventory diff v1")
    client.patch(f"/repos/{REPO}/issues/comments/{comment['id']}", {"body": "inventory diff v2"})
    (stored,) = github_server.comments[REPO]
    assert stored["body"] == "inventory diff v2"
    listed = list(client.paginate(f"/repos/{REPO}/issues/{pull['number']}/comments"))
    assert [c["id"] for c in listed] == [comment["id"]]


def test_a_draft_release_created_then_updated_and_a_second_tag_refused(github_server, client):
    draft = client.post(f"/repos/{REPO}/releases", {"tag_name": "v1.2.3", "name": "v1.2.3", "draft": True})
    client.patch(f"/repos/{REPO}/releases/{draft['id']}", {"body": "notes", "draft": False})
    assert client.release_by_tag(REPO, "v1.2.3")["body"] == "notes"
    with pytest.raises(GitHubError, match="HTTP 422 Validation Failed: tag_name already_exists$"):
        client.post(f"/repos/{REPO}/releases", {"tag_name": "v1.2.3"})
    assert [r["tag_name"] for r in client.paginate(f"/repos/{REPO}/releases")] == ["v1.2.3"]


def test_a_bump_pull_request_and_commit_statuses(github_server, client):
    pull = client.post(f"/repos/{REPO}/pulls", {"title": "Bump pipeline to v1.2.3", "head": "bump-v1.2.3",
                                                "base": "main", "body": "verified"})
    assert pull["number"] == 1 and pull["html_url"].endswith("/pull/1")
    with pytest.raises(GitHubError, match="A pull request already exists for bump-v1.2.3"):
        client.post(f"/repos/{REPO}/pulls", {"title": "again", "head": "bump-v1.2.3", "base": "main"})
    open_bumps = list(client.paginate(f"/repos/{REPO}/pulls", {"head": "tektoncd:bump-v1.2.3"}))
    assert [p["number"] for p in open_bumps] == [1]
    client.post(f"/repos/{REPO}/statuses/{SHA}", {"state": "pending", "context": "plumbing/pr-checks"})
    client.post(f"/repos/{REPO}/statuses/{SHA}", {"state": "success", "context": "plumbing/pr-checks"})
    assert [s["state"] for s in client.paginate(f"/repos/{REPO}/commits/{SHA}/statuses")] == ["success", "pending"]


def test_the_server_paginates_like_github(github_server, client):
    for n in range(5):
        github_server.add_issue(REPO, f"i{n}")
    headers, body = client.request("GET", f"/repos/{REPO}/issues", params={"per_page": 2, "page": 2})
    assert [i["title"] for i in body] == ["i2", "i3"]
    base = f"{github_server.url}/repos/{REPO}/issues?per_page=2&page="
    assert headers["link"] == (f'<{base}3>; rel="next", <{base}3>; rel="last", '
                               f'<{base}1>; rel="prev", <{base}1>; rel="first"')
    headers, body = client.request("GET", f"/repos/{REPO}/issues")
    assert len(body) == 5 and "link" not in headers
