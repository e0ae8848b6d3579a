"""The functions behind `plumbing deploy run|status|drift` and `plumbing verify`: they build the
real parts (Pulumi CLI, cluster, logs bucket, notify) and hand them to the decision code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from plumbing.findings import EXIT_FAILED, EXIT_OK, CheckFailed, ConfigError, PlumbingError


def check_stack(root: Path, stack: str) -> None:
    if not (Path(root) / f"Pulumi.{stack}.yaml").is_file():
        known = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in Path(root).glob("Pulumi.*.yaml"))
        raise ConfigError(f"unknown stack {stack!r}; stacks: {', '.join(known) or 'none'} (Pulumi.<stack>.yaml)")


def check_image(image: str) -> str:
    if "@sha256:" not in image:
        raise ConfigError(f"--image {image!r}: the plumbing image must be pinned by digest (REPO@sha256:...)")
    return image


def logs_bucket(repo):
    from plumbing.storage import open_bucket

    return open_bucket(repo.org.buckets.logs)


def deployed_image(repo, stack: str) -> str:
    from plumbing.deploy import records as rec

    marker = rec.read_marker(logs_bucket(repo), stack)
    if marker is None:
        raise ConfigError(f"stack {stack}: no verified deploy recorded yet; pass --image REPO@sha256:...")
    return marker.image


# -- plumbing verify --------------------------------------------------------------------------

def verify(root: Path, stack: str, image: str | None, smoke: bool, smoke_timeout: float, output: str) -> int:
    from plumbing.cluster import kube
    from plumbing.cluster import verify as v
    from plumbing.config import load_repo

    check_stack(root, stack)
    repo = load_repo(root)
    image = check_image(image) if image else deployed_image(repo, stack)
    gates = v.verify(kube.connect(repo), v.expected(repo, image), smoke=smoke, smoke_timeout=smoke_timeout)
    if output == "json":
        click.echo(json.dumps(v.to_json(stack, gates), indent=2))
    else:
        for g in gates:
            click.echo(f"{'ok  ' if g.ok else 'FAIL'} {g.name}" + (f"  {g.detail}" if g.detail else ""))
    bad = v.failed(gates)
    if bad:
        raise CheckFailed(f"{len(bad)} gate{'s' if len(bad) > 1 else ''} failed: {'; '.join(bad)}")
    return EXIT_OK


# -- plumbing deploy run ----------------------------------------------------------------------

def git_checkout(workdir: Path, dest_root: Path):
    """checkout(commit) for rollbacks: a detached worktree of the deploy's own clone."""

    def checkout(commit: str) -> Path:
        dest = Path(dest_root) / f"rollback-{commit[:12]}"
        git = ["git", "-C", str(workdir)]
        subprocess.run([*git, "fetch", "--quiet", "origin", commit], capture_output=True)  # shallow clones
        done = subprocess.run([*git, "worktree", "add", "--detach", str(dest), commit], capture_output=True, text=True)
        if done.returncode != 0:
            raise PlumbingError((done.stderr.strip().splitlines() or ["git worktree add failed"])[-1])
        return dest

    return checkout


def notifier(repo, stack: str, out=None):
    from plumbing.deploy.run import summary
    from plumbing.notify import DEFAULT_GITHUB_API, Failure
    from plumbing.notify import notify as send

    def notify(record) -> bool:
        failure = Failure("plumbing", f"deploy-{stack}", record.commit[:12], record.run, summary(record))
        return send(failure, webhook_url=os.environ.get("SLACK_WEBHOOK_URL") or None,
                    github_api=os.environ.get("GITHUB_API_URL") or DEFAULT_GITHUB_API,
                    github_repository=repo.org.notify.github_repository,
                    github_token=os.environ.get("GITHUB_TOKEN") or None, out=out) == EXIT_OK

    return notify


def cluster_verifier(repo, smoke: bool):
    from plumbing.cluster import kube
    from plumbing.cluster import verify as v

    def verify(stack: str, image: str) -> list[str]:
        try:
            return v.failed(v.verify(kube.connect(repo), v.expected(repo, image), smoke=smoke))
        except PlumbingError as exc:
            return [f"cluster ({exc})"]

    return verify


