"""`.plumbing-lint.yaml`: turn rules on or off, change their severities, and set the Tekton
feature flags to lint with (default: the cluster's, plumbing.tekton_flags).

    rules:
      step-name-format: off          # off | on | error | warning | info
      param-undeclared-unchecked: error
    feature-flags:                   # over the cluster's flags, as in Tekton's ConfigMap
      enable-cel-in-whenexpression: "true"

An unknown rule id or value is a config error (exit 2) naming the line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from plumbing.findings import SEVERITIES, ConfigError, Finding
from plumbing.tekton_flags import cluster_flags

CONFIG_NAME = ".plumbing-lint.yaml"
_VALUES = ("off", "on") + SEVERITIES
_KEYS = {"rules", "feature-flags"}


@dataclass
class Settings:
    overrides: dict = field(default_factory=dict)   # rule id -> "off" | "on" | severity
    flags: dict = field(default_factory=cluster_flags)  # Tekton feature flag -> value

    def enabled(self, rule) -> bool:
        return self.overrides.get(rule.id) != "off"

    def severity(self, rule) -> str:
        v = self.overrides.get(rule.id)
        return v if v in SEVERITIES else rule.severity


def _error(path: str, line: int, col: int, message: str, rule: str = "lint-config") -> ConfigError:
    """A config error carrying its Finding; the message is the finding's one formatted line."""
    finding = Finding(path, line, col, "error", rule, message)
    return ConfigError(finding.format(), [finding])


def load_settings(path: str | None) -> Settings:
    """Settings from `path`, or from ./.plumbing-lint.yaml when it exists, else the defaults."""
    from plumbing.yamlpos import YamlSyntaxError, load_one

    if path is None:
        if not os.path.isfile(CONFIG_NAME):
            return Settings()
        path = CONFIG_NAME
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(path, 1, 1, f"cannot read: {exc}") from None
    try:
        doc = load_one(text)
    except YamlSyntaxError as exc:
        raise _error(path, exc.line, exc.column, str(exc), "yaml-syntax") from None
    data = doc.data
    if data is None:
        return Settings()
    if type(data) is not dict or set(data) - _KEYS:
        raise _error(path, 1, 1, "expected a mapping with the keys 'rules' and 'feature-flags'")
    return Settings(_overrides(path, doc, data.get("rules") or {}),
                    cluster_flags(_flags(path, doc, data.get("feature-flags") or {})))


def _flags(path: str, doc, flags) -> dict:
    """Feature flag -> value as the ConfigMap holds it (a string; true/false become strings)."""
    if type(flags) is not dict:
        line, col = doc.position(("feature-flags",))
        raise _error(path, line, col, "'feature-flags' must be a mapping of flag names to values")
    out = {}
    for name, value in flags.items():
        if type(value) is bool:
            value = "true" if value else "false"
        if type(name) is not str or type(value) is not str:
            line, col = doc.position(("feature-flags", name))
            raise _error(path, line, col, f"feature flag {name!r}: the value must be a string, e.g. \"true\"")
        out[name] = value
    return out


def _overrides(path: str, doc, rules) -> dict:
    """rule id -> off | on | severity, from the `rules:` mapping."""
    from plumbing.lint.registry import all_rules

    if type(rules) is not dict:
        line, col = doc.position(("rules",))
        raise _error(path, line, col, "'rules' must be a mapping")
    known = all_rules()
    overrides = {}
    for rid, value in rules.items():
        line, col = doc.position(("rules", rid))
        if value is False:
            value = "off"
        elif value is True:
            value = "on"
        if rid not in known:
            raise _error(path, line, col, f"unknown rule {rid!r} (see `plumbing lint rules`)")
        if value not in _VALUES:
            raise _error(path, line, col, f"{rid}: {value!r} is not one of {', '.join(_VALUES)}")
        overrides[rid] = value
    return overrides
