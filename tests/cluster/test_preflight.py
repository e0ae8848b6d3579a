"""Every pre-flight refusal happens before anything is created: kmock sees no POST."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import subprocess

import pytest

from plumbing.cluster import kube, preflight
from plumbing.cluster.apply import apply_release
from plumbing.storage import open_bucket

from .conftest import make_plan, write_kubeconfig


async def refused(repo, plan, run) -> str:
    out = io.StringIO()
    with pytest.raises(kube.Refused) as info:
        await asyncio.to_thread(apply_release, repo, plan, run, out=out, interval=0.03)
    assert info.value.exit_code == 1
    message = str(info.value)
    assert "\n" not in message
    return message


async def test_wrong_cluster_is_refused_before_anything_is_created(cluster, repo, tmp_path, monkeypatch):
    path = write_kubeconfig(tmp_path / "other", cluster.url, "kind-scratch")
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    plan, run = make_plan(repo)
    message = await refused(repo, plan, run)
    assert message.startswith("kube context 'kind-scratch' is not cluster 'dogfooding'")
    assert repo.org.cluster.context in message
    assert cluster.posts() == []
    assert list(cluster.kmock) == []  # not even a GET: refused from the kube config alone


async def test_missing_namespace(cluster, repo, kubeconfig):
    plan, run = make_plan(repo)
    plan["cluster"]["namespace"] = "nowhere"
    run["metadata"]["namespace"] = "nowhere"
    message = await refused(repo, plan, run)
    assert message.startswith("namespace 'nowhere' does not exist in kube context")
    assert cluster.posts() == []


async def test_missing_service_account(cluster, repo, kubeconfig):
    plan, run = make_plan(repo)
    plan["cluster"]["service_account"] = "nobody"
    message = await refused(repo, plan, run)
    assert message == "service account 'nobody' does not exist in namespace 'pipeline-release'"
    assert cluster.posts() == []


async def test_bucket_must_be_the_modes_bucket(cluster, repo, kubeconfig):
    plan, run = make_plan(repo)
    nightly = repo.org.buckets.nightly
    plan["publish"]["bucket"] = nightly
    message = await refused(repo, plan, run)
    assert message.startswith(f"bucket {nightly!r} is not the full bucket plumbing.yaml configures")
    plan, run = make_plan(repo)
    run["spec"]["params"][0]["value"] = nightly
    message = await refused(repo, plan, run)
    assert message.startswith(f"the PipelineRun's bucket param {nightly!r} is not the full bucket")
    assert cluster.posts() == []


async def test_version_already_in_the_bucket(cluster, repo, kubeconfig):
    bucket = open_bucket(repo.org.buckets.release)
    bucket.write("pipeline/previous/v1.2.3/release.yaml", b"kind: List\n", content_type="text/yaml")
    plan, run = make_plan(repo)
    message = await refused(repo, plan, run)
    assert message.startswith("v1.2.3 is already released: ")
    assert message.endswith("/pipeline/previous/v1.2.3/ exists (a release is never overwritten)")
    assert cluster.posts() == []


async def test_tag_already_exists(cluster, repo, kubeconfig, git_remote):
    subprocess.run(["git", "-C", str(git_remote), "tag", "v1.2.3"], check=True)
    plan, run = make_plan(repo)
    message = await refused(repo, plan, run)
    assert message == f"tag v1.2.3 already exists in file://{git_remote}"
    assert cluster.posts() == []


async def test_nightly_skips_the_tag_check(cluster, repo, kubeconfig, git_remote):
    # a nightly's version is never a tag upstream: no git call, and it goes ahead
    pipeline = dataclasses.replace(repo.projects["pipeline"], repository="file:///nonexistent/upstream")
    repo = dataclasses.replace(repo, projects={**repo.projects, "pipeline": pipeline})
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    out = io.StringIO()
    assert await asyncio.to_thread(apply_release, repo, plan, run, out=out, follow=False) == 0
    assert len(cluster.posts()) == 1


def test_tag_check_reads_the_real_remote(git_remote):
    url = f"file://{git_remote}"
    assert preflight.tag_exists(url, "v1.2.2")
    assert not preflight.tag_exists(url, "v1.2.3")
    with pytest.raises(kube.Refused, match="git ls-remote file:///nonexistent failed"):
        preflight.tag_exists("file:///nonexistent", "v1.2.3")


async def test_latest_is_decided_from_the_bucket_listing(cluster, repo, kubeconfig):
    bucket = open_bucket(repo.org.buckets.release)
    bucket.write("pipeline/previous/v1.3.0/release.yaml", b"kind: List\n", content_type="text/yaml")
    plan, run = make_plan(repo)  # the plan says latest moves ("auto"); the bucket knows better
    out = io.StringIO()
    assert await asyncio.to_thread(apply_release, repo, plan, run, out=out, follow=False) == 0
    assert "latest/: stays where it is" in out.getvalue()
    ((ns, name),) = cluster.runs()
    params = {p["name"]: p["value"] for p in cluster.run(ns, name)["spec"]["params"]}
    assert params["latest"] == "never"


async def test_forbidden_namespace_read_falls_back_to_the_service_account(cluster, repo, kubeconfig):
    cluster.kmock["get /api/v1/namespaces/locked"] << 403 << {
        "kind": "Status", "code": 403, "reason": "Forbidden", "message": "namespaces is forbidden"}
    plan, run = make_plan(repo, mode="nightly", version="v20261124-0123456789")
    plan["cluster"]["namespace"] = run["metadata"]["namespace"] = "locked"
    message = await refused(repo, plan, run)
    assert message == "service account 'pipeline-nightly' does not exist in namespace 'locked'"


async def test_another_projects_namespace_and_account_are_refused(cluster, repo, kubeconfig):
    """Both exist in the cluster, but they are triggers' own: pipeline's release may not run there."""
    other = repo.org.target("triggers", "full")
    cluster.kmock[f"get /api/v1/namespaces/{other.namespace}"] << {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": other.namespace}}
    cluster.kmock.objects["v1/serviceaccounts", other.namespace, other.service_account] = {
        "metadata": {"name": other.service_account, "namespace": other.namespace}}
    plan, run = make_plan(repo)
    plan["cluster"].update(namespace=other.namespace, service_account=other.service_account)
    run["metadata"]["namespace"] = other.namespace
    message = await refused(repo, plan, run)
    assert message == "namespace 'triggers-release' is not pipeline's own for a full release ('pipeline-release')"
    assert cluster.posts() == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda run: run["spec"]["taskRunTemplate"].update(serviceAccountName="triggers-release"),
     "the PipelineRun runs as 'triggers-release', not pipeline's 'pipeline-release'"),
    (lambda run: run["spec"]["params"].append({"name": "ko-docker-repo", "value": "ghcr.io/tektoncd/triggers"}),
     "the PipelineRun pushes to 'ghcr.io/tektoncd/triggers', not pipeline's registry path 'ghcr.io/tektoncd/pipeline'"),
    (lambda run: run["spec"].setdefault("workspaces", []).append(
        {"name": "registry-credentials", "secret": {"secretName": "registry-credentials"}}),
     "the PipelineRun pushes with secret 'registry-credentials', not pipeline's own 'registry-push'"),
])
def test_run_must_act_as_the_project(repo, change, expected):
    plan, run = make_plan(repo)
    preflight.check_target(repo, plan, run)   # as rendered: accepted
    change(run)
    with pytest.raises(kube.Refused) as info:
        preflight.check_target(repo, plan, run)
    assert str(info.value) == expected
