"""`release notes` for a release of 500 pull requests, GitHub answered by the local test server,
50 of them cherry-picked into the previous release (so the patch-id comparison runs), against
the floor of `release --version`, measured alternately in one run. Target: under 2 s, and no
request per pull request (the paged list answers: 500 PRs are 5 pages, plus one page of
older PRs that ends the listing).

    python bench/bench_release_notes.py [--runs 7] [--prs 500] [--picks 50]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import ROOT, alternate, bench_env, report

sys.path.insert(0, str(ROOT / "tests"))
from github_server import TOKEN, GitHubServer  # noqa: E402

REPO = "tektoncd/pipeline"
TARGET = 2.0


def _commit(ref: str, mark: int, parent: int | None, when: int, msg: str, file: str) -> list[str]:
    data = f"{file}\n"
    return ["commit " + ref, f"mark :{mark}", f"committer t <t@example.com> {when} +0000", f"data {len(msg)}", msg,
            *([f"from :{parent}"] if parent else []), f"M 644 inline {file}", f"data {len(data)}", data.rstrip("\n"), ""]


def make_repo(path: Path, prs: int, picks: int) -> list[str]:
    """v1.0.0, then `prs` squash-merged pull requests on main, each adding a file; the first `picks`
    of them cherry-picked to release-v1.0.x and tagged v1.0.1 (git fast-import)."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    lines = _commit("refs/heads/main", 1, None, 1_700_000_000, "init", "init.txt")
    for i in range(1, prs + 1):
        lines += _commit("refs/heads/main", i + 1, i, 1_700_000_000 + i, f"Change {i} (#{i})", f"c{i}.txt")
    parent = 1
    for i in range(1, picks + 1):
        mark = prs + 1 + i
        lines += _commit("refs/heads/release-v1.0.x", mark, parent, 1_700_100_000 + i, f"[release] Change {i}",
                         f"c{i}.txt")
        parent = mark
    lines += ["tag v1.0.0", "from :1", "tagger t <t@example.com> 1700000000 +0000", "data 6", "v1.0.0"]
    if picks:
        lines += ["tag v1.0.1", f"from :{parent}", "tagger t <t@example.com> 1700200000 +0000", "data 6", "v1.0.1"]
    stream = "\n".join(lines) + "\n"
    subprocess.run(["git", f"--git-dir={path}", "fast-import", "--quiet"], input=stream.encode(), check=True)
    out = subprocess.run(["git", f"--git-dir={path}", "rev-list", "--reverse", "main"], capture_output=True,
                         text=True, check=True).stdout.split()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--prs", type=int, default=500)
    parser.add_argument("--picks", type=int, default=50, help="PRs cherry-picked into v1.0.1 (left out)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-notes-"))
    commits = make_repo(work / "repo.git", args.prs, args.picks)
    server = GitHubServer().start()
    labels = ["kind/feature", "kind/bug", "kind/documentation", "kind/cleanup", None]
    for i, sha in enumerate(commits[1:], start=1):
        label = labels[i % len(labels)]
        server.add_merged_pull(REPO, f"Change {i}", sha, author=f"user{i % 37}", labels=[label] if label else [],
                               body=f"```release-note\nChange {i} for users.\n```", merged_at="2026-11-20T10:00:00Z",
                               updated_at=f"2026-11-{20 + i % 5:02d}T10:00:00Z")
    for i in range(300):   # older pull requests the listing never needs to read through
        server.add_merged_pull(REPO, f"Old {i}", "0" * 40, merged_at="2020-01-01T00:00:00Z")
    release = str(Path(sys.executable).parent / "release")
    notes = [release, "notes", "pipeline", "--version", "v1.1.0", "--revision", commits[-1],
             "--git-dir", str(work / "repo.git"), "--github-api", server.url, "--bucket", f"file://{work}",
             "--out", str(work / "out"), "--root", str(ROOT)]
    env = bench_env(GITHUB_TOKEN=TOKEN)
    subprocess.run(notes, env=env, check=True, capture_output=True)
    pulls = len([r for r in server.received if r.method == "GET"])
    listed = len((work / "out" / "notes.md").read_text().split("\n- Change ")) - 1
    cmds = {"release notes (500 PRs)": notes, "release --version": [release, "--version"]}
    times, _ = alternate(cmds, args.runs, env)
    med = report(times)
    server.stop()
    print(f"pull requests in the notes  {listed} of {args.prs} ({args.picks} cherry-picked into v1.0.1, left out)")
    print(f"GitHub requests per run     {pulls} (GET /pulls pages; no per-PR request)")
    print(f"ratio notes/startup         {med['release notes (500 PRs)'] / med['release --version']:.2f}x")
    print(f"notes median                {med['release notes (500 PRs)']:.2f} s (target < {TARGET:g} s)")
    return 0 if med["release notes (500 PRs)"] < TARGET and listed == args.prs - args.picks else 1


if __name__ == "__main__":
    sys.exit(main())
