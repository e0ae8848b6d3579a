"""A Kubernetes API (kmock) that the real kubernetes client talks to, plus a tiny Tekton.

kmock quirks handled here: the namespace GET needs an explicit reaction (kmock parses
/api/v1/namespaces/NAME as a namespace, not an object); pod logs need a text/plain reaction;
the synchronous client runs through asyncio.to_thread so kmock's loop keeps serving.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from plumbing.config import load_repo

NS = "pipeline-release"
NIGHTLY_NS = "pipeline-nightly"
SA = "pipeline-release"
NIGHTLY_SA = "pipeline-nightly"
PR = "tekton.dev/v1/pipelineruns"
TR = "tekton.dev/v1/taskruns"


def write_kubeconfig(path: Path, url: str, context: str) -> Path:
    cfg = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": "tester", "user": {"token": "test-token"}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": "tester"}}],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(cfg))
    return path


class Cluster:
    """kmock plus what the tests need to drive it like Tekton would."""

    def __init__(self, kmock, tmp_path: Path):
        self.kmock = kmock
        self.logs: dict[tuple[str, str], str] = {}
        kmock.resources[PR] = {}
        kmock.resources[TR] = {}
        kmock.resources["v1/serviceaccounts"] = {}
        for ns in (NS, NIGHTLY_NS):
            kmock[f"get /api/v1/namespaces/{ns}"] << {
                "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        kmock.objects["v1/serviceaccounts", NS, SA] = {"metadata": {"name": SA, "namespace": NS}}
        kmock.objects["v1/serviceaccounts", NIGHTLY_NS, NIGHTLY_SA] = {
            "metadata": {"name": NIGHTLY_SA, "namespace": NIGHTLY_NS}}
        kmock["get", re.compile(r"/api/v1/namespaces/[^/]+/pods/[^/]+/log")] \
            << {"Content-Type": "text/plain; charset=utf-8"} << self._serve_log
        self.url = str(kmock.url)
        self.tmp_path = tmp_path

    def _serve_log(self, request) -> bytes:
        pod = request.url.path.split("/")[-2]
        return self.logs.get((pod, request.params.get("container", "")), "").encode()

    # -- what the tests look at -------------------------------------------------------------
    def posts(self) -> list:
        return [r for r in self.kmock if str(r.method).upper().endswith("POST")]

    def runs(self) -> list[tuple[str, str]]:
        return [(ns, name) for (res, ns, name) in list(self.kmock.objects)
                if res.plural == "pipelineruns" and name]

    def run(self, ns: str, name: str) -> dict:
        return dict(self.kmock.objects[PR, ns, name].raw)

    async def wait_for_run(self, timeout: float = 10) -> tuple[str, str]:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.runs():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("no PipelineRun was created")
            await asyncio.sleep(0.02)
        return self.runs()[0]

    # -- playing Tekton ---------------------------------------------------------------------
    def set_run(self, ns: str, name: str, *, status: dict) -> None:
        obj = self.run(ns, name)
        obj["status"] = status
        self.kmock.objects[PR, ns, name] = obj

    def put_taskrun(self, ns: str, run: str, task: str, *, state: str, steps: list[tuple[str, int | None]],
                    start="2026-11-24T05:00:00Z", end="2026-11-24T05:00:42Z") -> str:
        name = f"{run}-{task}"
        cond = {"running": ("Unknown", "Running"), "succeeded": ("True", "Succeeded"),
                "failed": ("False", "Failed")}[state]
        self.kmock.objects[TR, ns, name] = {
            "apiVersion": "tekton.dev/v1", "kind": "TaskRun",
            "metadata": {"name": name, "namespace": ns,
                         "labels": {"tekton.dev/pipelineRun": run, "tekton.dev/pipelineTask": task}},
            "status": {
                "podName": f"{name}-pod", "startTime": start,
                **({"completionTime": end} if state != "running" else {}),
                "conditions": [{"type": "Succeeded", "status": cond[0], "reason": cond[1]}],
                "steps": [{"name": s, "container": f"step-{s}",
                           **({"terminated": {"exitCode": code}} if code is not None else {"running": {}})}
                          for s, code in steps],
            },
        }
        return name

    async def observed(self, timeout: float = 10) -> None:
        """Wait until a follower has listed the TaskRuns after this moment (so it saw the state),
        instead of sleeping and hoping: the machines running the tests are shared and slow."""
        import kmock as km

        start = len(list(self.kmock))
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if any(r.action == km.action.LIST and r.resource is not None and r.resource.plural == "taskruns"
                   for r in list(self.kmock)[start:]):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("nobody followed the run")

    async def play(self, ns: str, name: str, *, fail: bool = False, follower: bool = True) -> None:
        """clone succeeds, then build succeeds (or fails), then the run's verdict. With a
        `follower`, each state is held until the follower has read it."""
        run_status = {"startTime": "2026-11-24T05:00:00Z",
                      "conditions": [{"type": "Succeeded", "status": "Unknown", "reason": "Running"}]}
        self.logs[(f"{name}-clone-pod", "step-fetch")] = "cloning\ncloned at abc123\n"
        self.put_taskrun(ns, name, "clone", state="running", steps=[("fetch", None)])
        self.set_run(ns, name, status={**run_status, "childReferences": [
            {"kind": "TaskRun", "name": f"{name}-clone", "pipelineTaskName": "clone"}]})
        if follower:
            await self.observed()
        self.put_taskrun(ns, name, "clone", state="succeeded", steps=[("fetch", 0)])
        self.logs[(f"{name}-build-pod", "step-compile")] = "go build ./...\n"
        self.logs[(f"{name}-build-pod", "step-test")] = (
            "".join(f"test line {i}\n" for i in range(30)) + ("FAIL: TestThing\n" if fail else "PASS\n"))
        self.put_taskrun(ns, name, "build", state="running", steps=[("compile", 0), ("test", None)])
        refs = [{"kind": "TaskRun", "name": f"{name}-clone", "pipelineTaskName": "clone"},
                {"kind": "TaskRun", "name": f"{name}-build", "pipelineTaskName": "build"}]
        self.set_run(ns, name, status={**run_status, "childReferences": refs})
        if follower:
            await self.observed()
        self.put_taskrun(ns, name, "build", state="failed" if fail else "succeeded",
                         steps=[("compile", 0), ("test", 1 if fail else 0)])
        verdict = ("False", "Failed") if fail else ("True", "Succeeded")
        self.set_run(ns, name, status={
            "startTime": "2026-11-24T05:00:00Z", "completionTime": "2026-11-24T05:01:30Z",
            "conditions": [{"type": "Succeeded", "status": verdict[0], "reason": verdict[1],
                            "message": "Tasks Completed: 2 (Failed: 1)" if fail else "Tasks Completed: 2"}],
            "childReferences": refs,
            "skippedTasks": [{"name": "publish", "reason": "PipelineRun Finally timeout"}] if fail else []})


@pytest.fixture
async def cluster(kmock, tmp_path, monkeypatch):
    c = Cluster(kmock, tmp_path)
    return c


@pytest.fixture
def repo_dir(scratch_repo, tmp_path) -> Path:
    """A scratch plumbing repository whose buckets are file:// folders under tmp_path."""
    root = scratch_repo
    text = (root / "plumbing.yaml").read_text()
    for key in ("nightly", "release", "logs"):
        (tmp_path / "buckets" / key).mkdir(parents=True)
    text = re.sub(r"gs://tekton-releases-nightly", f"file://{tmp_path}/buckets/nightly", text)
    text = re.sub(r"gs://tekton-releases\b", f"file://{tmp_path}/buckets/release", text)
    text = re.sub(r"gs://tekton-release-logs", f"file://{tmp_path}/buckets/logs", text)
    (root / "plumbing.yaml").write_text(text)
    return root


