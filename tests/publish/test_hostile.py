"""Issue 17: input an attacker or an unlucky operator gives `release publish`, `precheck` and
`status`. Each is refused with one line and exit 2 before anything is written, over a real GCS
API (fake-gcs-server) and a local folder."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from plumbing.cli.main import release
from plumbing.storage import StorageError, open_bucket

NIGHTLY = "v20261201-0123456789"


def run(*args):
    return CliRunner().invoke(release, [str(a) for a in args])


@pytest.fixture(params=["gs", "file"])
def bucket_url(request, tmp_path):
    if request.param == "gs":
        return request.getfixturevalue("gcs_bucket_url")
    return (tmp_path / "bucket").as_uri()


def snapshot(url: str) -> dict:
    return {b.name: b.md5 for b in open_bucket(url).list("")}


def refused(result, *words):
    """One line on stderr, exit 2, no traceback, every word in it."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def published(root, release_dir, url, version="v1.2.0"):
    assert run("publish", "pipeline", version, "--from", release_dir(version), "--bucket", url,
               "--root", root).exit_code == 0
    return snapshot(url)


# --- 1. symlinks ------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["passwd.txt", "sub/passwd.txt", "creds"])
def test_a_symlink_anywhere_in_the_folder_is_refused(root, release_dir, bucket_url, tmp_path, where):
    before = published(root, release_dir, bucket_url)
    secret = tmp_path / "secrets"
    secret.mkdir()
    (secret / "token").write_text("s3cr3t\n")
    d = release_dir("v1.3.0")
    link = d / where
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(secret / "token" if where.endswith(".txt") else secret, link)
    line = refused(run("publish", "pipeline", "v1.3.0", "--from", d, "--bucket", bucket_url, "--root", root),
                   "symlink", where)
    assert "s3cr3t" not in line
    assert snapshot(bucket_url) == before  # nothing written, latest/ where it was


def test_a_fifo_is_refused_not_read(root, release_dir, tmp_path):
    d = release_dir("v1.3.0")
    os.mkfifo(d / "pipe.yaml")
    refused(run("publish", "pipeline", "v1.3.0", "--from", d, "--root", root), "pipe.yaml", "not a regular file")


# --- 2. empty or unparsable release files -----------------------------------------------------

@pytest.mark.parametrize("name, content, words", [
    ("release.yaml", "", ["release.yaml", "no Kubernetes object"]),
    ("release.notags.yaml", "", ["release.notags.yaml", "no Kubernetes object"]),
    ("release.yaml", "kind: [unclosed\n", ["release.yaml", "does not parse as YAML"]),
    ("release.yaml", "just a string\n", ["no Kubernetes object"]),
    ("release.notags.yaml", "- apiVersion: v1\n  kind: List\n", ["no Kubernetes object"]),
    ("release.yaml", "# comments only\n---\n", ["no Kubernetes object"]),
])
def test_empty_or_unparsable_release_files_are_refused(root, release_dir, bucket_url, name, content, words):
    before = published(root, release_dir, bucket_url)
    d = release_dir("v1.3.0")
    (d / name).write_text(content)
    refused(run("publish", "pipeline", "v1.3.0", "--from", d, "--bucket", bucket_url, "--root", root), *words)
    assert snapshot(bucket_url) == before  # latest/ did not move to an empty release


# --- 3. versions ------------------------------------------------------------------------------

HOSTILE_VERSIONS = ["v\u0662\u0660\u0662\u0666\u0661\u0662\u0660\u0661-0123456789", "v1.2\u0661.3", "v1.2.3\n",
                    NIGHTLY + "\n"]


@pytest.mark.parametrize("version", HOSTILE_VERSIONS)
def test_hostile_versions_are_refused_by_publish(root, release_dir, bucket_url, version):
    before = published(root, release_dir, bucket_url)
    d = release_dir("v1.3.0", labels=version)  # labels that match the hostile version
    refused(run("publish", "pipeline", version, "--from", d, "--bucket", bucket_url, "--root", root), "version")
    assert snapshot(bucket_url) == before


