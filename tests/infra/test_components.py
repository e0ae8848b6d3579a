"""One mocked unit test per component: each ComponentResource built alone under Pulumi's
mocks, its children checked (type token, parenting, the fields that matter)."""

from __future__ import annotations

import sys

import pytest

from plumbing.ci_images import load_images
from plumbing.config import load_repo
from plumbing.cronjobs import load_jobs
from plumbing.inventory import desired as model
from plumbing.inventory.mocks import inventory, run_under_mocks

from .conftest import ROOT, of_type

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GKE_CONFIG = {"gcp:project": "proj", "gcp:region": "europe-west1", "plumbing:target": "gke",
              "plumbing:nodesMin": "2", "plumbing:nodesMax": "5", "plumbing:nightlyRetentionDays": "14"}
LOCAL_CONFIG = {"plumbing:target": "existing", "plumbing:kubeContext": "kind-test"}
SECRETS = {f"plumbing:{k}": f"value-of-{k}" for k in model.secret_config_keys(load_repo(ROOT))}


@pytest.fixture(scope="module")
def repo():
    return load_repo(ROOT)


def build(fn, config=GKE_CONFIG):
    """Run `fn(settings)` under mocks; the recorded inventory."""
    from infra import settings as settings_mod

    cfg = {**config, **SECRETS}
    return inventory(run_under_mocks(lambda: fn(settings_mod.read()), cfg, list(SECRETS)))


def assert_component(inv, token, name):
    comps = [r for r in inv if r["type"] == token]
    assert [c["name"] for c in comps] == [name]
    children = [r for r in inv if r is not comps[0] and not r["type"].startswith("plumbing:infra:")]
    assert children and all(r["component"] == name for r in children), "children must be parented to the component"
    return children


