"""Each released project isolated (issue 15): under Pulumi's mocks, for the shipped projects and
a generated 30-project organisation, nothing can write another project's bucket prefix or
registry path, nothing can replace or delete a published release, and each isolation policy
reports a hand-made breach naming the resource and the project."""

from __future__ import annotations

import asyncio
import copy
import functools
from pathlib import Path

import pytest

from plumbing.ci_images import load_images
from plumbing.config import load_repo
from plumbing.cronjobs import load_jobs
from plumbing.findings import ConfigError
from plumbing.inventory import desired as model
from plumbing.inventory import isolation_policies as iso
from plumbing.inventory import policies as policy

from .conftest import ROOT, named, of_type
from .orgs import project_name, write_org

BUCKET_IAM = "gcp:storage/bucketIAMMember:BucketIAMMember"
WI = "gcp:serviceaccount/iAMMember:IAMMember"
SCALE = 30


@functools.cache
def _org_inventory(count: int, base: str) -> tuple:
    from plumbing.inventory.mocks import plan

    root = write_org(Path(base) / f"org-{count}", count)
    return tuple(plan(root, "dogfooding", program_root=ROOT)), root


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    # module-scoped, so set up before conftest's per-test event loop: Pulumi's mocks need one
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        inv, root = _org_inventory(SCALE, str(tmp_path_factory.mktemp("scale")))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return copy.deepcopy(list(inv)), root


def _counts(inv):
    spaces = [r for r in of_type(inv, "core/v1:Namespace")
              if "plumbing.tekton.dev/project" in r["inputs"]["metadata"]["labels"]]
    accounts = of_type(inv, "gcp:serviceaccount/account:Account")
    return {"namespaces": len(spaces),
            "project accounts": sum(1 for a in accounts if (a["inputs"].get("description") or "").startswith(
                "plumbing.tekton.dev/project=")),
            "push secrets": sum(1 for r in of_type(inv, "core/v1:Secret")
                                if r["inputs"]["metadata"]["name"] == "registry-push"),
            "conditioned writes": sum(1 for r in of_type(inv, BUCKET_IAM) if r["inputs"].get("condition")),
            "nightly cronjobs": sum(1 for r in of_type(inv, "batch/v1:CronJob")
                                    if r["inputs"]["metadata"]["name"].startswith("nightly-"))}


def _expected_counts(projects: int, nightlies: int) -> dict:
    return {"namespaces": 2 * projects,
            "project accounts": 2 * projects + nightlies,         # a runner per mode, a launcher per nightly
            "push secrets": 2 * projects,
            # create + replace per runner; the dashboard job; the post-release tester's verdicts (2 buckets);
            # and the deployer's records under deploys/<stack>/ of the logs bucket
            "conditioned writes": 2 * 2 * projects + 1 + 2 + 1,
            "nightly cronjobs": nightlies}


def test_shipped_projects_counts_and_policies(dogfooding):
    repo = load_repo(ROOT)
    nightlies = sum(1 for p in repo.projects.values() if p.has_nightly)
    assert _counts(dogfooding) == _expected_counts(len(repo.projects), nightlies)
    assert policy.check(dogfooding) == []


