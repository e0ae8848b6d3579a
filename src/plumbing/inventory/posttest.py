"""What post-release testing needs in the cluster, as plain data (see docs/post-release-testing.md).

Mechanism: one vcluster per test run, in the test namespace. A vcluster is a Kubernetes API
server and datastore running as a StatefulSet in that namespace; the Tekton under test puts
its CRDs, webhooks and cluster roles into the virtual cluster's own API, never into the
dogfooding cluster's. Its syncer copies the virtual cluster's pods into the namespace, so:
- the tester (the test runs' service account) holds, in the test namespace only, what helm
  needs to install and remove the vcluster chart and what the chart's own Role grants its
  syncer (Kubernetes refuses to let anyone create a Role granting more than they hold), plus
  reading its runs for the record step; no cluster-scoped right at all;
- the release runs' service accounts may only create and read PipelineRuns there (the start
  from the release's finally);
- a ResourceQuota caps what the throwaway clusters together may take.
"""

from __future__ import annotations

TESTER_PURPOSE = "runs post-release test PipelineRuns: a throwaway vcluster in its namespace"
LAUNCHER_ROLE = "post-release-test-launcher"

_VERBS_RW = ["get", "list", "watch", "create", "update", "patch", "delete"]

# vcluster's chart (0.20) and helm's release records (Secrets), namespaced; the syncer's own Role
# is a subset of this, which is what lets the tester create it.
TESTER_RULES = (
    {"api_groups": [""], "resources": ["configmaps", "secrets", "services", "serviceaccounts", "endpoints",
                                       "persistentvolumeclaims", "pods", "pods/attach", "pods/portforward",
                                       "pods/exec", "events"],
     "verbs": _VERBS_RW},
    {"api_groups": [""], "resources": ["pods/log", "pods/status"], "verbs": ["get", "list", "watch"]},
    {"api_groups": ["apps"], "resources": ["statefulsets", "deployments", "replicasets"], "verbs": _VERBS_RW},
    {"api_groups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": _VERBS_RW},
    {"api_groups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"], "verbs": _VERBS_RW},
    {"api_groups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": _VERBS_RW},
    {"api_groups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": _VERBS_RW},
    # the record step reads its own run
    {"api_groups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["get"]},
    {"api_groups": ["tekton.dev"], "resources": ["taskruns"], "verbs": ["get", "list"]},
)

# What a release run may do in the test namespace: start a test, and see that Tekton took it.
LAUNCH_RULES = (
    {"api_groups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["create", "get"]},
)

# All throwaway clusters together (a vcluster control plane plus a Tekton install and smoke runs).
QUOTA = {"requests.cpu": "16", "requests.memory": "48Gi", "limits.memory": "96Gi", "pods": "200",
         "persistentvolumeclaims": "0", "services.loadbalancers": "0", "services.nodeports": "0"}


def launchers(repo) -> list[tuple[str, str]]:
    """(namespace, service account) of the release runs that start tests: each project's own."""
    from plumbing.org import MODES

    return [(t.namespace, t.service_account) for t in
            (repo.org.target(name, mode) for name in sorted(repo.projects) for mode in MODES)]


def enabled(repo) -> bool:
    """Post-release testing is declared when plumbing.yaml names its namespace."""
    return "test" in repo.org.namespaces
