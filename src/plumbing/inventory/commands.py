"""`plumbing infra plan` and `plumbing infra secrets`: the functions behind the click layer."""

from __future__ import annotations

import json
from pathlib import Path

import click

from plumbing.findings import EXIT_FAILED, EXIT_OK, ConfigError, Finding


def _runner():
    try:
        import pulumi  # noqa: F401

        from plumbing.inventory import mocks as runner
    except ImportError as exc:
        raise ConfigError(f"the infra extra is not installed ({exc.name}): pip install -e '.[infra]'") from None
    return runner


def expected_jobs(root: Path, stack: str | None = None) -> list:
    """Every CronJob the program must declare; with a stack, the deployer's too."""
    from plumbing.ci_images import load_images
    from plumbing.config import load_repo
    from plumbing.cronjobs import load_jobs
    from plumbing.inventory import deployer
    from plumbing.inventory import desired as model

    repo = load_repo(root)
    jobs = model.scheduled_jobs(repo, load_images(repo), load_jobs(repo))
    return jobs + (deployer.jobs(repo, stack) if stack else [])


def violations(inventory: list[dict], root: Path, stack: str | None = None) -> list[tuple[str, str]]:
    from plumbing.config import load_repo
    from plumbing.github_org import pr_check_target, released_repositories
    from plumbing.inventory import policies as policy

    repo = load_repo(root)
    released = policy.github_released(inventory, released_repositories(repo), pr_check_target(repo))
    coverage = policy.coverage(inventory, expected_jobs(root, stack))
    return (policy.check(inventory) + [("cronjob-coverage", m) for m in coverage]
            + [("github-released", m) for m in released])


def plan(root: Path, stack: str, output: str = "text", diff_file: str | None = None) -> int:
    runner = _runner()
    from plumbing.inventory import report as inv

    saved = inv.load_saved(diff_file) if diff_file else None
    resources = runner.plan(root, stack)
    if saved is not None:
        d = inv.diff(saved, resources)
        click.echo(json.dumps({"stack": stack, **d}, indent=2) if output == "json" else inv.format_diff(d))
    else:
        click.echo(inv.to_json(resources, stack) if output == "json" else inv.format_text(resources, stack))
    broken = violations(resources, root, stack)
    for rule, message in broken:
        click.echo(Finding.unplaced(f"Pulumi.{stack}.yaml", f"infra-{rule}", message).format(), err=True)
    return EXIT_FAILED if broken else EXIT_OK


def secrets(root: Path, stack: str, output: str = "text") -> int:
    """The config secrets the program requires, and whether the stack file has each."""
    runner = _runner()
    config, secret_keys = runner.stack_config(root, stack)
    project = runner.project_name(root)
    rows = [{"key": f"{project}:{k}", "set": f"{project}:{k}" in secret_keys}
            for k in runner.required_secrets(root, stack)]
    if output == "json":
        click.echo(json.dumps({"stack": stack, "secrets": rows}, indent=2))
    else:
        for row in rows:
            state = "set (secure)" if row["set"] else "missing"
            click.echo(f"{row['key']:<36} {state}   pulumi config set --secret {row['key']} -s {stack}")
    return EXIT_OK
