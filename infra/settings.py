"""The stack's knobs from Pulumi config; what they mean lives in plumbing.inventory.stack."""

from __future__ import annotations

import pulumi

from plumbing.inventory.stack import Settings, settings_from

_INTS = {"nodesMin", "nodesMax", "diskSizeGb", "nightlyRetentionDays"}
_OBJECTS = {"tektonVersions", "channels"}


def read() -> Settings:
    cfg = pulumi.Config("plumbing")
    gcp = pulumi.Config("gcp")

    def get(knob: str):
        if knob in _INTS:
            return cfg.get_int(knob)
        if knob in _OBJECTS:
            return cfg.get_object(knob)
        return cfg.get(knob)

    return settings_from(get, gcp.get)
