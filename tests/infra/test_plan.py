"""`plumbing infra plan`: both stacks plan offline, JSON shape, grouping, diff, errors."""

from __future__ import annotations

import json
import shutil
import socket

import pytest
from click.testing import CliRunner

from plumbing.cli.main import plumbing
from plumbing.inventory import report as inv
from plumbing.inventory.mocks import plan, stack_config, stacks

from .conftest import ROOT, of_type


def run_cli(*args):
    return CliRunner().invoke(plumbing, ["infra", *args, "--root", str(ROOT)])


@pytest.mark.parametrize("stack_name", ["dogfooding", "local"])
def test_plan_json_succeeds_for_each_stack(stack_name):
    result = run_cli("plan", "-s", stack_name, "--output", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["stack"] == stack_name
    assert data["resources"]
    for r in data["resources"]:
        assert set(r) >= {"type", "name", "inputs"} and isinstance(r["inputs"], dict)
    assert "placeholder-for-" not in result.stdout, "a config secret reached the output unmarked"


def test_plan_text_groups_by_component():
    result = run_cli("plan", "-s", "dogfooding")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for comp in ("cluster (plumbing:infra:Cluster", "buckets (plumbing:infra:Buckets", "identities (",
                 "access (", "secrets (", "tekton (", "nightlies (", "image-builds (", "jobs ("):
        assert comp in out
    assert "schedule='0 3 * * *'" in out and "release nightly pipeline --apply" in out


def test_every_resource_belongs_to_a_component(inventory):
    components = {r["name"] for r in inventory if r["type"].startswith("plumbing:infra:")}
    for r in inventory:
        assert r["component"] in components, f"{r['type']} {r['name']} is outside any component"


def test_local_stack_has_no_cloud_resources(local):
    assert not [r for r in local if r["type"].startswith("gcp:")]
    provider = of_type(local, "pulumi:providers:kubernetes")
    assert [p["inputs"].get("context") for p in provider] == ["kind-plumbing"]
    # no Workload Identity annotation without GKE
    for sa in of_type(local, ":ServiceAccount"):
        assert "iam.gke.io/gcp-service-account" not in (sa["inputs"]["metadata"].get("annotations") or {})


def test_unknown_stack_is_one_line_exit_2():
    result = run_cli("plan", "-s", "prod")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown stack 'prod'" in result.stderr and "dogfooding, local" in result.stderr


def test_stacks_are_the_stack_files():
    assert stacks(ROOT) == ["dogfooding", "local"]


def test_diff_reports_added_removed_changed(tmp_path, dogfooding):
    saved = [r for r in dogfooding if r["name"] != "nightlies-nightly-cli"]          # cli added since
    saved.append({"type": "kubernetes:batch/v1:CronJob", "name": "nightlies-nightly-gone", "inputs": {}})
    for r in saved:
        if r["name"] == "nightlies-nightly-pipeline":
            r["inputs"]["spec"]["schedule"] = "0 2 * * *"
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"resources": saved}))
    result = run_cli("plan", "-s", "dogfooding", "--diff", str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1 to add, 1 to change, 1 to remove" in out
    assert "+ kubernetes:batch/v1:CronJob  nightlies-nightly-cli" in out
    assert "- kubernetes:batch/v1:CronJob  nightlies-nightly-gone" in out
    assert 'spec.schedule: "0 2 * * *" -> "0 3 * * *"' in out
    as_json = json.loads(run_cli("plan", "-s", "dogfooding", "--diff", str(path), "--output", "json").stdout)
    assert [c["name"] for c in as_json["changed"]] == ["nightlies-nightly-pipeline"]


def test_diff_of_identical_inventories_is_empty(dogfooding):
    assert inv.format_diff(inv.diff(dogfooding, dogfooding)) == "no changes"


def test_diff_rejects_a_file_that_is_not_an_inventory(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"resources": 3}')
    result = run_cli("plan", "--diff", str(bad))
    assert result.exit_code == 2 and "not an inventory" in result.stderr
    bad.write_text("{nope")
    result = run_cli("plan", "--diff", str(bad))
    assert result.exit_code == 2 and "not JSON" in result.stderr


def test_plan_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the offline plan opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert plan(ROOT, "dogfooding")


def test_fresh_checkout_copy_plans(tmp_path):
    """Only files in git are needed: config, program, stack files (no state, no CLI)."""
    for name in ("plumbing.yaml", "Pulumi.yaml", "Pulumi.dogfooding.yaml", "Pulumi.local.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("releases", "images", "cronjobs", "pipelines", "tasks"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copytree(ROOT / "infra", tmp_path / "infra", ignore=shutil.ignore_patterns("__pycache__"))
    resources = plan(tmp_path, "local")
    assert of_type(resources, "kubernetes:batch/v1:CronJob")


def test_a_new_project_file_adds_its_nightly_cronjob(tmp_path):
    for name in ("plumbing.yaml", "Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("releases", "images", "cronjobs"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "releases" / "results.yaml").write_text(
        "name: results\nrepository: https://github.com/tektoncd/results\npackage: github.com/tektoncd/results\n"
        "images: [api]\nnightly:\n  schedule: \"0 9 * * *\"\n")
    resources = plan(tmp_path, "local", program_root=ROOT)
    jobs = {r["inputs"]["metadata"]["name"]: r for r in of_type(resources, "kubernetes:batch/v1:CronJob")}
    assert jobs["nightly-results"]["inputs"]["spec"]["schedule"] == "0 9 * * *"


def test_invalid_config_is_one_line_exit_2(tmp_path):
    for name in ("plumbing.yaml", "Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("releases", "images", "cronjobs", "infra"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "images" / "plumbing" / "image.yaml").write_text("image: ghcr.io/x/y\nplatforms: []\nschedule: x\n")
    result = CliRunner().invoke(plumbing, ["infra", "plan", "-s", "local", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert "images/plumbing/image.yaml:" in result.stderr and result.stderr.strip().count("\n") == 0


def test_stack_config_secure_values_become_placeholders(tmp_path):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  plumbing:githubToken:\n    secure: AAABAOpaque\n  gcp:project: p\n  nodesMax: 3\n"
        "  plumbing:tektonVersions: {pipeline: v1.0.0}\n")
    config, secret_keys = stack_config(tmp_path, "x")
    assert config["plumbing:githubToken"].startswith("placeholder-for-") and "AAAB" not in config["plumbing:githubToken"]
    assert secret_keys == ["plumbing:githubToken"]
    assert config["plumbing:nodesMax"] == "3"
    assert json.loads(config["plumbing:tektonVersions"]) == {"pipeline": "v1.0.0"}


def test_secrets_command_lists_what_the_program_requires():
    result = run_cli("secrets", "-s", "dogfooding", "--output", "json")
    assert result.exit_code == 0, result.output
    keys = {row["key"] for row in json.loads(result.stdout)["secrets"]}
    assert {"plumbing:slackWebhookUrl", "plumbing:githubToken", "plumbing:registryToken",
            "plumbing:prWebhookSecret"} <= keys


def test_diff_is_symmetric_and_complete():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    resource = st.fixed_dictionaries({
        "type": st.sampled_from(["a:b:C", "k:v1:D"]), "name": st.text("xyz", min_size=1, max_size=3),
        "inputs": st.dictionaries(st.sampled_from(["p", "q"]), st.integers(0, 2) | st.lists(st.integers(0, 2), max_size=2)),
    })
    unique = st.lists(resource, max_size=6, unique_by=lambda r: (r["type"], r["name"]))

    @settings(max_examples=60, deadline=None)
    @given(unique, unique)
    def check(a, b):
        ab, ba = inv.diff(a, b), inv.diff(b, a)
        assert sorted(map(str, ab["added"])) == sorted(map(str, ba["removed"]))
        assert sorted((c["type"], c["name"]) for c in ab["changed"]) == sorted((c["type"], c["name"]) for c in ba["changed"])
        assert inv.diff(a, a) == {"added": [], "removed": [], "changed": []}
        keys_a = {(r["type"], r["name"]) for r in a}
        keys_b = {(r["type"], r["name"]) for r in b}
        assert {(x["type"], x["name"]) for x in ab["added"]} == keys_b - keys_a

    check()


def test_the_plan_leaves_pulumi_as_it_found_it():
    """The source-position walk is skipped only while the program runs under our mocks."""
    from pulumi.runtime import resource as runtime_resource

    from plumbing.inventory.mocks import run_under_mocks

    before = runtime_resource._get_stack_trace

    def boom():
        raise RuntimeError("the program failed")

    with pytest.raises(RuntimeError, match="the program failed"):
        run_under_mocks(boom, {})
    assert runtime_resource._get_stack_trace is before
