"""A real git history for release-notes tests: merges, a release branch, a cherry-pick of the same
change to it, and tags at the boundaries. Pull-request data goes to the local GitHub server.

    main:  init - PR1 (tag v1.0.0) - PR2 - PR3 (merge commit of 2 topic commits) - PR4 - PR6 - PR7 - direct
    release-v1.0.x (from v1.0.0):  PR5 = cherry-pick of PR4 (tag v1.0.1)
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = "tektoncd/pipeline"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"}


def note(text: str) -> str:
    return f"Some description.\n\n```release-note\n{text}\n```\n"


@dataclass
class History:
    path: Path
    commits: dict[str, str] = field(default_factory=dict)   # name -> sha

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True,
                              env=ENV).stdout.strip()

    def commit(self, name: str, file: str | None = None, text: str | None = None, message: str | None = None) -> str:
        file = file or f"{name}.txt"
        (self.path / file).write_text(text if text is not None else f"{name}\n")
        self.git("add", file)
        self.git("commit", "-q", "-m", message or name)
        self.commits[name] = self.git("rev-parse", "HEAD")
        return self.commits[name]

    @property
    def url(self) -> str:
        return f"file://{self.path}"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_history(tmp: Path, server) -> History:
    path = tmp / "upstream"
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=ENV)
    h = History(path)
    h.commit("init")
    when = now_iso()

    def pr(name: str, labels=(), body: str = "", author: str = "alice", sha: str | None = None):
        server.add_merged_pull(REPO, f"PR {name}", sha or h.commits[name], labels=labels, body=body, author=author,
                               merged_at=when)

    h.commit("pr1")
    pr("pr1", ["kind/feature"], note("The first feature."))
    h.git("tag", "v1.0.0")
    h.git("branch", "release-v1.0.x")

    h.commit("pr2", message="Add the second feature (#2)")
    pr("pr2", ["kind/feature"], note("Pipelines can do X."), author="bob")

    h.git("checkout", "-q", "-b", "topic3")
    h.commit("topic3a")
    h.commit("topic3b")
    h.git("checkout", "-q", "main")
    h.git("merge", "-q", "--no-ff", "-m", "Merge pull request #3 from bob/topic3", "topic3")
    h.commits["pr3"] = h.git("rev-parse", "HEAD")
    pr("pr3", ["kind/bug"], note("Fixed Y."), author="carol")

    h.commit("pr4", message="Fix Z (#4)")
    pr("pr4", ["kind/bug"], note("Fixed Z."), author="dave")

    # PR5: the cherry-pick of PR4 onto the release branch, tagged v1.0.1
    h.git("checkout", "-q", "release-v1.0.x")
    h.git("cherry-pick", "-x", h.commits["pr4"])
    h.commits["pr5"] = h.git("rev-parse", "HEAD")
    server.add_merged_pull(REPO, "[release-v1.0.x] Fix Z", h.commits["pr5"], labels=["kind/bug"],
                           body=note("Fixed Z."), author="tekton-robot[bot]", merged_at=when, base="release-v1.0.x")
    h.git("tag", "v1.0.1")
    h.git("checkout", "-q", "main")

    h.commit("pr6", message="Something without a label (#6)")
    pr("pr6", [], note("Unlabelled change."), author="erin")
    h.commit("pr7", message="Docs (#7)")
    pr("pr7", ["kind/documentation"], note("NONE"), author="alice")
    h.commit("direct", message="A commit pushed without a pull request")
    return h
