"""A small world for the dashboard: a plumbing repository whose buckets are file:// folders
under one served folder, filled by `release publish` and `release record`, and the site built
from it by `plumbing dashboard`."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from plumbing.cli.main import plumbing as plumbing_cli
from plumbing.cli.main import release as release_cli

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ("chains", "pipeline", "triggers")
NOW = "2026-11-24T06:00:00Z"

FULL_SHA = "9876543210" + "e" * 30
SHA = {  # commit per nightly day: nightly tags carry the first 10 hex
    "pipeline": ["1111111111" + "a" * 30, "2222222222" + "b" * 30, "3333333333" + "c" * 30],
    "triggers": ["4444444444" + "d" * 30],
}


def make_repo(dest: Path, www: Path | str) -> Path:
    """plumbing.yaml with its buckets under `www` (a folder, or a gs://bucket URL), and three
    real project files."""
    base = str(www) if str(www).startswith("gs://") else f"file://{www}"
    text = (ROOT / "plumbing.yaml").read_text()
    text = (text.replace("gs://tekton-releases-nightly", f"{base}/nightly")
                .replace("gs://tekton-releases\n", f"{base}/release\n")
                .replace("gs://tekton-release-logs", f"{base}/logs"))
    assert text.count(base) == 3, "plumbing.yaml's buckets changed; update the test"
    (dest / "plumbing.yaml").write_text(text)
    (dest / "releases").mkdir()
    for name in PROJECTS:
        shutil.copy(ROOT / "releases" / f"{name}.yaml", dest / "releases" / f"{name}.yaml")
    for folder in ("tasks", "pipelines"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, dest / folder)
    return dest


@pytest.fixture(scope="session", name="make_repo")
def make_repo_fixture():
    return make_repo


def invoke(group, *args):
    result = CliRunner().invoke(group, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, f"{group.name} {' '.join(map(str, args))}: {result.output}"
    return result


def release_files(tmp: Path, project: str, version: str, with_release: bool = True) -> Path:
    """What a release run leaves in its output folder, as `release publish --from` reads it."""
    out = tmp / f"{project}-{version}"
    out.mkdir(parents=True)
    if with_release:
        body = (f"# {project} {version}\napiVersion: v1\nkind: Namespace\n"
                f"metadata:\n  name: tekton-{project}\n  labels:\n    app.kubernetes.io/version: {version}\n")
        (out / "release.yaml").write_text(body)
        (out / "release.notags.yaml").write_text(body)
    (out / "logs.txt").write_text(f"logs of {project} {version}\nstep build: ok\n")
    return out


def publish(root: Path, tmp: Path, project: str, version: str, bucket: str, with_release=True):
    src = release_files(tmp, project, version, with_release)
    if with_release:
        invoke(release_cli, "publish", project, version, "--from", src, "--bucket", bucket,
               "--latest", "auto", "--root", root)
    else:  # a run that failed before publishing leaves only its logs
        from plumbing.storage import open_bucket

        open_bucket(bucket).write(f"{project}/previous/{version}/logs.txt",
                                  (src / "logs.txt").read_bytes(), content_type="text/plain")


def record(root: Path, project: str, version: str, status: str, day: str, commit: str | None = None,
           bucket: str | None = None):
    args = ["record", "--project", project, "--version", version, "--status", status,
            "--run", f"{project}-run-{day.replace('-', '')}", "--started", f"{day}T03:00:00Z",
            "--finished", f"{day}T03:42:00Z", "--root", root]
    if commit:
        args += ["--commit", commit]
    if bucket:
        args += ["--bucket", bucket]
    invoke(release_cli, *args)


def tested(bucket_url: str, project: str, version: str, result: str, day: str, failed: str | None = None):
    """A post-release test verdict (and its logs) beside a release, as `release test-record` writes."""
    from plumbing import layout
    from plumbing.storage import open_bucket
    from plumbing.verdict import make_verdict, write_verdict

    bucket = open_bucket(bucket_url)
    steps = [{"name": "install", "result": "passed", "seconds": 40.0}]
    steps += [{"name": failed, "result": "failed", "seconds": 9.0}] if failed else []
    write_verdict(bucket, make_verdict(project=project, version=version, verdict=result, run=f"test-{project}-x",
                                       started=f"{day}T05:00:00Z", steps=steps))
    bucket.write(layout.release_file(project, version, layout.TEST_LOGS), f"test logs of {project} {version}\n".encode(),
                 content_type="text/plain; charset=utf-8")


@dataclass
class World:
    root: Path
    www: Path
    site: Path       # --out folder (inside www, so relative links to the buckets work)
    uploaded: Path   # <logs bucket>/dashboard/
    output: str = ""  # what `plumbing dashboard` printed

    def bucket(self, kind: str) -> str:
        return f"file://{self.www}/{kind}"


def build_world(base: Path) -> World:
    www = base / "www"
    www.mkdir()
    (base / "repo").mkdir()
    root = make_repo(base / "repo", www)
    tmp = base / "runs"
    w = World(root=root, www=www, site=www / "site", uploaded=www / "logs" / "dashboard")
    nightly, full = w.bucket("nightly"), w.bucket("release")
    # pipeline: three nightlies, the middle one failed, the newest 2 days 3 hours old: stale.
    for day, sha, status in zip(("2026-11-19", "2026-11-20", "2026-11-22"), SHA["pipeline"],
                                ("Succeeded", "Failed", "Succeeded"), strict=True):
        version = f"v{day.replace('-', '')}-{sha[:10]}"
        publish(root, tmp, "pipeline", version, nightly, with_release=status == "Succeeded")
        record(root, "pipeline", version, status, day, sha)
    # pipeline nightlies' post-release tests: the oldest passed, the newest failed at smoke.
    tested(nightly, "pipeline", f"v20261119-{SHA['pipeline'][0][:10]}", "passed", "2026-11-19")
    tested(nightly, "pipeline", f"v20261122-{SHA['pipeline'][2][:10]}", "failed", "2026-11-22", failed="smoke")
    # pipeline full releases, a backport among them; v1.2.0 has no outcome record.
    for version, day in (("v1.0.0", "2026-09-01"), ("v1.10.0", "2026-11-02"),
                         ("v1.2.0", "2026-10-01"), ("v1.2.1", "2026-11-10")):
        publish(root, tmp, "pipeline", version, full)
        if version != "v1.2.0":
            record(root, "pipeline", version, "Succeeded", day, commit=FULL_SHA)
    # triggers: a fresh nightly, and a full release whose run failed after publishing.
    version = f"v20261124-{SHA['triggers'][0][:10]}"
    publish(root, tmp, "triggers", version, nightly)
    record(root, "triggers", version, "Succeeded", "2026-11-24", SHA["triggers"][0])
    publish(root, tmp, "triggers", "v0.30.0", full)
    record(root, "triggers", "v0.30.0", "Failed", "2026-11-23")
    # chains: nothing yet.
    w.output = invoke(plumbing_cli, "dashboard", "--root", root, "--out", w.site, "--upload",
                      "--now", NOW).output
    return w


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    return build_world(tmp_path_factory.mktemp("dashboard-world"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served(world):
    """http://127.0.0.1:<port>/ serving the folder that holds the buckets and the site."""
    handler = functools.partial(_QuietHandler, directory=str(world.www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
