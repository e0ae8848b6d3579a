"""The release commands' work, independent of click: each function returns an exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from plumbing.config import check_repo, find_root, load_repo
from plumbing.findings import EXIT_FAILED, EXIT_OK, PlumbingError
from plumbing.release.plan import make_plan
from plumbing.release.rendering import render_release, write_release
from plumbing.versions import VersionError, parse_date


def run_release(project: str, mode: str, *, root=None, out=None, output="text", apply=False,
                follow=True, logs=False, revision=None, version=None, previous=None, day=None,
                stdout=None) -> int:
    stdout = stdout or sys.stdout
    repo = load_repo(root)
    try:
        when = parse_date(day) if day is not None else None
    except VersionError as exc:
        raise PlumbingError(str(exc)) from None
    plan = make_plan(repo, project, mode, revision=revision, version=version, previous=previous, day=when)
    rendered = render_release(repo, plan)
    out_dir = Path(out) if out else default_out_dir(repo.root, plan)
    written = write_release(repo, rendered, out_dir)
    plan.files = [str(p) for p in written]
    if output == "json":
        stdout.write(json.dumps(plan.as_dict(), indent=2) + "\n")
    else:
        stdout.write(format_plan(plan))
    if not apply:
        return EXIT_OK
    from plumbing.cluster.apply import apply_release

    return apply_release(repo, plan.as_dict(), rendered.pipelinerun, follow=follow, logs=logs, out=stdout)


def default_out_dir(root: Path, plan) -> Path:
    """dist/<project>/<version> in the repository, or a temporary folder where the repository
    is read-only (the plumbing image in a CronJob)."""
    import os
    import tempfile

    dist = root / "dist"
    if os.access(dist if dist.exists() else root, os.W_OK):
        return dist / plan.project / plan.version
    return Path(tempfile.mkdtemp(prefix=f"release-{plan.project}-"))


def format_plan(plan) -> str:
    lines = [
        f"project    {plan.project}",
        f"mode       {plan.mode}",
        f"version    {plan.version}",
        f"revision   {plan.revision}",
        f"platforms  {', '.join(plan.platforms)}",
        f"tests      {'run' if plan.run_tests else 'skipped in this mode'}",
        "images",
        *(f"  {img['name']:<20} {img['ref']}" for img in plan.images),
        "publish",
        f"  previous  {plan.publish['previous']}",
        f"  latest    {plan.publish['latest'] or 'stays where it is'}",
        f"            ({plan.publish['latest_reason']})",
        "runs in",
        f"  cluster   {plan.cluster['name']} (context {plan.cluster['context']})",
        f"  namespace {plan.cluster['namespace']}, service account {plan.cluster['service_account']}",
        "files",
        *(f"  {_display(f)}" for f in plan.files),
    ]
    return "\n".join(lines) + "\n"


def _display(path: str) -> str:
    """A path relative to the working folder when it lies below it."""
    p = Path(path)
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _check_test(repo, name: str, write) -> dict:
    """The project's post-release test run renders and checks too (written to DIR/<project>-test)."""
    from plumbing.posttest.plan import make_test_plan, render_test, write_test

    try:
        rendered = render_test(repo, make_test_plan(repo, name, "v0.0.0"))
        if write:
            write_test(repo, rendered, Path(write) / f"{name}-test")
        return {"project": name, "mode": "test", "ok": True}
    except PlumbingError as exc:
        return {"project": name, "mode": "test", "ok": False, "error": str(exc)}


def run_check(projects, *, root=None, output="text", write=None, stdout=None) -> int:
    """Everything `release nightly|full` checks, for every project and mode, writing nothing."""
    stdout = stdout or sys.stdout
    root_path = Path(root).resolve() if root else find_root()
    repo, findings = check_repo(root_path)
    results = []
    # Rendering a configuration with errors would only repeat them as failed renders.
    if repo is not None and not [f for f in findings if f.severity == "error"]:
        for name in list(projects) or sorted(repo.projects):
            results += _check_project(repo, name, write)
    failed = bool(findings) or any(not r["ok"] for r in results)
    _report_check(findings, results, failed, output, stdout)
    return EXIT_FAILED if failed else EXIT_OK


# The modes `release check` renders, with a placeholder revision (and version) for each.
_CHECK_MODES = (("nightly", {"revision": "0" * 40}),
                ("full", {"revision": "0" * 40, "version": "v0.0.0"}))


def _check_project(repo, name: str, write) -> list[dict]:
    """One result per mode (and the post-release test run when the project has one)."""
    results = []
    for mode, kwargs in _CHECK_MODES:
        try:
            rendered = render_release(repo, make_plan(repo, name, mode, **kwargs))
            if write:
                write_release(repo, rendered, Path(write) / f"{name}-{mode}")
            results.append({"project": name, "mode": mode, "ok": True})
        except PlumbingError as exc:
            results.append({"project": name, "mode": mode, "ok": False, "error": str(exc)})
            # A project that is not in the repository is a usage error, not a failed render.
            if exc.exit_code != EXIT_FAILED and name not in (repo.projects or {}):
                raise
    if name in repo.projects and repo.projects[name].post_release_test.enabled:
        results.append(_check_test(repo, name, write))
    return results


def _report_check(findings, results: list[dict], failed: bool, output: str, stdout) -> None:
    if output == "json":
        stdout.write(json.dumps({"findings": [f.as_dict() for f in findings], "renders": results,
                                 "ok": not failed}, indent=2) + "\n")
        return
    for f in findings:
        stdout.write(f.format() + "\n")
    for r in results:
        stdout.write(f"{r['project']} {r['mode']}: {'ok' if r['ok'] else 'FAILED: ' + r['error']}\n")
    stdout.write(f"{len(findings)} config problems, {sum(not r['ok'] for r in results)} failed renders\n")