def test_thirty_projects_counts_policies_and_coverage(big):
    inv, root = big
    assert _counts(inv) == _expected_counts(SCALE, SCALE)
    assert policy.check(inv) == []
    from plumbing.inventory.commands import expected_jobs

    assert policy.coverage(inv, expected_jobs(root, "dogfooding")) == []
    # every project runs its nightly from its own namespace, as its own launcher
    for r in of_type(inv, "batch/v1:CronJob"):
        meta = r["inputs"]["metadata"]
        if meta["name"].startswith("nightly-"):
            project = meta["name"].removeprefix("nightly-")
            pod = r["inputs"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            assert (meta["namespace"], pod["serviceAccountName"]) == (f"{project}-nightly", f"{project}-nightly-launcher")


def test_thirty_projects_one_wrong_prefix_is_named(big):
    inv, _ = big
    bad = copy.deepcopy(inv)
    grant = named(bad, "identities-project-07-release-release-plumbingObjectCreator")
    grant["inputs"]["condition"]["expression"] = grant["inputs"]["condition"]["expression"].replace(
        "/objects/project-07/", "/objects/project-08/")
    found = policy.check(bad)
    assert found == [("project-prefixes",
                      f"{BUCKET_IAM} identities-project-07-release-release-plumbingObjectCreator: "
                      "project-07-release (project project-07) can write other projects' prefixes in tekton-releases: project-08/")]


def _add(inv, type_, name, inputs):
    inv.append({"type": type_, "name": name, "component": "x", "inputs": inputs})
    return inv


def _grant(role, member, expression=None, bucket="tekton-releases"):
    inputs = {"bucket": bucket, "role": role, "member": member}
    if expression is not None:
        inputs["condition"] = {"title": "t", "expression": expression}
    return lambda inv: _add(inv, BUCKET_IAM, "bad-binding", inputs)


def _condition(resource, replace):
    def mutate(inv):
        cond = named(inv, resource)["inputs"]["condition"]
        cond["expression"] = replace(cond["expression"])
        return inv
    return mutate


def _meta(resource, **changes):
    def mutate(inv):
        meta = named(inv, resource)["inputs"]["metadata"]
        for key, value in changes.items():
            if isinstance(value, dict):
                meta[key].update(value)
            else:
                meta[key] = value
        return inv
    return mutate


SHARED = "serviceAccount:release-full@tekton-releases.iam.gserviceaccount.com"
PIPELINE = "serviceAccount:pipeline-release@tekton-releases.iam.gserviceaccount.com"
OBJ = "projects/_/buckets/tekton-releases/objects"
CREATOR = "identities-pipeline-release-release-plumbingObjectCreator"
REPLACER = "identities-pipeline-release-release-plumbingObjectReplacer"
PUSH = "secrets-pipeline-release-registry-push"

BAD = {
    "prefix-condition": [
        # the old shared writer: objectUser on the whole release bucket
        ("bad-binding", "release-full", _grant("roles/storage.objectUser", SHARED)),
        ("bad-binding", "pipeline", _grant("roles/storage.objectCreator", PIPELINE)),
        ("bad-project", None, lambda inv: _add(inv, "gcp:projects/iAMMember:IAMMember", "bad-project",
                                               {"project": "p", "role": "roles/storage.objectAdmin", "member": PIPELINE})),
    ],
    "project-prefixes": [
        (CREATOR, "prefixes in tekton-releases: triggers/", _condition(CREATOR, lambda e: e.replace("/objects/pipeline/", "/objects/triggers/"))),
        (CREATOR, "cli/, dashboard/", _condition(CREATOR, lambda e: f"true || {e}")),
        (CREATOR, "chains/", _condition(CREATOR, lambda e: e.replace("/objects/pipeline/", "/objects/"))),
        ("bad-binding", "shared release account", _grant("projects/tekton-releases/roles/plumbingObjectCreator", SHARED,
                                                         f"resource.name.startsWith('{OBJ}/triggers/')")),
    ],
    "published-immutable": [
        (REPLACER, "pipeline/previous/", _condition(REPLACER, lambda _: f"resource.name.startsWith('{OBJ}/pipeline/')")),
        ("bad-binding", "pipeline/previous/", _grant("roles/storage.objectUser", PIPELINE,
                                                     f"resource.name.startsWith('{OBJ}/pipeline/')")),
        ("bad-binding", "pipeline/previous/", _grant("roles/storage.legacyObjectOwner", PIPELINE,
                                                     f"resource.name.startsWith('{OBJ}/pipeline/previous/')")),
    ],
    "break-glass-unbound": [
        ("bad-binding", "plumbingReleaseBreakGlass", _grant("projects/tekton-releases/roles/plumbingReleaseBreakGlass",
                                                            "user:someone@example.com",
                                                            f"resource.name.startsWith('{OBJ}/pipeline/previous/')")),
    ],
    "registry-paths": [
        (PUSH, "project pipeline", _meta(PUSH, namespace="triggers-release")),
        (PUSH, "project pipeline", _meta(PUSH, annotations={"plumbing.tekton.dev/registry-path": "ghcr.io/tektoncd/triggers"})),
        ("bad-secret", "project pipeline", lambda inv: _add(inv, "kubernetes:core/v1:Secret", "bad-secret", {
            "metadata": {"name": "registry-credentials", "namespace": "pipeline-release"},
            "stringData": {"config.json": "[secret]"}})),
    ],
    "registry-repositories": [
        ("bad-ar", "project pipeline", lambda inv: _add(inv, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
                                                        "bad-ar", {"repository": "triggers", "location": "us",
                                                                   "role": "roles/artifactregistry.writer", "member": PIPELINE})),
        ("bad-ar-project", "every project's repository", lambda inv: _add(
            inv, "gcp:projects/iAMMember:IAMMember", "bad-ar-project",
            {"project": "p", "role": "roles/artifactregistry.writer", "member": PIPELINE})),
    ],
    "no-shared-accounts": [
        ("bad-wi", "pipeline-release@", lambda inv: _add(inv, WI, "bad-wi", {
            "member": "serviceAccount:tekton-releases.svc.id.goog[triggers-release/triggers-release]",
            "role": "roles/iam.workloadIdentityUser",
            "serviceAccountId": named(inv, "identities-pipeline-release-workload-identity")
            ["inputs"]["serviceAccountId"]})),
    ],
}
CASES = [(pid, i, name, word, fn) for pid, cases in BAD.items() for i, (name, word, fn) in enumerate(cases)]


def test_every_isolation_policy_has_a_failing_case():
    assert set(BAD) == set(iso.POLICIES)


@pytest.mark.parametrize("pid,i,name,word,mutate", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_isolation_policy_names_the_resource_and_project(dogfooding, pid, i, name, word, mutate):
    bad = mutate(copy.deepcopy(dogfooding))
    found = list(iso.POLICIES[pid](bad))
    assert found, f"{pid} missed case {i}"
    assert any(m.split(" ", 2)[1].rstrip(":") == name for m in found), found
    if word:
        assert any(word in m for m in found), found
    assert pid in {p for p, _ in policy.check(bad)}


def test_conditions_are_evaluated_not_read():
    run_record = "resource.name.startsWith('projects/_/buckets/b/objects/p/') && resource.name.endsWith('/logs.txt')"
    assert iso.allows(run_record, "b", "p/previous/v1/logs.txt")
    assert not iso.allows(run_record, "b", "p/previous/v1/release.yaml")
    assert not iso.allows(run_record, "b", "q/previous/v1/logs.txt")
    assert iso.allows(None, "b", "anything") and iso.allows("1 +", "b", "x"), "no or broken condition: allows"


def _scratch(tmp_path, count=2, **isolation):
    root = write_org(tmp_path, count)
    if isolation:
        text = (root / "plumbing.yaml").read_text()
        for key, value in isolation.items():
            text = text.replace(f'  {key}: "{{project}}-{{mode}}"', f'  {key}: "{value}"')
        (root / "plumbing.yaml").write_text(text)
    return root


def test_adding_a_project_adds_its_namespaces_and_identities_without_code(tmp_path):
    repo = load_repo(_scratch(tmp_path, 3))
    idents = model.identities(repo, load_images(repo), load_jobs(repo))
    runners = {(i.namespace, i.name, i.project) for i in idents if i.project and i.grants and len(i.grants) == 3}
    assert runners == {(f"{project_name(n)}-{m}", f"{project_name(n)}-{m}", project_name(n))
                       for n in range(3) for m in ("nightly", "release")}


def test_isolation_patterns_must_name_project_and_mode(tmp_path):
    root = _scratch(tmp_path, namespace="releases-{project}")
    with pytest.raises(ConfigError) as info:
        load_repo(root)
    assert "\n" not in str(info.value)
    assert "plumbing.yaml:" in str(info.value)
    assert "isolation.namespace: 'releases-{project}' must use exactly {project} and {mode}" in str(info.value)


def test_a_project_name_too_long_for_its_namespace_is_one_line(tmp_path):
    root = _scratch(tmp_path, 1)
    name = "p" * 60
    (root / "releases" / f"{name}.yaml").write_text(
        f"name: {name}\nrepository: https://github.com/example/x\npackage: github.com/example/x\nimages: [a]\n")
    with pytest.raises(ConfigError) as info:
        load_repo(root)
    assert str(info.value).startswith(f"releases/{name}.yaml:1:1: error release-config name: gives the namespace")


def test_long_project_names_get_unique_short_google_accounts(tmp_path):
    root = _scratch(tmp_path, 0)
    for name in ("results-watcher-for-everyone", "results-watcher-for-everyone-else"):
        (root / "releases" / f"{name}.yaml").write_text(
            f"name: {name}\nrepository: https://github.com/example/x\npackage: github.com/example/x\nimages: [a]\n")
    repo = load_repo(root)
    ids = [i.gcp_id for i in model.identities(repo, load_images(repo), load_jobs(repo)) if i.gcp]
    assert len(set(ids)) == len(ids) and all(6 <= len(i) <= 30 for i in ids)


def test_artifact_registry_gets_a_repository_per_project_and_no_push_token(tmp_path):
    from plumbing.inventory.mocks import plan
    from plumbing.release.plan import make_plan

    root = write_org(tmp_path, 3)
    text = (root / "plumbing.yaml").read_text()
    (root / "plumbing.yaml").write_text(text.replace("  release: ghcr.io/tektoncd\n",
                                                     "  release: us-docker.pkg.dev/tekton-releases\n"))
    inv = plan(root, "dogfooding", program_root=ROOT)
    assert policy.check(inv) == []
    repos = {r["inputs"]["repositoryId"] for r in of_type(inv, "artifactregistry/repository:Repository")}
    assert repos == {project_name(n) for n in range(3)}
    writers = {(r["inputs"]["repository"], r["inputs"]["member"])
               for r in of_type(inv, "artifactregistry/repositoryIamMember:RepositoryIamMember")}
    assert writers == {(project_name(n), f"serviceAccount:{project_name(n)}-release@tekton-releases.iam.gserviceaccount.com")
                       for n in range(3)}
    push = {r["inputs"]["metadata"]["namespace"] for r in of_type(inv, "core/v1:Secret")
            if r["inputs"]["metadata"]["name"] == "registry-push"}
    assert push == {f"{project_name(n)}-nightly" for n in range(3)}, "ghcr.io nightlies keep a token; AR needs none"
    repo = load_repo(root)
    full = make_plan(repo, project_name(1), "full", version="v1.0.0", revision="a" * 40)
    assert full.ko_docker_repo == "us-docker.pkg.dev/tekton-releases/project-01"
    assert full.cluster["push_secret"] is None
    # another project's runner on this repository: named
    bad = copy.deepcopy(inv)
    (member,) = [r for r in of_type(bad, "RepositoryIamMember") if r["inputs"]["repository"] == "project-01"]
    member["inputs"]["member"] = "serviceAccount:project-02-release@tekton-releases.iam.gserviceaccount.com"
    assert list(iso.POLICIES["registry-repositories"](bad)) == [
        f"gcp:artifactregistry/repositoryIamMember:RepositoryIamMember {member['name']}: project-02-release "
        "(project project-02) can push to project project-01's repository"]


def test_an_artifact_registry_path_with_a_repository_is_one_line(tmp_path):
    root = write_org(tmp_path, 1)
    text = (root / "plumbing.yaml").read_text()
    (root / "plumbing.yaml").write_text(text.replace("  release: ghcr.io/tektoncd\n",
                                                     "  release: us-docker.pkg.dev/tekton-releases/shared\n"))
    repo = load_repo(root)
    with pytest.raises(ConfigError) as info:
        model.secrets(repo)
    assert str(info.value).startswith("registry 'us-docker.pkg.dev/tekton-releases/shared': an Artifact Registry path")
