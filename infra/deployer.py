"""The deployer (docs/cd.md): its namespace, the Kubernetes service account the deploy pipeline
runs as (Workload Identity to a Google service account that may write the Pulumi state bucket
and the deploy records in the logs bucket), a ClusterRole listing exactly what the program applies, the push trigger's account and
webhook secret, and on GKE the state bucket itself: versioned, never public."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra.access import MANAGED, _rules
from plumbing.deploy.records import folder as deploy_folder
from plumbing.inventory import deployer as model
from plumbing.inventory.desired import TRIGGERS_CLUSTER_RULES, TRIGGERS_RULES, bucket_name
from plumbing.inventory.isolation import object_prefix


class Deployer(pulumi.ComponentResource):
    def __init__(self, name: str, *, repo, settings, image: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Deployer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        annotations = {"plumbing.tekton.dev/purpose": "runs the deploy pipeline: pulumi preview/up, verify"}
        if settings.gke:
            annotations["iam.gke.io/gcp-service-account"] = self._cloud(name, repo, settings)
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-ns", metadata=k8s.meta.v1.ObjectMetaArgs(name=model.NAMESPACE, labels={
                **MANAGED, "plumbing.tekton.dev/purpose": "deploy",
                "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"}),
            opts=child)
        ns = self.namespace.metadata.name
        self.account = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=k8s.meta.v1.ObjectMetaArgs(name=model.SERVICE_ACCOUNT, namespace=ns, labels=MANAGED,
                                                              annotations=annotations),
            automount_service_account_token=True, opts=child)
        self._cluster_role(name, model.SERVICE_ACCOUNT, model.SERVICE_ACCOUNT, model.rules(), ns)
        k8s.core.v1.ServiceAccount(
            f"{name}-triggers-sa", metadata=k8s.meta.v1.ObjectMetaArgs(
                name=model.TRIGGERS_ACCOUNT, namespace=ns, labels=MANAGED,
                annotations={"plumbing.tekton.dev/purpose": "the push EventListener"}),
            automount_service_account_token=True, opts=child)
        role = k8s.rbac.v1.Role(
            f"{name}-triggers-role", metadata=k8s.meta.v1.ObjectMetaArgs(name=model.TRIGGERS_ACCOUNT, namespace=ns,
                                                                         labels=MANAGED),
            rules=_rules(list(TRIGGERS_RULES) + [{"api_groups": ["tekton.dev"], "resources": ["taskruns"],
                                                  "verbs": ["create"]}]), opts=child)
        k8s.rbac.v1.RoleBinding(
            f"{name}-triggers-binding", metadata=k8s.meta.v1.ObjectMetaArgs(name=model.TRIGGERS_ACCOUNT, namespace=ns,
                                                                            labels=MANAGED),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=model.TRIGGERS_ACCOUNT, namespace=ns)],
            opts=child)
        self._cluster_role(f"{name}-triggers", model.TRIGGERS_ACCOUNT, f"plumbing-{model.TRIGGERS_ACCOUNT}",
                           list(TRIGGERS_CLUSTER_RULES), ns)
        cfg = pulumi.Config("plumbing")
        k8s.core.v1.Secret(
            f"{name}-webhook-secret", metadata=k8s.meta.v1.ObjectMetaArgs(name=model.WEBHOOK_SECRET, namespace=ns,
                                                                          labels=MANAGED),
            string_data={key: cfg.require_secret(ck) for key, ck in model.SECRET_KEYS.items()},
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stringData", "data"]))
        from infra.schedules import cronjob

        self.cronjobs = {job.name: cronjob(f"{name}-{job.name}", job, image, self.namespace, self)
                         for job in model.jobs(repo, pulumi.get_stack())}
        self.register_outputs({"namespace": ns, "service_account": model.SERVICE_ACCOUNT,
                               "cronjobs": sorted(self.cronjobs)})

    def _cluster_role(self, name, account, role_name, rules, ns):
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-clusterrole", metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, labels=MANAGED),
            rules=_rules(rules), opts=pulumi.ResourceOptions(parent=self))
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-clusterbinding", metadata=k8s.meta.v1.ObjectMetaArgs(name=role_name, labels=MANAGED),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole",
                                             name=role.metadata.name),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=account, namespace=ns)],
            opts=pulumi.ResourceOptions(parent=self))

    def _cloud(self, name, repo, settings):
        from pulumi_gcp import serviceaccount, storage

        child = pulumi.ResourceOptions(parent=self)
        bucket = storage.Bucket(
            f"{name}-state", name=bucket_name(model.state_bucket(repo.org)), location=settings.bucket_location,
            uniform_bucket_level_access=True, public_access_prevention="enforced",
            versioning=storage.BucketVersioningArgs(enabled=True), force_destroy=False,
            labels={"plumbing": "pulumi-state"}, opts=child)
        account = serviceaccount.Account(f"{name}-gsa", account_id=model.SERVICE_ACCOUNT,
                                         display_name="the deploy pipeline: Pulumi state and cloud changes", opts=child)
        serviceaccount.IAMMember(
            f"{name}-workload-identity", service_account_id=account.name, role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{settings.workload_pool}[{model.NAMESPACE}/{model.SERVICE_ACCOUNT}]", opts=child)
        member = account.email.apply(lambda e: f"serviceAccount:{e}")
        storage.BucketIAMMember(f"{name}-state-admin", bucket=bucket.name, role="roles/storage.objectAdmin",
                                member=member, opts=child)
        # Deploy records, the lock and the last-good marker live in the logs bucket.
        # Only its stack's folder (policy prefix-condition): never a release file.
        logs, records = bucket_name(repo.org.buckets.logs), deploy_folder(pulumi.get_stack()) + "/"
        storage.BucketIAMMember(f"{name}-logs-writer", bucket=logs, role="roles/storage.objectUser", member=member,
                                condition=storage.BucketIAMMemberConditionArgs(
                                    title="deploy records only", description=f"Objects under {records} of {logs}",
                                    expression=f"resource.name.startsWith('{object_prefix(logs, records)}')"),
                                opts=child)
        return account.email
