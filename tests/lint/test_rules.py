"""Every rule has a failing and a passing fixture (in its registration), checked here."""

from __future__ import annotations

import shutil

import pytest

from plumbing.lint.registry import all_rules

RULES = all_rules()
ENGINE_RULES = {"file-read", "internal-error", "plumbing-config", "release-config", "image-config",
                "cronjob-config", "github-config",
                "config-unsafe-value", "config-unpinned-image", "config-read"}
TEKTON = sorted(r for r in RULES if r not in ENGINE_RULES)


def test_registry_shape():
    assert len(RULES) >= 80
    for r in RULES.values():
        assert r.id == r.id.lower() and " " not in r.id, r.id
        assert r.severity in ("error", "warning", "info"), r.id
        assert r.doc and r.fix, r.id


@pytest.mark.parametrize("rule_id", TEKTON)
def test_bad_fixture_fails(rule_id, lint_text):
    r = RULES[rule_id]
    assert r.bad.strip(), f"{rule_id} has no failing fixture"
    found = [f for f in lint_text(r.bad).findings if f.rule == rule_id]
    assert found, f"{rule_id}: failing fixture not reported"
    assert all(f.line >= 1 and f.column >= 1 for f in found)


@pytest.mark.parametrize("rule_id", TEKTON)
def test_good_fixture_passes(rule_id, lint_text):
    r = RULES[rule_id]
    assert r.good.strip(), f"{rule_id} has no passing fixture"
    result = lint_text(r.good)
    errors = [f.format() for f in result.findings if f.severity == "error" or f.rule == rule_id]
    assert not errors, f"{rule_id}: passing fixture reported: {errors}"
    assert result.skipped == 0 or rule_id == "yaml-syntax"


def test_file_read_fixture(tmp_path):
    from plumbing.lint.engine import lint_paths

    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: \xff\xfe\n")
    good = tmp_path / "good.yaml"
    good.write_bytes(b"a: 1\n")
    assert [f.rule for f in lint_paths([str(bad)]).findings] == ["file-read"]
    assert lint_paths([str(good)]).findings == []


@pytest.mark.parametrize("rule_id,rel", [("plumbing-config", "plumbing.yaml"),
                                         ("release-config", "releases/demo.yaml")])
def test_repo_config_fixtures(rule_id, rel, tmp_path, repo_root):
    from plumbing.lint.engine import lint_paths

    shutil.copy(repo_root / "plumbing.yaml", tmp_path / "plumbing.yaml")
    (tmp_path / "releases").mkdir()
    good = lint_paths([str(tmp_path / "plumbing.yaml")])
    assert good.findings == [], [f.format() for f in good.findings]
    target = tmp_path / rel
    target.write_text(RULES[rule_id].bad, encoding="utf-8")
    found = lint_paths([str(target)]).findings
    assert rule_id in {f.rule for f in found}, [f.format() for f in found]
    assert all(f.path == str(target) for f in found)


def _repo(tmp_path, repo_root):
    shutil.copy(repo_root / "plumbing.yaml", tmp_path / "plumbing.yaml")
    (tmp_path / "releases").mkdir()
    return tmp_path


@pytest.mark.parametrize("rule_id,rel,bad", [
    ("config-unsafe-value", "plumbing.yaml", lambda t: t.replace("organisation: tektoncd",
                                                                 "organisation: $(x)")),
    ("config-unpinned-image", "plumbing.yaml", lambda t: t.replace(
        "plumbing: ghcr.io/tektoncd/plumbing/plumbing:v0.1.0", "plumbing: ghcr.io/x/y:latest")),
])
def test_config_value_fixtures(rule_id, rel, bad, tmp_path, repo_root):
    from plumbing.lint.engine import lint_paths

    root = _repo(tmp_path, repo_root)
    assert rule_id not in {f.rule for f in lint_paths([str(root / rel)]).findings}
    text = (root / rel).read_text()
    (root / rel).write_text(bad(text))
    assert rule_id in {f.rule for f in lint_paths([str(root / rel)]).findings}


def test_config_read_fixture(tmp_path, repo_root):
    from plumbing.lint.engine import lint_paths

    root = _repo(tmp_path, repo_root)
    target = root / "releases" / "x.yaml"
    target.write_bytes(b"name: x\n")
    assert "config-read" not in {f.rule for f in lint_paths([str(target)]).findings}
    target.write_bytes(b"name: \xff\n")
    assert "config-read" in {f.rule for f in lint_paths([str(target)]).findings}


def test_image_config_fixture(tmp_path, repo_root):
    from plumbing.config import SCHEMA_DIR
    from plumbing.lint.engine import lint_paths

    if not (SCHEMA_DIR / "image.yaml").is_file():
        pytest.skip("src/plumbing/schemas/image.yaml (images/<name>/image.yaml) is not there yet")
    root = _repo(tmp_path, repo_root)
    (root / "images" / "x").mkdir(parents=True)
    target = root / "images" / "x" / "image.yaml"
    target.write_text("no-such-key: [1]\n")
    assert "image-config" in {f.rule for f in lint_paths([str(target)]).findings}


def test_internal_error_fixture(lint_text, monkeypatch):
    """A rule that raises becomes one internal-error finding; the other rules still run."""
    from plumbing.lint import registry

    def broken(unit):
        raise ValueError("boom")
        yield  # pragma: no cover

    good = RULES["step-name-format"].good
    assert "internal-error" not in {f.rule for f in lint_text(good).findings}
    monkeypatch.setitem(registry.RULES, "step-name-format",
                        RULES["step-name-format"].replace(check=broken))
    found = lint_text(RULES["step-name-duplicate"].bad).findings
    assert "internal-error" in {f.rule for f in found}
    assert "step-name-duplicate" in {f.rule for f in found}


def test_cronjob_config_fixture(tmp_path, repo_root):
    from plumbing.config import SCHEMA_DIR
    from plumbing.lint.engine import lint_paths

    if not (SCHEMA_DIR / "cronjob.yaml").is_file():
        pytest.skip("src/plumbing/schemas/cronjob.yaml is not there")
    root = _repo(tmp_path, repo_root)
    (root / "cronjobs").mkdir()
    target = root / "cronjobs" / "job.yaml"
    target.write_text("description: d\nschedule: '0 1 * * *'\nnamespace: ci\ncommand: [x]\n"
                      "deadline: 15m\n")
    assert lint_paths([str(target)]).findings == []
    target.write_text("description: d\nschedule: '0 1 * * *'\nnamespace: elsewhere\ncommand: [x]\n"
                      "deadline: 15m\n")
    found = lint_paths([str(target)]).findings
    assert [(f.rule, f.line) for f in found] == [("cronjob-config", 3)]
