"""`plumbing pr check-labels`: one kind/* label and a release note, as a commit status set through
the one GitHub client on the local GitHub server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from github_server import TOKEN

from plumbing.cli.main import plumbing
from plumbing.prlabels import CONTEXT, problems

REPO = "tektoncd/pipeline"
SHA = "c" * 40
NOTE = "Why.\n\n```release-note\nPipelines can do X.\n```\n"


def pull(labels=(), body=""):
    return {"labels": [{"name": n} for n in labels], "body": body}


@pytest.mark.parametrize(("labels", "body", "ok"), [
    (["kind/feature"], NOTE, True),
    (["kind/bug", "release-note-none"], "", True),
    (["kind/bug"], "```release-note\nNONE\n```", True),
    ([], NOTE, False),                                   # no kind
    (["kind/bug", "kind/feature"], NOTE, False),         # two kinds
    (["kind/bug"], "no block", False),                   # no note
    (["kind/bug"], "```release-note\n\n```", False),     # an empty block says nothing
])
def test_rules(labels, body, ok):
    assert (problems(pull(labels, body)) == []) is ok


def add(server, labels, body):
    pr = server.add_pull(REPO, "A change", "topic", body=body)
    pr["labels"] = [{"name": n} for n in labels]
    pr["head"]["sha"] = SHA
    return pr["number"]


def invoke(server, number, *extra):
    return CliRunner().invoke(plumbing, ["pr", "check-labels", REPO, str(number), "--github-api", server.url, *extra])


def test_success_status(github_server, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    number = add(github_server, ["kind/feature"], NOTE)
    result = invoke(github_server, number, "--output", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "success"
    (status,) = github_server.statuses[REPO]
    assert (status["sha"], status["state"], status["context"]) == (SHA, "success", CONTEXT)


def test_failure_status_says_what_is_missing(github_server, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    number = add(github_server, [], "nothing")
    result = invoke(github_server, number)
    assert result.exit_code == 1
    (status,) = github_server.statuses[REPO]
    assert status["state"] == "failure" and "kind/* label" in status["description"]
    assert len(status["description"]) <= 140 and "release-note" in status["description"]


def test_no_status_and_missing_pr(github_server, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    number = add(github_server, ["kind/bug"], NOTE)
    assert invoke(github_server, number, "--no-status").exit_code == 0
    assert REPO not in github_server.statuses
    missing = invoke(github_server, 999)
    assert missing.exit_code == 2 and "404" in missing.stderr and "Traceback" not in missing.output
