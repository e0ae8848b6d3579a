"""Lint with the feature flags the cluster runs (plumbing.tekton_flags), overridable in
.plumbing-lint.yaml."""

from __future__ import annotations

import pytest

from plumbing import tekton_flags
from plumbing.lint.config import Settings, load_settings
from plumbing.tekton_flags import cluster_flags

CEL_PIPELINE = """\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: p}
spec:
  params: [{name: mode}]
  tasks:
    - name: a
      taskRef: {name: t}
      when: [{cel: "'$(params.mode)' == 'full'"}]
    - name: b
      pipelineRef: {name: child}
"""


def flag_findings(result):
    return sorted(f.message for f in result.findings if f.rule == "feature-flag-required")


def test_the_clusters_flags_are_the_default():
    assert Settings().flags == cluster_flags()
    assert cluster_flags()["enable-api-fields"] == tekton_flags.FEATURE_FLAGS["enable-api-fields"]
    # a flag the ConfigMap leaves out is Tekton's default
    assert cluster_flags()["enable-cel-in-whenexpression"] == "false"


def test_a_feature_the_cluster_has_not_enabled_is_reported(lint_text):
    assert flag_findings(lint_text(CEL_PIPELINE)) == [
        "cel needs enable-cel-in-whenexpression: true",
        "pipelineRef in a pipeline task needs enable-api-fields: alpha"]


def test_a_feature_the_cluster_has_enabled_is_not(lint_text):
    flags = cluster_flags({"enable-cel-in-whenexpression": "true", "enable-api-fields": "alpha"})
    assert flag_findings(lint_text(CEL_PIPELINE, settings=Settings(flags=flags))) == []
    flags = cluster_flags({"enable-api-fields": "beta"})  # beta does not turn alpha features on
    assert "pipelineRef in a pipeline task needs enable-api-fields: alpha" in flag_findings(
        lint_text(CEL_PIPELINE, settings=Settings(flags=flags)))


def test_plumbing_lint_yaml_overrides_the_clusters_flags(tmp_path, lint_text):
    cfg = tmp_path / ".plumbing-lint.yaml"
    cfg.write_text("feature-flags:\n  enable-cel-in-whenexpression: true\n")
    settings = load_settings(str(cfg))
    assert settings.flags["enable-cel-in-whenexpression"] == "true"
    assert settings.flags["enable-step-actions"] == tekton_flags.FEATURE_FLAGS["enable-step-actions"]
    assert flag_findings(lint_text(CEL_PIPELINE, settings=settings)) == [
        "pipelineRef in a pipeline task needs enable-api-fields: alpha"]


@pytest.mark.parametrize("text, where", [
    ("feature-flags: [a]\n", ":1:1:"),
    ("feature-flags:\n  enable-artifacts: [true]\n", ":2:3:"),
])
def test_bad_feature_flags_are_config_errors(tmp_path, text, where):
    from plumbing.findings import ConfigError

    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(str(cfg))
    assert where in str(err.value) and " error lint-config " in str(err.value)
