"""Pulumi.yaml and the stack files: the program's entry, only infrastructure knobs, no
plaintext secret; cronjobs/ schema."""

from __future__ import annotations

import shutil

import pytest
import yaml

from plumbing.cronjobs import check_jobs, load_jobs
from plumbing.findings import ConfigError
from plumbing.inventory.mocks import stacks

from .conftest import ROOT

# What a stack file may set: infrastructure only (cloud project, region, sizes, versions).
KNOBS = {"gcp:project", "gcp:region", "plumbing:target", "plumbing:bucketLocation", "plumbing:machineType",
         "plumbing:nodesMin", "plumbing:nodesMax", "plumbing:diskSizeGb", "plumbing:releaseChannel",
         "plumbing:nightlyRetentionDays", "plumbing:registryUsername", "plumbing:tektonVersions",
         "plumbing:kubeContext", "plumbing:channels",
         "plumbing:githubOrg", "plumbing:githubAdopt"}
SECRETISH = ("token", "secret", "password", "webhook", "cosign", "key")


def test_pulumi_yaml_runs_the_infra_folder():
    data = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert data["runtime"]["name"] == "python" and data["main"] == "infra/"
    assert (ROOT / "infra" / "__main__.py").is_file()


@pytest.mark.parametrize("stack", ["dogfooding", "local"])
def test_stack_files_hold_only_knobs_and_no_plaintext_secret(stack):
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            continue
        assert not any(s in key.lower() for s in SECRETISH), f"Pulumi.{stack}.yaml: {key} looks secret but is plaintext"
        assert key in KNOBS, f"Pulumi.{stack}.yaml: {key} is not an infrastructure knob"


def test_local_stack_has_no_cloud_config():
    config = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())["config"]
    assert config["plumbing:target"] == "existing"
    assert not [k for k in config if k.startswith("gcp:")]


def test_stacks():
    assert stacks(ROOT) == ["dogfooding", "local"]


def test_shipped_cronjobs_load():
    from plumbing.config import load_repo

    jobs = load_jobs(load_repo(ROOT))
    assert set(jobs) == {"dashboard-refresh", "stale-nightly-watch", "version-promotion"}
    assert jobs["dashboard-refresh"]["buckets"]["logs"] == "writer"


@pytest.mark.parametrize("text,needle", [
    ("description: d\nschedule: '* * * * *'\nnamespace: ci\ncommand: [x]\ndeadline: 10m\n"
     "rules: [{api_groups: ['*'], resources: [pods], verbs: [get]}]\n", "wildcards"),
    ("description: d\nschedule: '* * * * *'\nnamespace: ci\ncommand: [x]\ndeadline: 30h\n", "between 1m and 24h"),
    ("description: d\nschedule: 'nope'\nnamespace: ci\ncommand: [x]\ndeadline: 10m\n", "invalid cron"),
    ("description: d\nschedule: '* * * * *'\nnamespace: prod\ncommand: [x]\ndeadline: 10m\n", "namespace"),
    ("description: d\nschedule: '* * * * *'\nnamespace: ci\ncommand: [x]\ndeadline: 10m\n"
     "rules: [{api_groups: [''], resources: [pods], verbs: ['*']}]\n", "verbs"),
])
def test_bad_cronjob_files_are_reported(tmp_path, text, needle):
    (tmp_path / "cronjobs").mkdir()
    (tmp_path / "cronjobs" / "bad.yaml").write_text(text)
    jobs, found = check_jobs(tmp_path)
    assert found and needle in found[0].message and found[0].path == "cronjobs/bad.yaml"
    shutil.copy(ROOT / "plumbing.yaml", tmp_path / "plumbing.yaml")
    shutil.copytree(ROOT / "releases", tmp_path / "releases")
    from plumbing.config import load_repo

    with pytest.raises(ConfigError, match="cronjobs/bad.yaml"):
        load_jobs(load_repo(tmp_path))


@pytest.mark.parametrize("extra,needle", [
    ("  plumbing:nodeMax: '4'\n", "unknown config key 'plumbing:nodeMax'"),
    ("  plumbing:target: cloud\n", "plumbing:target must be gke or existing"),
    ("  plumbing:tektonVersions: {pipeline: latest}\n", "is not a pinned version"),
    ("  plumbing:tektonVersions: {results: v0.1.0}\n", "unknown component 'results'"),
    ("  plumbing:tektonVersions: {pipeline: v1.0}\n", "is not a pinned version"),
    ("  plumbing:channels: {pipeline: weekly}\n", "'weekly' is not a channel"),
    ("  plumbing:channels: {results: nightly}\n", "plumbing:channels: unknown component 'results'"),
])
def test_bad_stack_config_is_one_line_exit_2(tmp_path, extra, needle):
    from click.testing import CliRunner

    from plumbing.cli.main import plumbing

    for name in ("plumbing.yaml", "Pulumi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("releases", "images", "cronjobs", "infra"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  plumbing:kubeContext: k\n" + extra)
    if "target" not in extra:
        (tmp_path / "Pulumi.x.yaml").write_text((tmp_path / "Pulumi.x.yaml").read_text() + "  plumbing:target: existing\n")
    result = CliRunner().invoke(plumbing, ["infra", "plan", "-s", "x", "--root", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert needle in result.stderr and result.stderr.strip().count("\n") == 0


def test_gke_stack_without_project_is_one_line_exit_2(tmp_path):
    from click.testing import CliRunner

    from plumbing.cli.main import plumbing

    for name in ("plumbing.yaml", "Pulumi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("releases", "images", "cronjobs", "infra"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  plumbing:target: gke\n  gcp:region: r\n")
    result = CliRunner().invoke(plumbing, ["infra", "plan", "-s", "x", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "gcp:project: required when plumbing:target is gke" in result.stderr


def test_job_names_that_cannot_name_a_google_service_account_are_refused(tmp_path):
    from plumbing.ci_images import load_images
    from plumbing.config import load_repo
    from plumbing.inventory import desired as model

    shutil.copy(ROOT / "plumbing.yaml", tmp_path / "plumbing.yaml")
    shutil.copytree(ROOT / "releases", tmp_path / "releases")
    (tmp_path / "cronjobs").mkdir()
    body = "description: d\nschedule: '0 1 * * *'\nnamespace: ci\ncommand: [x]\ndeadline: 10m\nbuckets: {logs: reader}\n"
    (tmp_path / "cronjobs" / "job.yaml").write_text(body)
    repo = load_repo(tmp_path)
    with pytest.raises(ConfigError, match="at least 6 characters"):
        model.identities(repo, load_images(repo), load_jobs(repo))
    (tmp_path / "cronjobs" / "job.yaml").unlink()
    (tmp_path / "cronjobs" / "a-very-long-job-name-for-a-google-account.yaml").write_text(body)
    (long,) = [i for i in model.identities(repo, load_images(repo), load_jobs(repo)) if i.name.startswith("a-very")]
    assert long.gcp_id.startswith("a-very-long-job-name-fo-") and len(long.gcp_id) == 30   # shortened, hashed
    (tmp_path / "cronjobs" / "a-very-long-job-name-for-a-google-account.yaml").unlink()
    (tmp_path / "cronjobs" / "ci-runner.yaml").write_text(body)   # clashes with service_accounts.ci
    with pytest.raises(ConfigError, match="two identities share"):
        model.identities(repo, load_images(repo), load_jobs(repo))
