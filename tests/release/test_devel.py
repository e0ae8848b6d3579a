"""rewrite-devel against the devel forms Tekton's real publish task rewrites."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from plumbing.cli.release_tools import rewrite_devel as rewrite_cmd
from plumbing.release.devel import remaining_devel, rewrite_devel


def sed_keys(shared) -> list[str]:
    """The label keys the real publish task's sed expressions rewrite."""
    text = (shared / "corpus" / "pipeline-release" / "publish.yaml").read_text()
    keys = re.findall(r"s/\\\(([^\\]+(?:\\/[^\\]+)?)\\\): \"devel\"", text)
    return sorted({k.replace("\\/", "/") for k in keys})


def test_the_corpus_names_three_forms(shared):
    assert sed_keys(shared) == ["app.kubernetes.io/version", "pipeline.tekton.dev/release", "version"]


@pytest.mark.parametrize("quote", ['"', "'", ""])
def test_every_corpus_form_in_every_quoting(shared, quote):
    lines = [f"    {key}: {quote}devel{quote}" for key in sed_keys(shared)]
    text = "metadata:\n  labels:\n" + "\n".join(lines[:2]) + "\ndata:\n" + lines[2].replace("    ", "  ") + "\n"
    out, count = rewrite_devel(text, "v1.2.3")
    assert count == 3
    assert "devel" not in out
    assert remaining_devel(out) == []
    assert 'pipeline.tekton.dev/release: "v1.2.3"' in out


def test_real_crd_labels_rewritten_and_nothing_else_changes(shared):
    original = (shared / "corpus" / "crds" / "300-pipelinerun.yaml").read_text()
    out, count = rewrite_devel(original, "v20261124-3ee1745ae5")
    assert count == 2
    changed = [(a, b) for a, b in zip(original.splitlines(), out.splitlines(), strict=True) if a != b]
    assert changed == [
        ('    pipeline.tekton.dev/release: "devel"', '    pipeline.tekton.dev/release: "v20261124-3ee1745ae5"'),
        ('    version: "devel"', '    version: "v20261124-3ee1745ae5"'),
    ]
    # URLs that merely contain "devel" are left alone.
    assert "contributors/devel/sig-architecture" in out


def test_other_projects_release_labels_and_list_items():
    text = "labels:\n  triggers.tekton.dev/release: devel\n  dashboard.tekton.dev/release: 'devel'  # set by release\nitems:\n  - version: devel\n"
    out, count = rewrite_devel(text, "v0.30.0")
    assert count == 3 and remaining_devel(out) == []
    assert "# set by release" in out


def test_values_that_only_look_like_devel_are_kept():
    text = "labels:\n  app: devel\n  version: development\n  tier: \"devel\"\n"
    out, count = rewrite_devel(text, "v1.0.0")
    assert count == 0 and out == text


def test_flow_style_leftover_is_detected():
    text = "metadata: {labels: {version: devel}}\n"
    out, count = rewrite_devel(text, "v1.0.0")
    assert count == 0
    assert remaining_devel(out) == ["doc0.metadata.labels.version"]


def test_cli_rewrites_in_place_and_fails_on_leftovers(tmp_path):
    good = tmp_path / "release.yaml"
    good.write_text('metadata:\n  labels:\n    app.kubernetes.io/version: "devel"\n')
    bad = tmp_path / "odd.yaml"
    bad.write_text("metadata: {labels: {version: devel}}\n")
    result = CliRunner().invoke(rewrite_cmd, ["--version", "v1.2.3", str(good), str(bad)])
    assert result.exit_code == 1
    assert "v1.2.3" in good.read_text()
    assert bad.read_text() == "metadata: {labels: {version: devel}}\n"  # untouched
    assert "still says devel" in result.output


def test_cli_rejects_a_bad_version(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("version: devel\n")
    result = CliRunner().invoke(rewrite_cmd, ["--version", "1.2", str(f)])
    assert result.exit_code == 2 and f.read_text() == "version: devel\n"
