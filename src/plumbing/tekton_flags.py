"""The Tekton Pipelines feature flags the cluster runs: one definition, applied by the Pulumi
program (infra/tekton.py patches the `feature-flags` ConfigMap with FEATURE_FLAGS) and assumed by
`plumbing lint` (a feature whose flag is off here is reported). Plain data: importing this module
costs nothing.
"""

from __future__ import annotations

FEATURE_FLAGS = {
    "enable-api-fields": "beta",
    "enable-step-actions": "true",
    "enable-provenance-in-status": "true",   # Chains reads provenance from run status
    "set-security-context": "true",          # Tekton's init containers fit restricted pods
    "coschedule": "workspaces",
    "keep-pod-on-cancel": "false",
    "results-from": "termination-message",
    "send-cloudevents-for-runs": "false",
    "enforce-nonfalsifiability": "none",
}

# Tekton v1.15's defaults for the flags lint looks at (pkg/apis/config/feature_flags.go): what a
# cluster runs for every flag its ConfigMap leaves out.
TEKTON_DEFAULTS = {
    "enable-api-fields": "beta",
    "enable-param-enum": "false",
    "enable-cel-in-whenexpression": "false",
    "enable-artifacts": "false",
    "enable-step-actions": "true",
}


def cluster_flags(overrides: dict | None = None) -> dict[str, str]:
    """The flags in effect: Tekton's defaults, then the cluster's ConfigMap, then `overrides`."""
    return {**TEKTON_DEFAULTS, **FEATURE_FLAGS, **(overrides or {})}


def enabled(flags: dict, flag: str) -> bool:
    """Whether a feature behind `flag` is on: enable-api-fields gates alpha features (on only
    at "alpha"); every other flag is a boolean ConfigMap string."""
    value = str(flags.get(flag, TEKTON_DEFAULTS.get(flag, "false"))).strip().lower()
    if flag == "enable-api-fields":
        return value == "alpha"
    return value == "true"
