"""Every pin is tracked: by `plumbing versions` (Tekton components, the plumbing image) or by a
Renovate manager in renovate.json. A pin nothing tracks fails here."""

from __future__ import annotations

import json
import shutil

import pytest

from plumbing.pins import Pin, pins, untracked

from .conftest import ROOT


def scratch(tmp_path):
    for name in ("plumbing.yaml", "renovate.json", "Pulumi.dogfooding.yaml", "Pulumi.local.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "images", tmp_path / "images")
    return tmp_path


def test_the_repository_pins_are_enumerated_and_all_tracked():
    found = pins(ROOT)
    where = {p.path for p in found}
    assert {"Pulumi.dogfooding.yaml", "Pulumi.local.yaml", "plumbing.yaml", "images/plumbing/Dockerfile"} <= where
    assert Pin("plumbing.yaml", "ko", next(p.ref for p in found if p.name == "ko")) in found
    assert any(p.path.endswith("Dockerfile") and p.ref.startswith("python:") for p in found)
    assert not any(p.ref == "build" for p in found), "a FROM naming an earlier stage is not a pin"
    assert untracked(ROOT) == []


@pytest.mark.parametrize("mutate,name", [
    # a tool image pinned by a moving tag only: Renovate's regex needs a digest or a version tag
    (lambda d: (d / "plumbing.yaml").write_text((d / "plumbing.yaml").read_text().replace(
        "tool_images:\n", "tool_images:\n  yq: mikefarah/yq:latest\n")), "yq"),
    # a new Dockerfile outside images/*/ that Renovate's dockerfile manager is limited away from
    (lambda d: (d / "renovate.json").write_text(json.dumps({
        **json.loads((d / "renovate.json").read_text()), "enabledManagers": ["custom.regex"]})), "python"),
    # a stack pin of a component `plumbing versions` does not know
    (lambda d: (d / "Pulumi.local.yaml").write_text((d / "Pulumi.local.yaml").read_text().replace(
        "    pruner: v0.3.5\n", "    pruner: v0.3.5\n    results: v0.9.0\n")), "results"),
    # no Renovate configuration at all: the tool images are untracked
    (lambda d: (d / "renovate.json").unlink(), "git"),
])
def test_an_untracked_pin_is_reported(tmp_path, mutate, name):
    root = scratch(tmp_path)
    mutate(root)
    assert name in {p.name for p in untracked(root)}
