"""The guards `--apply` runs before anything is created. Each failure is a one-line refusal.

Order: the cluster (checked by kube.connect), the namespace, the service account, that both
are the project's own for the mode (and the run pushes with its own credential to its own
registry path), the bucket configured for the mode, then for a full release: the version is not in the bucket and the git
tag does not exist. Last, `latest/` is decided from the bucket's listing, never from a flag.
"""

from __future__ import annotations

from plumbing import layout
from plumbing.cluster.kube import Refused, Target, api_error
from plumbing.org import MODE_KEYS


def _params(pipelinerun: dict) -> dict[str, object]:
    return {p.get("name"): p.get("value") for p in ((pipelinerun.get("spec") or {}).get("params") or [])}


def check_namespace(target: Target, namespace: str) -> None:
    from kubernetes.client import ApiException

    try:
        target.core.read_namespace(namespace)
    except ApiException as exc:
        if exc.status == 404:
            raise Refused(f"namespace {namespace!r} does not exist in {target.description}") from None
        if exc.status == 403:
            # Namespaces are cluster-scoped: a namespaced identity (a CronJob's) may not read
            # them. The service-account check reads inside the namespace and covers it.
            return
        raise Refused(f"cannot read namespace {namespace!r} in {target.description}: {api_error(exc)}") from None


def check_service_account(target: Target, namespace: str, name: str) -> None:
    from kubernetes.client import ApiException

    try:
        target.core.read_namespaced_service_account(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            raise Refused(f"service account {name!r} does not exist in namespace {namespace!r}") from None
        raise Refused(f"cannot read service account {namespace}/{name}: {api_error(exc)}") from None


def check_target(repo, plan: dict, pipelinerun: dict) -> None:
    """The run executes as the project's own identity in its own namespace (Org.target), pushes
    with its own credential to its own registry path: never as another project's or a shared one."""
    project, mode = plan["project"], plan["mode"]
    target = repo.org.target(project, mode)
    cluster = plan["cluster"]
    for what, planned, wanted in (("namespace", cluster["namespace"], target.namespace),
                                  ("service account", cluster["service_account"], target.service_account)):
        if planned != wanted:
            raise Refused(f"{what} {planned!r} is not {project}'s own for a {mode} release ({wanted!r})")
    spec = pipelinerun.get("spec") or {}
    runs_as = (spec.get("taskRunTemplate") or {}).get("serviceAccountName")
    if runs_as is not None and runs_as != target.service_account:
        raise Refused(f"the PipelineRun runs as {runs_as!r}, not {project}'s {target.service_account!r}")
    repo_param = _params(pipelinerun).get("ko-docker-repo")
    if repo_param is not None and repo_param != target.registry_path:
        raise Refused(f"the PipelineRun pushes to {repo_param!r}, not {project}'s registry path {target.registry_path!r}")
    from plumbing.inventory.isolation import PUSH_SECRET

    for ws in spec.get("workspaces") or []:
        secret = (ws.get("secret") or {}).get("secretName")
        if ws.get("name") == "registry-credentials" and secret not in (None, PUSH_SECRET):
            raise Refused(f"the PipelineRun pushes with secret {secret!r}, not {project}'s own {PUSH_SECRET!r}")


def check_bucket(repo, plan: dict, pipelinerun: dict) -> str:
    """The plan's bucket (and the run's `bucket` param) is the one configured for the mode."""
    mode = plan["mode"]
    wanted = repo.org.buckets.for_mode(mode)
    planned = (plan.get("publish") or {}).get("bucket")
    if planned != wanted:
        raise Refused(f"bucket {planned!r} is not the {mode} bucket plumbing.yaml configures "
                      f"(buckets.{MODE_KEYS[mode]}: {wanted!r})")
    param = _params(pipelinerun).get("bucket")
    if param is not None and param != wanted:
        raise Refused(f"the PipelineRun's bucket param {param!r} is not the {mode} bucket {wanted!r}")
    return wanted


def tag_exists(repository: str, version: str) -> bool:
    """Does the repository have the tag? A guard that cannot ask refuses (one line)."""
    from plumbing.gitremote import GitRemoteError
    from plumbing.gitremote import tag_exists as exists

    try:
        return exists(repository, version)
    except GitRemoteError as exc:
        raise Refused(str(exc)) from None


def check_release_is_new(bucket, project, version: str, bucket_url: str) -> None:
    if layout.release_exists(bucket, project.name, version):
        folder = layout.folder_url(bucket_url, layout.release_folder(project.name, version))
        raise Refused(f"{version} is already released: {folder} exists (a release is never overwritten)")
    if tag_exists(project.repository, version):
        raise Refused(f"tag {version} already exists in {project.repository}")


def decide_latest(bucket, project, version: str) -> tuple[bool, str]:
    from plumbing.release.publish import decide_latest as decide

    return decide(bucket, project.name, version)


def run_all(repo, plan: dict, pipelinerun: dict, target: Target, out=None) -> dict:
    """Every guard, in order; returns what they decided ({'bucket', 'latest', 'latest_reason'})."""
    cluster = plan["cluster"]
    namespace, service_account = cluster["namespace"], cluster["service_account"]
    run_ns = (pipelinerun.get("metadata") or {}).get("namespace")
    if run_ns and run_ns != namespace:
        raise Refused(f"the PipelineRun's namespace {run_ns!r} is not the plan's {namespace!r}")
    check_namespace(target, namespace)
    check_service_account(target, namespace, service_account)
    check_target(repo, plan, pipelinerun)
    bucket_url = check_bucket(repo, plan, pipelinerun)

    from plumbing.storage import open_bucket

    bucket = open_bucket(bucket_url)
    project = repo.project(plan["project"])
    version = plan["version"]
    if plan["mode"] == "full":
        check_release_is_new(bucket, project, version, bucket_url)
    moves, reason = decide_latest(bucket, project, version)
    if out is not None:
        print(f"pre-flight ok: {target.description}, namespace {namespace}, service account "
              f"{service_account}, bucket {bucket_url}", file=out)
        print(f"latest/: {'moves to ' + version if moves else 'stays where it is'} ({reason})", file=out)
    return {"bucket": bucket_url, "latest": moves, "latest_reason": reason}