def run(root: Path, stack: str, commit: str, image: str, workdir: Path, run_name: str, smoke: bool,
        output: str, engine=None) -> int:
    from plumbing.config import load_repo
    from plumbing.deploy import run as deploy
    from plumbing.deploy.pulumi_cli import PulumiCLI

    check_stack(workdir, stack)
    repo = load_repo(root)
    req = deploy.Request(stack=stack, commit=commit, image=check_image(image), workdir=Path(workdir), run=run_name)
    with tempfile.TemporaryDirectory(prefix="plumbing-rollback-") as tmp:
        record = deploy.deploy(req, engine=engine or PulumiCLI(), verify=cluster_verifier(repo, smoke),
                               checkout=git_checkout(Path(workdir), Path(tmp)), bucket=logs_bucket(repo),
                               notify=notifier(repo, stack, out=sys.stderr))
    click.echo(record.to_json().decode() if output == "json" else deploy.summary(record))
    return EXIT_OK if record.good else EXIT_FAILED


# -- plumbing deploy status / drift -----------------------------------------------------------

def status(root: Path, stacks: list[str], output: str, now: datetime | None = None) -> int:
    from plumbing.config import load_repo
    from plumbing.deploy import records as rec

    repo = load_repo(root)
    bucket = logs_bucket(repo)
    now = now or datetime.now(UTC)
    rows = [rec.status(bucket, s, now) for s in stacks]
    if output == "json":
        click.echo(json.dumps({"stacks": rows}, indent=2))
        return EXIT_OK
    for row in rows:
        deployed = f"{row['deployed'][:12]} ({row['age']} ago)" if row["deployed"] else "nothing verified yet"
        click.echo(f"{row['stack']}: {deployed}")
        if row["failed"]:
            f = row["failed"]
            click.echo(f"  failed deploy: {f['commit'][:12]} {f['result']} at {f['started']}: {f.get('failure') or ''}")
    return EXIT_OK


def drift(root: Path, stack: str, workdir: Path, engine=None, notify=None) -> int:
    """Preview with refresh against the deployed image: any difference is drift (exit 1, notified)."""
    from plumbing.config import load_repo
    from plumbing.deploy.pulumi_cli import PulumiCLI
    from plumbing.notify import Failure

    check_stack(workdir, stack)
    repo = load_repo(root)
    image = deployed_image(repo, stack)
    preview = (engine or PulumiCLI()).preview(Path(workdir), stack, image=image, plan_file=None, refresh=True)
    if not preview.changed:
        click.echo(f"{stack}: no drift")
        return EXIT_OK
    message = f"{stack}: the cluster or cloud differs from the program: {preview.summary()}"
    click.echo(message)
    if notify is None:
        from plumbing.notify import DEFAULT_GITHUB_API
        from plumbing.notify import notify as send

        send(Failure("plumbing", f"drift-{stack}", "deployed", os.environ.get("HOSTNAME", "drift"), message),
             webhook_url=os.environ.get("SLACK_WEBHOOK_URL") or None,
             github_api=os.environ.get("GITHUB_API_URL") or DEFAULT_GITHUB_API,
             github_repository=repo.org.notify.github_repository, github_token=os.environ.get("GITHUB_TOKEN") or None,
             out=sys.stderr)
    else:
        notify(message)
    return EXIT_FAILED


# -- plumbing infra pr-diff -------------------------------------------------------------------

def pr_diff(base, root, stacks, number, repository, github_api, base_sha, head_sha, output) -> int:
    from plumbing.cli.common import github_client, usage_error
    from plumbing.config import find_root
    from plumbing.deploy import pr_diff as prd

    head = find_root(root)
    stacks = list(stacks) or sorted(p.name[len("Pulumi."):-len(".yaml")] for p in head.glob("Pulumi.*.yaml"))
    diffs = [prd.stack_diff(Path(base), head, s) for s in stacks]
    body = prd.markdown(diffs, base_sha, head_sha)
    if output == "json":
        click.echo(json.dumps({"stacks": [{"stack": d.stack, "note": d.note, **d.diff,
                                           "policies": [{"rule": r, "message": m} for r, m in d.policies]}
                                          for d in diffs]}, indent=2))
    else:
        click.echo(body)
    if number is not None:
        repository = repository or os.environ.get("GITHUB_REPOSITORY")
        if not repository:
            raise usage_error("--pr needs --repository owner/name (or $GITHUB_REPOSITORY)")
        with github_client(github_api or os.environ.get("GITHUB_API_URL")) as client:
            what, comment = prd.upsert_comment(client, repository, number, body)
        click.echo(f"comment {what}: {comment.get('html_url', '')}", err=True)
    return EXIT_FAILED if any(d.policies for d in diffs) else EXIT_OK


