"""The deployer: who runs the deploy pipeline, where, with which tools. Plain data, no Pulumi:
the render of pipelines/deploy.yaml.j2 and (when the program declares them) infra/ read it here.
"""

from __future__ import annotations

NAMESPACE = "plumbing-deploy"
SERVICE_ACCOUNT = "plumbing-deployer"
# Pulumi's official image for the pulumi steps: the Pulumi CLI and Python, the version of the
# pulumi SDK this package is tested with. An exact version tag: its digest is taken at
# bootstrap (docs/cd.md), no digest is invented here.
PULUMI_IMAGE = "pulumi/pulumi-python:3.272.0"
TIMEOUT = "2h"    # below records.LOCK_TTL, so a killed run's lock expires after the run would have


def state_bucket(org) -> str:
    """Pulumi's state: versioned, never public, declared by the program (docs/cd.md)."""
    return f"gs://{org.organisation}-plumbing-state"

TRIGGERS_ACCOUNT = "deploy-triggers"
WEBHOOK_SECRET = "plumbing-deploy-webhook"
# Pulumi config secrets the deployer part of the program reads.
SECRET_KEYS = {"secret": "deployWebhookSecret"}

APPLY = ("get", "list", "watch", "create", "update", "patch", "delete")
# What the deployer may touch, spelled out (no '*'): every kind the program declares as a typed
# resource, plus the kinds inside Tekton's release files (applied as YAML groups), plus what
# `plumbing verify` reads and creates. `bind`/`escalate` let it write the Roles the program
# declares without holding every permission they grant. The policy `deployer-least-privilege`
# checks this list against the inventory both ways.
RELEASE_FILE_RESOURCES = {
    ("", "services"), ("apps", "deployments"), ("apiextensions.k8s.io", "customresourcedefinitions"),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    ("autoscaling", "horizontalpodautoscalers"), ("policy", "poddisruptionbudgets"),
    ("triggers.tekton.dev", "clusterinterceptors"),
}
DECLARED_RESOURCES = {
    ("", "namespaces"), ("", "serviceaccounts"), ("", "secrets"), ("", "configmaps"), ("", "resourcequotas"),
    ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "rolebindings"),
    ("rbac.authorization.k8s.io", "clusterroles"), ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("batch", "cronjobs"),
}
VERIFY_RULES = (
    {"api_groups": ["tekton.dev"], "resources": ["tasks"], "verbs": ["create"]},          # dry-run only
    {"api_groups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["get", "create", "delete"]},
    {"api_groups": ["triggers.tekton.dev"], "resources": ["eventlisteners"], "verbs": ["get"]},
)


def rules() -> list[dict]:
    by_group: dict[str, list[str]] = {}
    for group, resource in sorted(DECLARED_RESOURCES | RELEASE_FILE_RESOURCES):
        by_group.setdefault(group, []).append(resource)
    out = [{"api_groups": [group], "resources": resources, "verbs": list(APPLY)} for group, resources in by_group.items()]
    out.append({"api_groups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles", "roles"],
                "verbs": ["bind", "escalate"]})
    return out + [dict(r) for r in VERIFY_RULES]


CATCH_UP = "deploy-catch-up"
DRIFT = "deploy-drift"


def jobs(repo, stack: str) -> list:
    """The deployer's CronJobs, run from the deployed plumbing image as the deployer: hourly, deploy
    the default branch's head unless it was the last commit deployed (a missed push); every six
    hours, the drift check of the deployed commit."""
    from plumbing.inventory.desired import LAUNCH_DEADLINE, LAUNCHER_RESOURCES, SCRATCH, Job

    base = ["plumbing", "deploy", "render", "-s", stack, "--apply", "--out", f"{SCRATCH}/dist"]
    common = {"namespace_key": "deploy", "namespace": NAMESPACE, "service_account": SERVICE_ACCOUNT,
              "deadline_seconds": LAUNCH_DEADLINE, "resources": LAUNCHER_RESOURCES, "source": "pipelines/deploy.yaml.j2"}
    return [
        Job(name=CATCH_UP, kind="deploy", schedule="23 * * * *",
            command=[*base, "--revision", "HEAD", "--skip-deployed"], labels={"plumbing.tekton.dev/job": CATCH_UP},
            **common),
        Job(name=DRIFT, kind="deploy", schedule="53 */6 * * *", command=[*base, "--revision", "deployed", "--drift"],
            labels={"plumbing.tekton.dev/job": DRIFT}, **common),
    ]