@pytest.fixture
def git_remote(tmp_path) -> Path:
    """A real git repository standing in for the project's upstream, reached via file://."""
    path = tmp_path / "upstream"
    path.mkdir()
    env_git = ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run([*env_git, "commit", "-q", "--allow-empty", "-m", "first"], check=True)
    subprocess.run([*env_git, "tag", "v1.2.2"], check=True)
    return path


@pytest.fixture
def repo(repo_dir, git_remote):
    r = load_repo(repo_dir)
    pipeline = dataclasses.replace(r.projects["pipeline"], repository=f"file://{git_remote}")
    return dataclasses.replace(r, projects={**r.projects, "pipeline": pipeline})


@pytest.fixture
def kubeconfig(cluster, repo, tmp_path, monkeypatch) -> Path:
    path = write_kubeconfig(tmp_path / "kubeconfig", cluster.url, repo.org.cluster.context)
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return path


def make_plan(repo, mode: str = "full", version: str = "v1.2.3") -> tuple[dict, dict]:
    """A plan and PipelineRun with the shapes the release CLI renders (trimmed to what we read)."""
    ns = repo.org.target("pipeline", mode).namespace
    sa = repo.org.target("pipeline", mode).service_account
    bucket = repo.org.buckets.for_mode(mode)
    plan = {
        "project": "pipeline", "mode": mode, "version": version, "revision": "0" * 40,
        "publish": {"bucket": bucket, "previous": f"{bucket}/pipeline/previous/{version}/",
                    "latest": f"{bucket}/pipeline/latest/", "latest_reason": "planned"},
        "cluster": {"name": repo.org.cluster.name, "context": repo.org.cluster.context,
                    "namespace": ns, "service_account": sa},
    }
    run = {
        "apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
        "metadata": {"generateName": f"release-pipeline-{mode}-", "namespace": ns,
                     "labels": {"plumbing.tekton.dev/project": "pipeline", "plumbing.tekton.dev/mode": mode,
                                "plumbing.tekton.dev/version": version},
                     "annotations": {"plumbing.tekton.dev/version": version}},
        "spec": {
            "pipelineSpec": {"tasks": [{"name": "clone"}, {"name": "build"}, {"name": "publish"}],
                             "finally": [{"name": "report"}]},
            "params": [{"name": "bucket", "value": bucket}, {"name": "latest", "value": "auto"}],
            "taskRunTemplate": {"serviceAccountName": sa},
        },
    }
    return plan, run


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A CA-flagged certificate for 127.0.0.1 and its key (what a cluster's ca.crt would hold)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kmock-apiserver")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "apiserver.crt", tmp_path / "apiserver.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
async def in_cluster(cluster, tmp_path, monkeypatch):
    """The same kmock, also served over HTTPS, and a pod's view of it: KUBERNETES_SERVICE_HOST/PORT
    and a mounted service-account folder (token, ca.crt, namespace). The real in-cluster loader
    of the kubernetes client connects with these."""
    import ssl

    import aiohttp.test_utils
    import kmock as km

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    class TLSServer(aiohttp.test_utils.RawTestServer):
        async def start_server(self, loop=None, **kwargs):
            await super().start_server(loop=loop, ssl=context, **kwargs)

    sa = tmp_path / "serviceaccount"
    sa.mkdir()
    (sa / "token").write_text("in-cluster-token")
    (sa / "ca.crt").write_bytes(cert.read_bytes())
    (sa / "namespace").write_text(NIGHTLY_NS)
    async with km.Server(cluster.kmock, server_cls=TLSServer) as server:
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(server.port))
        monkeypatch.setenv("PLUMBING_SERVICEACCOUNT_DIR", str(sa))
        monkeypatch.delenv("KUBECONFIG", raising=False)
        yield server
