"""The post-release test commands' work, independent of click: each returns an exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from plumbing.config import load_repo
from plumbing.findings import EXIT_OK
from plumbing.posttest.plan import format_test_plan, make_test_plan, render_test, write_test

START_ACCEPT_WAIT = 5.0   # seconds test-start waits for Tekton to accept the run, never for the test


def default_out_dir(root: Path, project: str, version: str) -> Path:
    import os
    import tempfile

    dist = root / "dist"
    if os.access(dist if dist.exists() else root, os.W_OK):
        return dist / "test" / project / version
    return Path(tempfile.mkdtemp(prefix=f"test-{project}-"))


def run_test(project: str, version: str, *, root=None, revision=None, out=None, output="text", apply=False,
             follow=True, logs=False, stdout=None, target=None, accept_wait=None) -> int:
    stdout = stdout or sys.stdout
    repo = load_repo(root)
    plan = make_test_plan(repo, project, version, revision=revision)
    rendered = render_test(repo, plan)
    out_dir = Path(out) if out else default_out_dir(repo.root, project, version)
    plan.files = [str(p) for p in write_test(repo, rendered, out_dir)]
    stdout.write(json.dumps(plan.as_dict(), indent=2) + "\n" if output == "json" else format_test_plan(plan))
    if not apply:
        return EXIT_OK
    from plumbing.cluster.apply import ACCEPT_WAIT, submit

    return submit(repo, rendered.pipelinerun, namespace=plan.namespace, service_account=plan.service_account,
                  follow=follow, logs=logs, out=stdout, target=target,
                  accept_wait=ACCEPT_WAIT if accept_wait is None else accept_wait)


def start_test(project: str, version: str, *, status: str, revision: str, root=None, stdout=None,
               target=None) -> int:
    """From the release's finally: create the test run when the release succeeded; never fails
    the release (the step is onError: continue, and a skipped start is exit 0)."""
    from plumbing.cluster.apply import check_accepted, create_run
    from plumbing.cluster.kube import connect
    from plumbing.posttest.launch import should_start

    stdout = stdout or sys.stdout
    repo = load_repo(root)
    start, why = should_start(status, repo.project(project))
    if not start:
        print(f"no post-release test for {project} {version}: {why}", file=stdout)
        return EXIT_OK
    plan = make_test_plan(repo, project, version, revision=revision)
    rendered = render_test(repo, plan)
    target = target or connect(repo, check_cluster=False)
    name = create_run(target, plan.namespace, rendered.pipelinerun, plan.service_account)
    print(f"started post-release test {plan.namespace}/{name} for {project} {version}", file=stdout, flush=True)
    return check_accepted(target, plan.namespace, name, wait=START_ACCEPT_WAIT, poll=1.0, out=stdout)


def record_test(project: str, version: str, *, run: str, status: str, versions_file: str | None, root=None,
                namespace=None, bucket_url=None, target=None, notify_env=None, retry=None, stdout=None) -> int:
    """Write the verdict and logs; notify when the test failed. Exit 0 when recorded."""
    import os

    from plumbing.cluster.kube import connect
    from plumbing.posttest.record import read_versions, record
    from plumbing.storage import open_bucket
    from plumbing.versions import parse

    stdout = stdout or sys.stdout
    repo = load_repo(root)
    namespace = namespace or repo.org.test_settings()[0]
    bucket_url = bucket_url or repo.org.buckets.for_mode(parse(version).kind)
    target = target or connect(repo, check_cluster=False)
    tekton = read_versions(Path(versions_file)) if versions_file else {}
    verdict_, _ = record(target, namespace, run, project=project, version=version, status=status,
                         bucket=open_bucket(bucket_url), bucket_url=bucket_url, public_base=repo.org.public_url,
                         tekton=tekton, out=stdout)
    if verdict_.passed:
        return EXIT_OK
    from plumbing.notify import DEFAULT_GITHUB_API, Failure, notify

    env = os.environ if notify_env is None else notify_env
    failure = Failure(project, "test", version, run, f"failed step {verdict_.failed_step or status}",
                      verdict_.logs)
    notify(failure, webhook_url=env.get("SLACK_WEBHOOK_URL") or None,
           github_api=env.get("GITHUB_API_URL") or DEFAULT_GITHUB_API,
           github_repository=repo.org.notify.github_repository or env.get("GITHUB_REPOSITORY") or None,
           github_token=env.get("GITHUB_TOKEN") or None, out=stdout, retry=retry)
    return EXIT_OK  # recorded and reported; the test run itself already says failed