@pytest.mark.parametrize("version", HOSTILE_VERSIONS)
def test_hostile_versions_are_refused_by_precheck(root, tmp_path, version):
    refused(run("precheck", "pipeline", version, "--skip-github", "--repository", tmp_path.as_uri(),
                "--root", root), "version")


# --- 4. bucket URLs ---------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["/../other", "//x", "/./x", "/x/..", "/x?y", "/a\nb"])
def test_bucket_urls_with_dot_or_empty_segments_are_refused(root, release_dir, gcs_bucket_url, tmp_path, suffix):
    d = release_dir("v1.2.0")
    for url in (gcs_bucket_url + suffix, (tmp_path / "b").as_uri() + suffix):
        refused(run("publish", "pipeline", "v1.2.0", "--from", d, "--bucket", url, "--root", root), "bucket URL"
                if "\n" not in suffix else "control character")
    assert snapshot(gcs_bucket_url) == {}
    assert not (tmp_path / "b").exists() and not (tmp_path / "other").exists()


@pytest.mark.parametrize("url", ["gs://a/../b", "gs://UPPER", "gs://a_b/x//y", "file:///tmp/../etc"])
def test_open_bucket_refuses_unsafe_urls(url):
    with pytest.raises(StorageError):
        open_bucket(url)


# --- 5. file names ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", [b"new\nline.yaml", b"esc\x1b.yaml", b"not-utf8-\xff.yaml", b"sub\x7f/a.yaml"])
def test_unsafe_file_names_are_refused_before_any_upload(root, release_dir, bucket_url, name):
    before = published(root, release_dir, bucket_url)
    d = release_dir("v1.3.0")
    path = os.path.join(os.fsencode(d), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"kind: List\n")
    refused(run("publish", "pipeline", "v1.3.0", "--from", d, "--bucket", bucket_url, "--root", root),
            "file names must be UTF-8")
    assert snapshot(bucket_url) == before  # no orphan objects
    # and a re-run without the file finishes normally
    os.unlink(path)
    if os.path.dirname(path) != os.fsencode(d):
        os.rmdir(os.path.dirname(path))
    assert run("publish", "pipeline", "v1.3.0", "--from", d, "--bucket", bucket_url, "--root", root).exit_code == 0


# --- 7. --now before a release ----------------------------------------------------------------

def test_status_now_before_every_release_is_not_fresh(root, release_dir):
    run("publish", "pipeline", NIGHTLY, "--from", release_dir(NIGHTLY), "--root", root)
    earlier = datetime.now(UTC) - timedelta(days=3)
    r = run("status", "pipeline", "--root", root, "--now", earlier.isoformat())
    assert "future" not in r.output and r.exit_code == 1, r.output
    assert "STALE pipeline:" in r.output and "no nightly published" in r.output


# --- 8 (the status side). a latest/ that mirrors no release -----------------------------------

def test_status_flags_a_latest_folder_that_is_a_mix(root, release_dir, tmp_path):
    for version, extra in (("v1.3.0", {"a.yaml": "a: 1\n"}), ("v1.4.0", {"b.yaml": "b: 1\n"})):
        assert run("publish", "pipeline", version, "--from", release_dir(version, extra=extra),
                   "--root", root).exit_code == 0
    ok = run("status", "pipeline", "--root", root, "--output", "json")
    assert '"latest_wrong": []' in ok.output
    bucket = open_bucket((tmp_path / "b-release").as_uri())
    bucket.copy("pipeline/previous/v1.3.0/a.yaml", "pipeline/latest/a.yaml")  # what the race left
    mixed = run("status", "pipeline", "--root", root)
    assert mixed.exit_code == 1
    assert "LATEST pipeline:" in mixed.stdout and "is not an exact copy of v1.4.0" in mixed.stdout
    bucket.delete("pipeline/latest/a.yaml")
    bucket.write("pipeline/latest/b.yaml", b"b: 2\n", if_absent=False)  # same names, other bytes
    assert run("status", "pipeline", "--root", root).exit_code == 1