def test_cluster_gke(repo):
    from infra.cluster import Cluster

    inv = build(lambda s: Cluster("c", repo=repo, settings=s))
    children = assert_component(inv, "plumbing:infra:Cluster", "c")
    (cluster,) = of_type(children, "gcp:container/cluster:Cluster")
    i = cluster["inputs"]
    assert i["workloadIdentityConfig"] == {"workloadPool": "proj.svc.id.goog"}
    assert i["enableLegacyAbac"] is False and i["enableShieldedNodes"] is True
    assert i["releaseChannel"] == {"channel": "REGULAR"} and i["location"] == "europe-west1"
    assert i["removeDefaultNodePool"] is True and i["name"] == repo.org.cluster.name
    assert i["masterAuth"]["clientCertificateConfig"] == {"issueClientCertificate": False}
    (pool,) = of_type(children, "gcp:container/nodePool:NodePool")
    p = pool["inputs"]
    assert p["autoscaling"] == {"minNodeCount": 2, "maxNodeCount": 5}
    assert p["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert p["nodeConfig"]["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert p["nodeConfig"]["serviceAccount"].startswith("dogfooding-nodes@"), "nodes must not use the default SA"
    roles = {r["inputs"]["role"] for r in of_type(children, "gcp:projects/iAMMember:IAMMember")}
    assert roles and not roles & {"roles/owner", "roles/editor"}
    (provider,) = of_type(children, "pulumi:providers:kubernetes")
    assert "gke-gcloud-auth-plugin" in provider["inputs"]["kubeconfig"] and "token" not in provider["inputs"]["kubeconfig"]


def test_cluster_existing_is_only_a_provider(repo):
    from infra.cluster import Cluster

    inv = build(lambda s: Cluster("c", repo=repo, settings=s), LOCAL_CONFIG)
    children = assert_component(inv, "plumbing:infra:Cluster", "c")
    assert [(r["type"], r["inputs"].get("context")) for r in children] == [("pulumi:providers:kubernetes", "kind-test")]


def test_buckets(repo):
    from infra.buckets import Buckets

    inv = build(lambda s: Buckets("b", repo=repo, settings=s))
    children = assert_component(inv, "plumbing:infra:Buckets", "b")
    buckets = {r["inputs"]["name"]: r["inputs"] for r in of_type(children, "gcp:storage/bucket:Bucket")}
    names = {k: model.bucket_name(v) for k, v in vars(repo.org.buckets).items()}
    assert set(buckets) == set(names.values())
    for b in buckets.values():
        assert b["uniformBucketLevelAccess"] is True
    assert buckets[names["release"]]["versioning"] == {"enabled": True}
    assert buckets[names["nightly"]]["versioning"] == {"enabled": False}
    (rule,) = buckets[names["nightly"]]["lifecycleRules"]
    assert rule == {"action": {"type": "Delete"}, "condition": {"age": 14}}
    public = of_type(children, "gcp:storage/bucketIAMMember:BucketIAMMember")
    assert {(r["inputs"]["bucket"], r["inputs"]["role"], r["inputs"]["member"]) for r in public} == {
        (n, "roles/storage.objectViewer", "allUsers") for n in names.values()}


def test_identities(repo):
    from infra.buckets import Buckets
    from infra.identities import Identities

    idents = model.identities(repo, load_images(repo), load_jobs(repo))

    def fn(s):
        Identities("i", identities=idents, buckets=Buckets("b", repo=repo, settings=s), settings=s)

    inv = build(fn)
    children = [r for r in inv if r["component"] == "i" and r["name"] != "i"]
    accounts = {r["inputs"]["accountId"] for r in of_type(children, "gcp:serviceaccount/account:Account")}
    assert accounts == {i.name for i in idents if i.gcp}
    assert not of_type(inv, "gcp:serviceaccount/key:Key")
    wi = {r["inputs"]["member"] for r in of_type(children, "gcp:serviceaccount/iAMMember:IAMMember")}
    b = {k: model.bucket_name(v) for k, v in vars(repo.org.buckets).items()}
    grants = {}
    for r in of_type(children, "gcp:storage/bucketIAMMember:BucketIAMMember"):
        i = r["inputs"]
        grants.setdefault(i["member"], set()).add((i["bucket"], i["role"], (i.get("condition") or {}).get("expression")))
    for name in repo.projects:
        for mode, bucket in (("nightly", b["nightly"]), ("full", b["release"])):
            t = repo.org.target(name, mode)
            assert f"serviceAccount:proj.svc.id.goog[{t.namespace}/{t.service_account}]" in wi
            objects = f"projects/_/buckets/{bucket}/objects/{name}"
            # read the bucket; create only under <project>/; replace only latest/ and the run records
            assert grants[f"serviceAccount:{t.service_account}@proj.iam.gserviceaccount.com"] == {
                (bucket, "roles/storage.objectViewer", None),
                (bucket, "projects/proj/roles/plumbingObjectCreator", f"resource.name.startsWith('{objects}/')"),
                (bucket, "projects/proj/roles/plumbingObjectReplacer",
                 f"resource.name.startsWith('{objects}/latest/') || (resource.name.startsWith('{objects}/previous/') && "
                 "(resource.name.endsWith('/logs.txt') || resource.name.endsWith('/outcome.json') || "
                 "resource.name.endsWith('/test-logs.txt') || resource.name.endsWith('/tested.json')))")}
    assert not any(role.endswith("objectUser") for g in grants.values() for _, role, _ in g), "no unconditioned writer"
    roles = {r["inputs"]["roleId"]: r["inputs"]["permissions"]
             for r in of_type(children, "gcp:projects/iAMCustomRole:IAMCustomRole")}
    assert roles == {"plumbingObjectCreator": ["storage.objects.create"],
                     "plumbingObjectReplacer": ["storage.objects.create", "storage.objects.delete"],
                     "plumbingReleaseBreakGlass": ["storage.objects.create", "storage.objects.delete",
                                                   "storage.objects.update"]}
    assert not any(role.endswith("plumbingReleaseBreakGlass") for g in grants.values() for _, role, _ in g)


def test_access(repo):
    from infra.access import Access

    idents = model.identities(repo, load_images(repo), load_jobs(repo))
    inv = build(lambda s: Access("a", repo=repo, identities=idents, emails={}), LOCAL_CONFIG)
    children = assert_component(inv, "plumbing:infra:Access", "a")
    spaces = {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"]["labels"] for r in of_type(children, ":Namespace")}
    own = {repo.org.target(p, m).namespace: (p, m) for p in repo.projects for m in ("nightly", "full")}
    assert set(spaces) == set(repo.org.namespaces.values()) | set(own)
    assert len(own) == 2 * len(repo.projects)
    for ns, (project, mode) in own.items():
        assert spaces[ns]["plumbing.tekton.dev/project"] == project and spaces[ns]["plumbing.tekton.dev/mode"] == mode
    roles = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"]): r["inputs"]["rules"]
             for r in of_type(children, "v1:Role")}
    t = repo.org.target("pipeline", "nightly")
    # the launcher starts runs in its project's nightly namespace only, as that project's runner
    assert roles[(t.namespace, t.service_account + model.LAUNCHER_SUFFIX)] == [
        {"apiGroups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["create", "get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get"], "resourceNames": [t.service_account]}]
    sas = {r["inputs"]["metadata"]["name"]: r["inputs"] for r in of_type(children, ":ServiceAccount")}
    ci_runner = repo.org.service_accounts["ci"]
    assert ("ci", ci_runner) not in roles, "the PR runner runs untrusted code and gets no Kubernetes API access"
    assert sas[ci_runner]["automountServiceAccountToken"] is False
    for project, mode in [(p, m) for p in repo.projects for m in ("nightly", "full")]:
        t = repo.org.target(project, mode)
        # only what `release logs RUN --upload` in the pipeline's finally reads
        assert roles[(t.namespace, t.service_account)] == [
            {"apiGroups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["get"]},
            {"apiGroups": ["tekton.dev"], "resources": ["taskruns"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"]}]
    for binding in of_type(children, "v1:RoleBinding"):
        assert binding["inputs"]["roleRef"]["kind"] == "Role"
        assert binding["inputs"]["roleRef"]["name"] == binding["inputs"]["metadata"]["name"]


def test_secrets(repo):
    from infra.access import Access
    from infra.secret_store import Secrets, docker_config

    specs = model.secrets(repo)

    def fn(s):
        access = Access("a", repo=repo, identities=[], emails={})
        Secrets("s", repo=repo, specs=specs, namespaces=access.namespaces, settings=s)

    inv = build(fn, LOCAL_CONFIG)
    secrets = [r for r in of_type(inv, "core/v1:Secret") if r["component"] == "s"]
    got = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["name"]) for r in secrets}
    assert got == {(s.namespace, s.name) for s in specs}
    assert all(r["inputs"]["stringData"] == "[secret]" for r in secrets)
    notify = repo.org.notify
    assert {s.name for s in specs} >= {notify.slack_webhook_secret, notify.github_token_secret,
                                       model.REGISTRY_SECRET, model.PR_WEBHOOK_SECRET}
    # each project's push credential only in its own namespaces, for its own registry path
    push = {(r["inputs"]["metadata"]["namespace"], r["inputs"]["metadata"]["labels"].get("plumbing.tekton.dev/project"),
             r["inputs"]["metadata"]["annotations"].get("plumbing.tekton.dev/registry-path"))
            for r in secrets if r["inputs"]["metadata"]["name"] == "registry-push"}
    assert push == {(repo.org.target(p, m).namespace, p, repo.org.target(p, m).registry_path)
                    for p in repo.projects for m in ("nightly", "full")}
    import base64
    import json
    cfg = json.loads(docker_config({"ghcr.io"}, "bot", "t0k"))
    assert base64.b64decode(cfg["auths"]["ghcr.io"]["auth"]).decode() == "bot:t0k"


def test_tekton(repo):
    from infra.tekton_install import Tekton, pruner_config

    inv = build(lambda s: Tekton("t", repo=repo, settings=s), LOCAL_CONFIG)
    children = assert_component(inv, "plumbing:infra:Tekton", "t")
    files = sorted(r["inputs"]["file"] for r in of_type(children, "kubernetes:yaml/v2:ConfigFile"))
    base = "https://infra.tekton.dev/tekton-releases"
    assert files == sorted([f"{base}/pipeline/previous/v1.0.0/release.yaml",
                            f"{base}/triggers/previous/v0.31.0/release.yaml",
                            f"{base}/triggers/previous/v0.31.0/interceptors.yaml",
                            f"{base}/dashboard/previous/v0.56.0/release.yaml",  # read-only, not release-full
                            f"{base}/chains/previous/v0.24.0/release.yaml",
                            f"{base}/pruner/previous/v0.3.5/release.yaml"])
    patches = {r["inputs"]["metadata"]["name"]: r["inputs"] for r in of_type(children, "ConfigMapPatch")}
    assert patches["feature-flags"]["data"]["enable-api-fields"] == "beta"
    assert "namespaces:" in patches["tekton-pruner-default-spec"]["data"]["global-config"]
    for ns in repo.org.namespaces.values():
        assert f"  {ns}:" in pruner_config(repo.org.namespaces)
    pruned = patches["tekton-pruner-default-spec"]["data"]["global-config"]
    for project in repo.projects:   # each project's own namespaces, kept as long as their mode's
        assert f"  {project}-release:\n    ttlSecondsAfterFinished: {30 * 86400}\n" in pruned
    (signing,) = of_type(children, "SecretPatch")
    assert signing["inputs"]["stringData"] == "[secret]"


def test_tekton_versions_come_from_stack_config(repo):
    from infra.tekton_install import Tekton

    cfg = {**LOCAL_CONFIG, "plumbing:tektonVersions": '{"pipeline": "v1.3.0"}'}
    inv = build(lambda s: Tekton("t", repo=repo, settings=s), cfg)
    assert any(r["inputs"].get("file", "").endswith("/pipeline/previous/v1.3.0/release.yaml") for r in inv)


def test_a_nightly_pin_installs_from_the_nightly_bucket_pinned_never_latest(repo):
    from infra.tekton_install import Tekton

    cfg = {**LOCAL_CONFIG, "plumbing:tektonVersions": '{"pipeline": "v20261124-1111111111"}',
           "plumbing:channels": '{"pipeline": "nightly"}'}
    inv = build(lambda s: Tekton("t", repo=repo, settings=s), cfg)
    files = [r["inputs"]["file"] for r in inv if r["inputs"].get("file")]
    nightly = repo.org.public_object_url(repo.org.buckets.nightly, "pipeline/previous/v20261124-1111111111/release.yaml")
    assert nightly in files
    assert not any("/latest/" in f for f in files)
    assert any(f.endswith("/triggers/previous/v0.31.0/release.yaml") and "infra.tekton.dev" in f for f in files)


@pytest.mark.parametrize("kind,token", [("nightly", "Nightlies"), ("image", "ImageBuilds"), ("job", "ScheduledJobs")])
def test_cronjob_components(repo, kind, token):
    import infra.schedules as schedules
    from infra.access import Access

    jobs = [j for j in model.scheduled_jobs(repo, load_images(repo), load_jobs(repo)) if j.kind == kind]
    image = repo.org.tool_images["plumbing"]

    def fn(s):
        access = Access("a", repo=repo, identities=[], emails={})
        getattr(schedules, token)("x", jobs=jobs, image=image, namespaces=access.namespaces)

    inv = build(fn, LOCAL_CONFIG)
    cronjobs = assert_component([r for r in inv if r["component"] != "a"], f"plumbing:infra:{token}", "x")
    assert len(cronjobs) == len(jobs) > 0
    by_name = {r["inputs"]["metadata"]["name"]: r for r in cronjobs}
    for job in jobs:
        r = by_name[job.name]
        spec = r["inputs"]["spec"]
        assert r["inputs"]["metadata"]["name"] == job.name
        assert spec["schedule"] == job.schedule and spec["timeZone"] == "Etc/UTC"
        assert spec["concurrencyPolicy"] == "Forbid"
        assert spec["startingDeadlineSeconds"] == schedules.STARTING_DEADLINE
        assert spec["successfulJobsHistoryLimit"] == 3 and spec["failedJobsHistoryLimit"] == 5
        jt = spec["jobTemplate"]["spec"]
        assert jt["activeDeadlineSeconds"] == job.deadline_seconds and jt["backoffLimit"] == 0
        pod = jt["template"]["spec"]
        assert pod["restartPolicy"] == "Never" and pod["serviceAccountName"] == job.service_account
        (c,) = pod["containers"]
        assert c["image"] == image and c["command"] == job.command
        assert c["securityContext"]["runAsNonRoot"] is True and c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert set(c["resources"]) == {"requests", "limits"}
        assert {"name": "PLUMBING_ROOT", "value": model.IMAGE_ROOT} in c["env"]


def test_nightly_command_and_launcher(repo):
    jobs = {j.name: j for j in model.scheduled_jobs(repo, load_images(repo), load_jobs(repo))}
    j = jobs["nightly-pipeline"]
    assert j.command[:4] == ["release", "nightly", "pipeline", "--apply"]
    assert j.service_account == "pipeline-nightly-launcher"
    assert j.namespace == "pipeline-nightly"
    assert jobs["image-build-plumbing"].command[:5] == ["plumbing", "image", "build", "plumbing", "--apply"]
    assert jobs["dashboard-refresh"].command == ["plumbing", "dashboard", "--upload"]
    assert jobs["stale-nightly-watch"].command == ["release", "status"]


def test_main_only_composes_and_runs_under_mocks():
    """infra/__main__.py, as Pulumi runs it (runpy on the folder), declares the same program."""
    import runpy

    text = (ROOT / "infra" / "__main__.py").read_text()
    assert "compose()" in text and "Resource(" not in text and "k8s." not in text
    cfg = {"plumbing:target": "existing", "plumbing:kubeContext": "kind-x", **SECRETS,
           "plumbing:plumbingImage": "ghcr.io/tektoncd/plumbing/plumbing@sha256:" + "1" * 64}
    inv = inventory(run_under_mocks(lambda: runpy.run_path(str(ROOT / "infra"), run_name="__main__"),
                                    cfg, list(SECRETS)))
    tokens = {r["type"] for r in inv if r["type"].startswith("plumbing:infra:")}
    assert tokens == {"plumbing:infra:Cluster", "plumbing:infra:Access", "plumbing:infra:Secrets",
                      "plumbing:infra:Tekton", "plumbing:infra:Nightlies", "plumbing:infra:ImageBuilds",
                      "plumbing:infra:ScheduledJobs", "plumbing:infra:PostReleaseTests",
                      "plumbing:infra:Deployer"}
