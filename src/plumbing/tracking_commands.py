"""The bodies of `plumbing versions`, `versions bump` and `versions promote`: each returns an
exit code (0 ok, 1 drift or refused, 2 usage or config) and prints for people or machines."""

from __future__ import annotations

import json

import click

from plumbing import components, tracking
from plumbing.findings import EXIT_FAILED, EXIT_OK, PlumbingError


def _bucket_opener():
    from plumbing.storage import open_bucket

    return open_bucket


def show(root, stack: str, output: str, offline: bool, github_api: str | None, make_client) -> int:
    from plumbing.config import load_repo

    repo = load_repo(root)
    target = client = None
    if not offline:
        from plumbing.cluster.kube import connect

        # The GKE stack is plumbing.yaml's cluster; another stack names its own kube context.
        target = connect(repo, check_cluster=components.read_pins(repo.root, stack).gke)
        client = make_client(github_api)
    try:
        report = tracking.collect(repo, stack, offline=offline, target=target,
                                  open_bucket=None if offline else _bucket_opener(), github=client)
    finally:
        if client is not None:
            client.close()
    click.echo(json.dumps(report.to_dict(), indent=2) if output == "json" else tracking.text(report), nl=output == "json")
    if report.drift:
        click.echo("drift: the cluster does not run what git pins", err=True)
        return EXIT_FAILED
    return EXIT_OK


def bump(root, stack: str, component: str, to: str | None, channel: bool, force: bool, reason: str | None,
         pr: bool, remote: str | None, base: str, github_api: str | None, make_client, output: str) -> int:
    from plumbing import bump as b
    from plumbing.config import load_repo
    from plumbing.promotion import channel_candidate

    if component not in components.BY_NAME:
        raise _usage(f"unknown component {component!r}; known: {', '.join(components.BY_NAME)}")
    if bool(to) == bool(channel):
        raise _usage("say which version: --to VERSION or --channel")
    if force and not (reason or "").strip():
        raise _usage("--force needs --reason TEXT (it goes into the commit and the pull request)")
    if reason and not force:
        raise _usage("--reason goes with --force")
    if to:
        from plumbing.versions import VersionError, parse

        try:
            parse(to)
        except VersionError as exc:
            raise _usage(f"--to: {exc}") from None
    repo = load_repo(root)
    pins = components.read_pins(repo.root, stack)
    opener = _bucket_opener()
    if channel:
        chosen = pins.channel(component)
        if chosen == components.PINNED:
            raise _usage(f"{component} follows no channel in Pulumi.{stack}.yaml ({components.CHANNELS_KEY}); "
                         "use --to VERSION")
        to = channel_candidate(repo, opener, component, chosen)
        if not to:
            click.echo(f"{component}: no verified {chosen} version; nothing to do")
            return EXIT_OK
    verdict = None if force else b.check_verified(repo, opener, component, to)
    if not pr:
        result = b.bump_file(pins.path, stack, component, to, pins.versions[component], verdict=verdict,
                             reason=reason if force else None)
        _say(output, result, "edited" if result.changed else "unchanged", None)
        return EXIT_OK
    remote = remote or f"https://github.com/{_github_repo(repo)}.git"
    with make_client(github_api) as client:
        result, action, pull = b.propose(remote=remote, base=base, stack=stack, component=component, new=to,
                                         verdict=verdict, reason=reason if force else None, client=client,
                                         github_repo=_github_repo(repo))
    _say(output, result, action, pull)
    return EXIT_OK


def promote(root, stack: str, remote: str | None, base: str, github_api: str | None, make_client, output: str) -> int:
    from plumbing.config import load_repo
    from plumbing.promotion import promote as run

    repo = load_repo(root)
    remote = remote or f"https://github.com/{_github_repo(repo)}.git"
    with make_client(github_api) as client:
        steps = run(repo, stack, open_bucket=_bucket_opener(), client=client, remote=remote, base=base,
                    github_repo=_github_repo(repo))
    if output == "json":
        click.echo(json.dumps({"stack": stack, "components": [s.__dict__ for s in steps]}, indent=2))
    elif not steps:
        click.echo(f"Pulumi.{stack}.yaml puts no component on a channel; nothing to promote")
    for s in steps if output != "json" else []:
        what = {"none": f"no newer verified {s.channel} version than {s.pinned}"}.get(
            s.action, f"{s.action} pull request for {s.candidate} (was {s.pinned}): {s.pull or '-'}")
        click.echo(f"{s.component} ({s.channel}): {what}")
    return EXIT_OK


def _github_repo(repo) -> str:
    if not repo.org.notify.github_repository:
        raise PlumbingError("plumbing.yaml: notify.github_repository names no repository for the pull request")
    return repo.org.notify.github_repository


def _usage(message: str) -> PlumbingError:
    from plumbing.cli.common import usage_error

    return usage_error(message)


def _say(output: str, result, action: str, pull: dict | None) -> None:
    if output == "json":
        click.echo(json.dumps({"component": result.component, "stack": result.stack, "old": result.old,
                               "new": result.new, "verdict": result.verdict, "reason": result.reason,
                               "action": action, "pull": (pull or {}).get("html_url")}, indent=2))
        return
    if action == "unchanged":
        click.echo(f"{result.component}: Pulumi.{result.stack}.yaml already pins {result.new}")
        return
    click.echo(f"{result.component}: {result.old} -> {result.new} in Pulumi.{result.stack}.yaml "
               f"(post-release test: {result.verdict or 'forced, not looked up'})")
    if pull:
        click.echo(f"{action} pull request {pull.get('html_url')}")
