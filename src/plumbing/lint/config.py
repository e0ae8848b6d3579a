"""`.plumbing-lint.yaml`: turn rules on or off and change their severities.

    rules:
      step-name-format: off          # off | on | error | warning | info
      param-undeclared-unchecked: error

An unknown rule id or value is a config error (exit 2) naming the line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from plumbing.findings import SEVERITIES, ConfigError

CONFIG_NAME = ".plumbing-lint.yaml"
_VALUES = ("off", "on") + SEVERITIES


@dataclass
class Settings:
    overrides: dict = field(default_factory=dict)   # rule id -> "off" | "on" | severity

    def enabled(self, rule) -> bool:
        return self.overrides.get(rule.id) != "off"

    def severity(self, rule) -> str:
        v = self.overrides.get(rule.id)
        return v if v in SEVERITIES else rule.severity


def load_settings(path: str | None) -> Settings:
    """Settings from `path`, or from ./.plumbing-lint.yaml when it exists, else the defaults."""
    from plumbing.lint.registry import all_rules
    from plumbing.yamlpos import YamlSyntaxError, load_one

    if path is None:
        if not os.path.isfile(CONFIG_NAME):
            return Settings()
        path = CONFIG_NAME
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        doc = load_one(text)
    except YamlSyntaxError as exc:
        raise ConfigError(f"{path}:{exc.line}:{exc.column}: error yaml-syntax {exc}") from None
    data = doc.data
    if data is None:
        return Settings()
    if type(data) is not dict or set(data) - {"rules"}:
        raise ConfigError(f"{path}:1:1: error lint-config expected a mapping with one key, 'rules'")
    rules = data.get("rules") or {}
    if type(rules) is not dict:
        line, col = doc.position(("rules",))
        raise ConfigError(f"{path}:{line}:{col}: error lint-config 'rules' must be a mapping")
    known = all_rules()
    overrides = {}
    for rid, value in rules.items():
        line, col = doc.position(("rules", rid))
        if value is False:
            value = "off"
        elif value is True:
            value = "on"
        if rid not in known:
            raise ConfigError(f"{path}:{line}:{col}: error lint-config unknown rule {rid!r} "
                              "(see `plumbing lint rules`)")
        if value not in _VALUES:
            raise ConfigError(f"{path}:{line}:{col}: error lint-config {rid}: {value!r} is not "
                              f"one of {', '.join(_VALUES)}")
        overrides[rid] = value
    return Settings(overrides)
