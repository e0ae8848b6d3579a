"""Every pinned version in the repository, and what keeps it current.

Pins live in three places: the stack files (plumbing:tektonVersions), plumbing.yaml's
tool_images, and the FROM lines of images/*/Dockerfile. Each must be tracked either by
`plumbing versions` (the Tekton components and the plumbing image) or by the repository's
Renovate configuration (renovate.json), whose managers are read here the way Renovate reads
them (managerFilePatterns, the regex managers' matchStrings, disabled packages), so a pin
nothing tracks is a failing test rather than a version nobody bumps.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from plumbing import components

RENOVATE = "renovate.json"
VERSIONS = "plumbing versions"
# Renovate's own default file patterns of its dockerfile manager (lib/modules/manager/dockerfile).
DOCKERFILE_DEFAULTS = (r"(^|/|\.)([Dd]ocker|[Cc]ontainer)file$", r"(^|/)([Dd]ocker|[Cc]ontainer)file[^/]*$")
_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(?P<ref>\S+)", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Pin:
    path: str      # relative to the repository
    name: str      # what is pinned (component, tool image key, image)
    ref: str       # the pinned reference as written


def pins(root: Path) -> list[Pin]:
    root = Path(root)
    out = []
    for stack_file in sorted(root.glob("Pulumi.*.yaml")):
        config = (yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}).get("config") or {}
        for component, version in (config.get(components.VERSIONS_KEY) or {}).items():
            out.append(Pin(stack_file.name, str(component), str(version)))
    org = yaml.safe_load((root / "plumbing.yaml").read_text(encoding="utf-8")) or {}
    for key, ref in (org.get("tool_images") or {}).items():
        out.append(Pin("plumbing.yaml", str(key), str(ref)))
    for dockerfile in sorted(root.glob("images/*/Dockerfile")):
        stages = set()
        text = dockerfile.read_text(encoding="utf-8")
        for m in _FROM.finditer(text):
            ref = m.group("ref")
            line = text[m.start():text.find("\n", m.start()) if "\n" in text[m.start():] else len(text)]
            alias = re.search(r"\sAS\s+(\S+)", line, re.IGNORECASE)
            if ref not in stages and ref != "scratch":
                out.append(Pin(str(dockerfile.relative_to(root)), ref.split("@")[0].rsplit(":", 1)[0], ref))
            if alias:
                stages.add(alias.group(1))
    return out


def _patterns(values) -> list[re.Pattern]:
    """Renovate's managerFilePatterns: `/regex/` is a regular expression, anything else a glob."""
    import fnmatch

    out = []
    for v in values or []:
        out.append(re.compile(v[1:-1]) if len(v) > 1 and v.startswith("/") and v.endswith("/")
                   else re.compile(fnmatch.translate(v)))
    return out


def _js_regex(pattern: str) -> re.Pattern:
    return re.compile(re.sub(r"\(\?<([A-Za-z][A-Za-z0-9]*)>", r"(?P<\1>", pattern))


def renovate_tracks(root: Path, pin: Pin, config: dict) -> bool:
    enabled = config.get("enabledManagers")
    disabled = _disabled_packages(config)

    def on(manager: str) -> bool:
        return enabled is None or manager in enabled

    if pin.path.endswith("Dockerfile"):
        return on("dockerfile") and pin.name not in disabled and _dockerfile_matches(pin, config)
    if not on("custom.regex") or pin.path != "plumbing.yaml":
        return False
    text = (Path(root) / pin.path).read_text(encoding="utf-8")
    return any(_regex_manager_tracks(manager, pin, text, disabled) for manager in config.get("customManagers") or [])


def _disabled_packages(config: dict) -> set[str]:
    """Package names a packageRule turns off with `enabled: false`."""
    return {name for rule in config.get("packageRules") or [] if rule.get("enabled") is False
            for name in rule.get("matchPackageNames") or []}


def _dockerfile_matches(pin: Pin, config: dict) -> bool:
    """Renovate's dockerfile manager reads the file: its default patterns or the config's own."""
    own = (config.get("dockerfile") or {}).get("managerFilePatterns")
    pats = [re.compile(p) for p in DOCKERFILE_DEFAULTS] + _patterns(own)
    return any(p.search(pin.path) for p in pats)


def _regex_manager_tracks(manager: dict, pin: Pin, text: str, disabled: set[str]) -> bool:
    """A custom regex manager reads the pin's file and one of its matchStrings captures the pin."""
    if manager.get("customType") != "regex" or not any(
            p.search(pin.path) for p in _patterns(manager.get("managerFilePatterns"))):
        return False
    for ms in manager.get("matchStrings") or []:
        for m in _js_regex(ms).finditer(text):
            dep = m.groupdict().get("depName")
            if dep and dep not in disabled and pin.ref in m.group(0) and pin.ref.startswith(dep):
                return True
    return False


def tracker(root: Path, pin: Pin, config: dict) -> str | None:
    """Who keeps `pin` current: "plumbing versions", "renovate", or None."""
    if pin.path.startswith("Pulumi.") and pin.name in components.BY_NAME:
        return VERSIONS
    if pin.path == "plumbing.yaml" and pin.name == "plumbing":
        return VERSIONS
    return "renovate" if renovate_tracks(root, pin, config) else None


def untracked(root: Path) -> list[Pin]:
    path = Path(root) / RENOVATE
    config = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return [p for p in pins(root) if tracker(root, p, config) is None]
