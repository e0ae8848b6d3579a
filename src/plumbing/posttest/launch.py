"""A release that succeeded starts its post-release test, without waiting for it.

The release pipeline's `finally` runs `release test-start` (onError: continue) with the run's
aggregate status: only Succeeded or Completed starts a test, and only for a project whose test
is enabled. In the cluster it creates the test PipelineRun and returns after a bounded check
that Tekton accepted it, so the release is neither delayed nor failed by its test.
"""

from __future__ import annotations

STARTS_ON = ("Succeeded", "Completed")


def should_start(status: str, project) -> tuple[bool, str]:
    """(start?, why) for a release run that ended with `status`."""
    if status not in STARTS_ON:
        return False, f"the release run ended {status!r}: nothing published to test"
    if not project.post_release_test.enabled:
        return False, f"{project.name} has post_release_test.enabled: false"
    return True, "the release succeeded"
