"""`release notes`, `release draft`, `release wait-signatures`: how a full release ends on GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import click

from plumbing.cli.common import exits, output_option, root_option
from plumbing.findings import EXIT_FAILED, EXIT_OK

NO_ENTRY = "none"   # the transparency result when Chains recorded no Rekor entry
CHAINS_KEY = "k8s://tekton-chains/signing-secrets"   # Tekton Chains' own signing secret

github_option = click.option("--github-api", default="https://api.github.com", show_default=True, envvar="GITHUB_API_URL",
                             help="The GitHub REST API (GitHub Enterprise: https://HOST/api/v3); $GITHUB_API_URL.")
bucket_option = click.option("--bucket", "bucket_url", default=None,
                             help="Override plumbing.yaml's release bucket (gs://... or file://...).")


def _repo(root):
    from plumbing.config import load_repo

    return load_repo(root)


def _checked(version: str, revision: str | None = None) -> None:
    """A malformed version or revision is a usage error (one line, exit 2), found before any clone."""
    from plumbing.cli.common import usage_error
    from plumbing.versions import VersionError, check_revision, parse_full

    try:
        parse_full(version)
        if revision is not None:
            check_revision(revision)
    except VersionError as exc:
        raise usage_error(str(exc)) from None


def notes_path(root, out: str | None, project: str, version: str) -> Path:
    base = Path(out) if out else Path(root or ".") / "dist" / project / version
    return base / "notes.md"


@click.command("notes")
@click.argument("project")
@click.option("--version", "version", required=True, help="The release, vX.Y.Z.")
@click.option("--revision", required=True, help="The exact commit released (40 hex).")
@click.option("--previous", default=None, help="Compare with this tag (default: the previous release of the line).")
@click.option("--git-dir", default=None, type=click.Path(exists=True, file_okay=False),
              help="A clone with every branch and tag (default: a fresh bare clone of the project's repository).")
@click.option("--repository", default=None, help="Clone this URL instead of the project's repository (file:// works).")
@click.option("--cosign-key", default=None,
              help="The key users verify signatures with (a path, URL or KMS URI); default: plumbing.yaml's "
                   f"signing.public_key, else {CHAINS_KEY}.")
@click.option("--transparency", default=None,
              help="The Rekor entry of the signatures (wait-signatures' result; \"none\" for none).")
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Folder for notes.md (default: dist/PROJECT/VERSION).")
@bucket_option
@github_option
@root_option
@output_option
@exits
def notes(project, version, revision, previous, git_dir, repository, cosign_key, transparency, out, bucket_url,
          github_api, root, output):
    """Write the release notes of PROJECT at --version/--revision to notes.md (--output json: also on stdout).

    The pull requests merged since the merge-base of the previous release's tag (never its last
    commit), less those the previous release already had (cherry-picks), by kind/* label, with
    each PR's release-note text, the install line, files with sha256, image digests and the
    cosign commands that verify them. Warns when a patch release's revision is not on its
    release branch.
    """
    import tempfile

    from plumbing.cli.common import github_client
    from plumbing.release import history
    from plumbing.release.notes import make_notes, markdown
    from plumbing.storage import open_bucket

    _checked(version, revision)
    if previous:
        _checked(previous)
    repo = _repo(root)
    proj = repo.project(project)
    url = bucket_url or repo.org.buckets.release
    with tempfile.TemporaryDirectory(prefix="plumbing-notes-") as work, github_client(github_api) as client:
        git = history.open_history(repository or proj.repository, git_dir, Path(work))
        result = make_notes(proj, version, revision, git_dir=git, client=client, previous=previous,
                            bucket=open_bucket(url) if url else None, bucket_url=url,
                            public_base=repo.org.public_url,
                            cosign_key=cosign_key or repo.org.signing_key or CHAINS_KEY,
                            transparency=None if transparency == NO_ENTRY else transparency)
    path = notes_path(root, out, project, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(result), encoding="utf-8")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output == "json":
        click.echo(json.dumps({**result.as_dict(), "path": str(path)}, indent=2))
    else:
        count = sum(len(v) for v in result.sections.values())
        click.echo(f"{path}: {count} pull request(s) since {result.previous or 'the beginning'}"
                   f", {len(result.left_out)} already in {result.previous} left out")
    return EXIT_OK


@click.command("draft")
@click.argument("project")
@click.argument("version")
@click.option("--notes", "notes_file", default=None, type=click.Path(dir_okay=False),
              help="The notes (default: dist/PROJECT/VERSION/notes.md, as `release notes` writes it).")
@click.option("--revision", default=None, help="The commit the tag is created at when the draft is published.")
@bucket_option
@github_option
@root_option
@output_option
@exits
def draft(project, version, notes_file, revision, bucket_url, github_api, root, output):
    """Create or update the one draft GitHub release of VERSION, with the notes as its text.

    Refuses (exit 1) a version whose release.yaml is not in the bucket and a release already
    published. Marks it GitHub's "latest" only when VERSION is the highest release. Running it
    again updates the same draft; it never makes a second.
    """
    from plumbing.cli.common import github_client
    from plumbing.findings import PlumbingError
    from plumbing.release.draft import draft_release
    from plumbing.storage import open_bucket

    _checked(version, revision)
    repo = _repo(root)
    proj = repo.project(project)
    path = Path(notes_file) if notes_file else notes_path(root, None, project, version)
    if not path.is_file():
        raise PlumbingError(f"{path}: no release notes (run `release notes {project} --version {version} ...` first)")
    url = bucket_url or repo.org.buckets.release
    if not url:
        raise PlumbingError("plumbing.yaml has no release bucket: pass --bucket")
    with github_client(github_api) as client:
        result = draft_release(client, open_bucket(url), proj, version, path.read_text(encoding="utf-8"), revision)
    click.echo(json.dumps(result.as_dict(), indent=2) if output == "json" else result.line(version))
    return EXIT_OK


@click.command("wait-signatures")
@click.argument("pipelinerun")
@click.option("--task", default="publish-images", show_default=True, help="The pipeline task whose TaskRun Chains signs.")
@click.option("-n", "--namespace", default=None, help="The run's namespace (default: the pod's, else the kube context's).")
@click.option("--timeout", type=float, default=1800, show_default=True, help="Seconds to wait at most.")
@click.option("--interval", type=float, default=10, show_default=True, help="Seconds between reads.")
@click.option("--result", "result_file", default=None, type=click.Path(dir_okay=False),
              help="Write the transparency-log entry here (\"none\" when there is none): a Tekton result path.")
@root_option
@output_option
@exits
def wait_signatures(pipelinerun, task, namespace, timeout, interval, result_file, root, output):
    """Wait until Tekton Chains has signed PIPELINERUN's publish TaskRun.

    Exit 0 when signed (prints the Rekor entry when there is one), 1 when Chains says failed or
    the timeout passes. Only reads the cluster: nothing published is touched.
    """
    from plumbing.cli.cluster_cmds import _repo as maybe_repo
    from plumbing.cluster.kube import connect
    from plumbing.cluster.signatures import wait_for_signature
    from plumbing.findings import PlumbingError

    repo = maybe_repo(root)
    target = connect(repo, check_cluster=repo is not None)
    ns = namespace or target.namespace
    if not ns:
        raise PlumbingError("no namespace to look in: pass -n NAMESPACE")
    sig = wait_for_signature(target, ns, pipelinerun, task, timeout=timeout, interval=interval)
    if result_file:
        # never empty: a consumer of an empty Tekton result could fail on a missing value
        Path(result_file).write_text(sig.transparency or NO_ENTRY, encoding="utf-8")
    click.echo(json.dumps(sig.as_dict(), indent=2) if output == "json" else sig.line(), err=not sig.ok and output != "json")
    return EXIT_OK if sig.ok else EXIT_FAILED