# -- plumbing deploy render -------------------------------------------------------------------

def last_deployed(repo, stack: str) -> str | None:
    """The commit of the stack's newest deploy record (whatever its result), else None."""
    from plumbing.deploy import records as rec

    recent = rec.records(logs_bucket(repo), stack, limit=1)
    return recent[0]["commit"] if recent else None


def render(root: Path, stack: str, revision: str, repository: str | None, out: str | None, output: str,
           apply_: bool = False, skip_deployed: bool = False, mode: str = "deploy") -> int:
    import yaml

    from plumbing.config import load_repo
    from plumbing.deploy.pipeline import TEMPLATE
    from plumbing.deploy.pipeline import render as render_deploy
    from plumbing.render import header

    check_stack(root, stack)
    repo = load_repo(root)
    if repository is None:
        if not repo.org.notify.github_repository:
            raise ConfigError("--repository is required when plumbing.yaml has no notify.github_repository")
        repository = f"https://github.com/{repo.org.notify.github_repository}"
    if revision == "deployed":
        from plumbing.deploy import records as rec

        marker = rec.read_marker(logs_bucket(repo), stack)
        if marker is None:
            raise ConfigError(f"stack {stack}: no verified deploy recorded yet")
        revision = marker.commit
    from plumbing.gitremote import resolve

    revision = resolve(repository, revision)
    if skip_deployed and last_deployed(repo, stack) == revision:
        click.echo(f"{stack}: {revision[:12]} is the last commit deployed; nothing to do")
        return EXIT_OK
    result = render_deploy(repo, stack, revision, repository, mode)
    if out:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        head = header([TEMPLATE, "plumbing.yaml"], repo.root) + "\n"
        for name in ("pipeline", "pipelinerun"):
            (folder / f"{name}.yaml").write_text(head + yaml.safe_dump(result[name], sort_keys=False), encoding="utf-8")
    if output == "json":
        click.echo(json.dumps(result["plan"], indent=2))
    else:
        click.echo(yaml.safe_dump(result["pipelinerun"], sort_keys=False) if not out else
                   f"wrote {out}/pipeline.yaml and {out}/pipelinerun.yaml")
    if apply_:
        from plumbing.cluster.apply import submit

        plan = result["plan"]
        return submit(repo, result["pipelinerun"], namespace=plan["namespace"],
                      service_account=plan["service_account"], follow=False, out=sys.stderr)
    return EXIT_OK


# -- plumbing infra stale ---------------------------------------------------------------------

def stale(root: Path, stack: str, delete_: bool, include: set[str], output: str, inventory=None) -> int:
    from plumbing.cluster import kube
    from plumbing.cluster import stale as st
    from plumbing.config import load_repo

    repo = load_repo(root)
    if inventory is None:
        from plumbing.inventory.commands import _runner

        inventory = _runner().plan(root, stack)
    target = kube.connect(repo)
    found = st.find(target, inventory)
    unknown = sorted(include - {o.ref for o in found})
    if unknown:
        raise ConfigError(f"--include {unknown[0]}: not among the stale objects")
    deleted, kept = st.delete(target, found, include) if delete_ else ([], list(found))
    if output == "json":
        click.echo(json.dumps(st.to_json(stack, found, deleted, kept), indent=2))
    else:
        for obj in found:
            state = "deleted" if obj in deleted else ("kept (name it with --include to delete)"
                                                      if delete_ and obj.kind in st.PROTECTED else "stale")
            click.echo(f"{state:<8} {obj.ref}")
        if not found:
            click.echo(f"{stack}: nothing stale")
    return EXIT_FAILED if kept else EXIT_OK


def pr_comment(body_file: str, number: int, repository: str, github_api: str | None) -> int:
    from plumbing.cli.common import github_client
    from plumbing.deploy import pr_diff as prd

    body = Path(body_file).read_text(encoding="utf-8")
    if not body.startswith(prd.MARKER):
        raise ConfigError(f"{body_file}: not a `plumbing infra pr-diff` output (it starts with {prd.MARKER})")
    with github_client(github_api or os.environ.get("GITHUB_API_URL")) as client:
        what, comment = prd.upsert_comment(client, repository, number, body)
    click.echo(f"comment {what}: {comment.get('html_url', '')}")
    return EXIT_OK
