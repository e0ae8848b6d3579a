"""release notify against the local GitHub API (tests/github_server.py) and a chat webhook route on it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from gcs_server import FaultProxy
from github_server import TOKEN

from plumbing.cli.main import release
from plumbing.notify import LABEL, Failure, Retry, notify

REPO = "tektoncd/plumbing"
ISSUES = f"/repos/{REPO}/issues"
COMMENTS = rf"/repos/{REPO}/issues/\d+/comments"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def services(github_server):
    """The GitHub API plus a Slack-compatible webhook at /hook (a route added for these tests)."""
    github_server.chat = []

    @github_server.route("POST", "/hook", auth=False)
    def hook(server, req):
        server.chat.append(req.body)
        return 200, "ok"

    github_server.sleeps = Sleeps()
    return github_server


def failure(mode="nightly", version="v20261124-0123456789", run="release-pipeline-nightly-abcde"):
    return Failure("pipeline", mode, version, run, "Failed",
                   "https://storage.googleapis.com/b/pipeline/previous/v/logs.txt")


def send(services, f, **kw):
    args = dict(webhook_url=f"{services.url}/hook", github_api=services.url, github_repository=REPO,
                github_token=TOKEN, retry=Retry(attempts=3, backoff=0.01, sleep=services.sleeps))
    args.update(kw)
    return notify(f, **args)


def titles(services):
    return [i["title"] for i in services.issues.get(REPO, [])]


def test_first_failure_posts_and_opens_an_issue(services, capsys):
    assert send(services, failure()) == 0
    (msg,) = services.chat
    assert msg["text"].startswith(":red_circle: pipeline nightly release v20261124-0123456789 did not "
                                  "succeed: Failed (PipelineRun release-pipeline-nightly-abcde)")
    assert "logs: https://storage.googleapis.com/" in msg["text"]
    (issue,) = services.issues[REPO]
    assert issue["title"] == "[release-failure] pipeline nightly"
    assert [label["name"] for label in issue["labels"]] == [LABEL]
    assert "| version | `v20261124-0123456789` |" in issue["body"]
    assert "<!-- plumbing:release-failure project=pipeline mode=nightly -->" in issue["body"]
    assert f"github: opened issue #1 https://github.com/{REPO}/issues/1" in capsys.readouterr().out


def test_two_failing_runs_make_one_issue_and_one_comment(services):
    assert send(services, failure()) == 0
    assert send(services, failure(version="v20261125-0123456789", run="run-2")) == 0
    assert len(services.calls("POST", ISSUES)) == 1 and len(services.calls("POST", COMMENTS)) == 1
    (comment,) = services.comments[REPO]
    assert comment["issue_number"] == 1
    assert "v20261125-0123456789" in comment["body"] and "`run-2`" in comment["body"]
    assert len(services.chat) == 2
    # another mode is another issue; a closed issue means a new one
    assert send(services, failure(mode="full", version="v1.2.3")) == 0
    assert titles(services) == ["[release-failure] pipeline nightly", "[release-failure] pipeline full"]
    services.issues[REPO][0]["state"] = "closed"
    assert send(services, failure()) == 0
    assert len(services.issues[REPO]) == 3


def test_finds_the_existing_issue_on_page_3_and_comments_on_it(services):
    services.max_per_page = 2
    for n in range(4):
        services.add_issue(REPO, f"[release-failure] other{n} nightly", labels=[LABEL])
    services.add_pull(REPO, "[release-failure] pipeline nightly", head="not-an-issue")  # a PR with the title
    services.issues[REPO][-1]["labels"] = [{"name": LABEL}]
    existing = services.add_issue(REPO, "[release-failure] pipeline nightly", labels=[LABEL])
    assert send(services, failure()) == 0
    assert [r.query.get("page") for r in services.calls("GET", ISSUES)] == [None, "2", "3"]
    assert services.calls("POST", ISSUES) == []
    (comment,) = services.comments[REPO]
    assert comment["issue_number"] == existing["number"]


def test_a_github_post_answered_500_is_sent_once_and_reported(services, capsys):
    services.fail("POST", ISSUES, 500, times=5)
    assert send(services, failure()) == 1
    assert len(services.calls("POST", ISSUES)) == 1 and services.sleeps == []
    assert (f"notify failed: github: POST {services.url}{ISSUES}: HTTP 500 Server Error"
            in capsys.readouterr().err)
    assert len(services.chat) == 1                     # the chat message still went out
    services.add_issue(REPO, "[release-failure] pipeline nightly", labels=[LABEL])
    services.fail("POST", COMMENTS, 502)
    assert send(services, failure()) == 1
    assert len(services.calls("POST", COMMENTS)) == 1 and not services.comments


def test_github_reads_answered_503_are_retried(services):
    services.fail("GET", ISSUES, 503, times=2)
    assert send(services, failure()) == 0
    assert len(services.calls("GET", ISSUES)) == 3 and services.sleeps == [0.01, 0.02]
    assert titles(services) == ["[release-failure] pipeline nightly"]


def test_chat_webhook_answering_500_then_200_gets_exactly_one_post(services, capsys):
    services.fail("POST", "/hook", 500)
    assert send(services, failure(), github_repository=None, github_token=None) == 1
    assert len(services.calls("POST", "/hook")) == 1 and services.chat == []
    err = capsys.readouterr().err
    assert f"notify failed: chat: POST {services.url}/...: HTTP 500 Server Error" in err  # the secret path is hidden
    assert "/hook" not in err
    assert send(services, failure(), github_repository=None, github_token=None) == 0   # next run: 200
    assert len(services.calls("POST", "/hook")) == 2 and len(services.chat) == 1


@pytest.mark.parametrize("action", ["drop", "lose"])
def test_chat_post_is_not_resent_when_the_connection_breaks_after_sending(services, capsys, action):
    """drop: closed after the request arrived; lose: the server posted it, the answer never came.
    Either way the client cannot know, so it must not post again."""
    proxy = FaultProxy(services.url).start()
    try:
        proxy.inject(action, times=1)
        assert send(services, failure(), webhook_url=f"{proxy.url}/hook", github_repository=None,
                    github_token=None) == 1
        assert len(proxy.log) == 1
        assert len(services.chat) == (1 if action == "lose" else 0)
    finally:
        proxy.stop()
    assert "notify failed: chat: POST http://127.0.0.1:" in capsys.readouterr().err


def test_client_errors_are_not_retried(services, capsys):
    assert send(services, failure(), webhook_url=None, github_token="wrong") == 1
    assert [(r.method, r.path) for r in services.received] == [("GET", ISSUES)]
    assert f"notify failed: github: GET {services.url}{ISSUES}: HTTP 401 Bad credentials" in capsys.readouterr().err


def test_no_endpoint_is_a_failure(capsys):
    assert notify(failure(), webhook_url=None, github_api=None, github_repository=None,
                  github_token=None) == 1
    assert "nobody would hear of this failure" in capsys.readouterr().err


def cli_args(services, scratch_repo):
    return ["notify", "--project", "pipeline", "--mode", "full", "--version", "v1.2.3",
            "--run", "release-pipeline-full-xyz12", "--status", "Failed",
            "--github-api", services.url, "--root", str(scratch_repo)]


def test_cli_reads_endpoints_from_env_and_config(services, scratch_repo, monkeypatch):
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{services.url}/hook")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    result = CliRunner().invoke(release, cli_args(services, scratch_repo))
    assert result.exit_code == 0, result.output
    assert "github: opened issue #1" in result.output
    (issue,) = services.issues[REPO]
    assert issue["title"] == "[release-failure] pipeline full"   # repo from notify.github_repository
    assert ("https://storage.googleapis.com/tekton-releases/pipeline/previous/v1.2.3/logs.txt"
            in issue["body"])
    result = CliRunner().invoke(release, cli_args(services, scratch_repo))
    assert result.exit_code == 0 and "github: commented on issue #1" in result.output


def test_cli_exits_1_naming_the_post_that_failed(services, scratch_repo, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    services.fail("POST", ISSUES, 500, times=5)
    result = CliRunner().invoke(release, cli_args(services, scratch_repo),
                                obj={"github_retry": Retry(attempts=3, backoff=0.01)})
    assert result.exit_code == 1
    assert result.stderr == f"notify failed: github: POST {services.url}{ISSUES}: HTTP 500 Server Error\n"
    assert len(services.calls("POST", ISSUES)) == 1 and REPO not in services.issues
