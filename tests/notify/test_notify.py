"""release notify against a local webhook + GitHub API (http.server on 127.0.0.1 in a thread)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from plumbing.cli.main import release
from plumbing.notify import LABEL, Failure, Retry, notify

REPO = "tektoncd/plumbing"
TOKEN = "ghp_test"


class FakeServices:
    """A Slack-compatible webhook at /hook and the few GitHub issue endpoints we use."""

    def __init__(self):
        self.chat: list[dict] = []
        self.issues: list[dict] = []
        self.comments: dict[int, list[str]] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail_next: list[int] = []   # statuses to answer with before behaving
        self.page_size = 100

    def handle(self, h: BaseHTTPRequestHandler, method: str):
        parts = urlsplit(h.path)
        self.calls.append((method, parts.path))
        if self.fail_next:
            return h.reply(self.fail_next.pop(0), {"message": "flaky"})
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length") or 0)) or b"null")
        if parts.path == "/hook" and method == "POST":
            self.chat.append(body)
            return h.reply(200, "ok")
        if not parts.path.startswith(f"/repos/{REPO}/issues"):
            return h.reply(404, {"message": "Not Found"})
        if h.headers.get("Authorization") != f"Bearer {TOKEN}":
            return h.reply(401, {"message": "Bad credentials"})
        rest = parts.path[len(f"/repos/{REPO}/issues"):].strip("/")
        if method == "GET" and not rest:
            q = parse_qs(parts.query)
            found = [i for i in self.issues if i["state"] == q.get("state", ["open"])[0]
                     and set(q.get("labels", [""])[0].split(",")) <= set(i["labels"])]
            page = int(q.get("page", ["1"])[0])
            chunk = found[(page - 1) * self.page_size: page * self.page_size]
            headers = {}
            if page * self.page_size < len(found):
                nxt = f"http://{h.headers['Host']}{parts.path}?state=open&labels={LABEL}&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            return h.reply(200, [{"number": i["number"], "title": i["title"], "state": i["state"],
                                  "labels": [{"name": n} for n in i["labels"]]} for i in chunk], headers)
        if method == "POST" and not rest:
            issue = {"number": len(self.issues) + 1, "title": body["title"], "body": body["body"],
                     "labels": body.get("labels", []), "state": "open"}
            self.issues.append(issue)
            return h.reply(201, {**issue, "html_url": f"https://github.com/{REPO}/issues/{issue['number']}"})
        if method == "POST" and rest.endswith("/comments"):
            number = int(rest.split("/")[0])
            self.comments.setdefault(number, []).append(body["body"])
            return h.reply(201, {"id": 1})
        return h.reply(404, {"message": "Not Found"})


@pytest.fixture
def services():
    state = FakeServices()

    class Handler(BaseHTTPRequestHandler):
        def reply(self, status, payload, headers=None):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            state.handle(self, "GET")

        def do_POST(self):
            state.handle(self, "POST")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


FAST = Retry(attempts=3, backoff=0.01)


def failure(mode="nightly", version="v20261124-0123456789", run="release-pipeline-nightly-abcde"):
    return Failure("pipeline", mode, version, run, "Failed",
                   "https://storage.googleapis.com/b/pipeline/previous/v/logs.txt")


def send(services, f, **kw):
    args = dict(webhook_url=f"{services.url}/hook", github_api=services.url,
                github_repository=REPO, github_token=TOKEN, retry=FAST)
    args.update(kw)
    return notify(f, **args)


def test_first_failure_posts_and_opens_an_issue(services):
    assert send(services, failure()) == 0
    (msg,) = services.chat
    assert msg["text"].startswith(":red_circle: pipeline nightly release v20261124-0123456789 did not "
                                  "succeed: Failed (PipelineRun release-pipeline-nightly-abcde)")
    assert "logs: https://storage.googleapis.com/" in msg["text"]
    (issue,) = services.issues
    assert issue["title"] == "[release-failure] pipeline nightly"
    assert issue["labels"] == [LABEL]
    assert "| version | `v20261124-0123456789` |" in issue["body"]
    assert "<!-- plumbing:release-failure project=pipeline mode=nightly -->" in issue["body"]


def test_second_failure_comments_on_the_open_issue(services):
    assert send(services, failure()) == 0
    assert send(services, failure(version="v20261125-0123456789", run="run-2")) == 0
    assert len(services.issues) == 1
    (comment,) = services.comments[1]
    assert "v20261125-0123456789" in comment and "`run-2`" in comment
    assert len(services.chat) == 2
    # another mode is another issue; a closed issue means a new one
    assert send(services, failure(mode="full", version="v1.2.3")) == 0
    assert [i["title"] for i in services.issues] == ["[release-failure] pipeline nightly",
                                                    "[release-failure] pipeline full"]
    services.issues[0]["state"] = "closed"
    assert send(services, failure()) == 0
    assert len(services.issues) == 3


def test_finds_the_issue_on_a_later_page(services):
    services.page_size = 2
    for n in range(5):
        services.issues.append({"number": n + 1, "title": f"[release-failure] other{n} nightly",
                                "labels": [LABEL], "state": "open"})
    assert send(services, failure()) == 0
    assert send(services, failure()) == 0
    assert len(services.issues) == 6 and len(services.comments[6]) == 1


def test_retries_are_bounded(services, capsys):
    services.fail_next = [502, 503]           # two flaky answers, then the hook works
    assert send(services, failure(), github_repository=None, github_token=None) == 0
    assert len(services.chat) == 1
    services.fail_next = [500, 500, 500, 500]  # more than 3 attempts: give up
    assert send(services, failure(), github_repository=None, github_token=None) == 1
    assert len([c for c in services.calls if c == ("POST", "/hook")]) == 6
    err = capsys.readouterr().err
    assert f"notify failed: chat: POST {services.url}/...: HTTP 500 flaky" in err  # the secret path is hidden
    assert "/hook" not in err
    services.fail_next = []


def test_client_errors_are_not_retried(services, capsys):
    assert send(services, failure(), webhook_url=None, github_token="wrong") == 1
    assert services.calls == [("GET", f"/repos/{REPO}/issues")]
    assert "notify failed: github: GET" in capsys.readouterr().err


def test_no_endpoint_is_a_failure(capsys):
    assert notify(failure(), webhook_url=None, github_api=None, github_repository=None,
                  github_token=None) == 1
    assert "nobody would hear of this failure" in capsys.readouterr().err


def test_cli_reads_endpoints_from_env_and_config(services, scratch_repo, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{services.url}/hook")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    args = ["notify", "--project", "pipeline", "--mode", "full", "--version", "v1.2.3",
            "--run", "release-pipeline-full-xyz12", "--status", "Failed",
            "--github-api", services.url, "--root", str(scratch_repo)]
    result = CliRunner().invoke(release, args)
    assert result.exit_code == 0, result.output
    assert "github: opened issue #1" in result.output
    (issue,) = services.issues
    assert issue["title"] == "[release-failure] pipeline full"   # repo from notify.github_repository
    assert ("https://storage.googleapis.com/tekton-releases/pipeline/previous/v1.2.3/logs.txt"
            in issue["body"])
    result = CliRunner().invoke(release, args)
    assert result.exit_code == 0 and "github: commented on issue #1" in result.output
