"""post_release_test in releases/<project>.yaml: defaults, checks, and the install order."""

from __future__ import annotations

import pytest

from plumbing.config import check_repo, load_repo
from plumbing.posttest.order import UNDER_TEST, DependencyCycle, Install, install_order


def messages(root) -> list[str]:
    return [f.format() for f in check_repo(root)[1]]


def test_every_project_ships_settings_and_triggers_installs_pipelines_first(repo_root):
    repo = load_repo(repo_root)
    for project in repo.projects.values():
        assert "post_release_test" in project.data
    assert install_order(repo.projects, "triggers") == [
        Install("pipeline", "newest-full", ("release.yaml",)),
        Install("triggers", UNDER_TEST, ("release.yaml", "interceptors.yaml"))]
    assert [i.project for i in install_order(repo.projects, "dashboard")] == ["pipeline", "dashboard"]
    assert repo.project("dashboard").post_release_test.deployments == ("tekton-dashboard",)
    assert repo.project("pipeline").post_release_test.deployments is None  # every Deployment installed


def test_defaults(scratch_repo):
    path = scratch_repo / "releases" / "operator.yaml"
    text = path.read_text()
    path.write_text(text[:text.index("# The operator")])
    test = load_repo(scratch_repo).project("operator").post_release_test
    assert (test.enabled, test.install, test.needs, test.deployments, test.crds, test.smoke, test.command,
            test.timeout) == (True, ("release.yaml",), (), None, True, (), None, "1h")


@pytest.mark.parametrize("change, expected", [
    ("install: [release.yaml, interceptors.yaml]", "'interceptors.yaml' is not a file this release publishes"),
    ("install: [release.yaml]\n  timeout: soon", "post_release_test.timeout: 'soon' is not a duration"),
    ("install: [release.yaml]\n  smoke: [examples/../../etc/passwd.yaml]", "leaves the repository"),
    ("install: [release.yaml]\n  needs: [{project: nosuch, version: newest-full}]", "unknown project 'nosuch'"),
    ("install: [release.yaml]\n  needs: [{project: pipeline, version: latest}]", "newest-full, newest-nightly or vX.Y.Z"),
    ("install: [release.yaml]\n  needs: [{project: triggers, version: newest-full, install: [x.yaml]}]",
     "triggers publishes no 'x.yaml'"),
])
def test_mistakes_name_file_line_and_field(scratch_repo, change, expected):
    path = scratch_repo / "releases" / "operator.yaml"
    text = path.read_text()
    path.write_text(text[:text.index("# The operator")] + f"post_release_test:\n  {change}\n")
    out = messages(scratch_repo)
    assert len(out) == 1, out
    assert out[0].startswith("releases/operator.yaml:") and expected in out[0], out[0]


def test_a_dependency_cycle_is_refused(scratch_repo):
    path = scratch_repo / "releases" / "pipeline.yaml"
    path.write_text(path.read_text().replace(
        "  install: [release.yaml]\n", "  install: [release.yaml]\n  needs: [{project: triggers, version: newest-full}]\n"))
    out = messages(scratch_repo)
    assert any("dependency cycle pipeline -> triggers -> pipeline" in line for line in out), out
    repo, _ = check_repo(scratch_repo)
    with pytest.raises(DependencyCycle):
        install_order(repo.projects, "triggers")
