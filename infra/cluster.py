"""The GKE cluster: Workload Identity, no legacy ABAC, a release channel, shielded nodes, an
autoscaling node pool run by a minimal node service account, and the Kubernetes provider for
everything else. The `existing` target skips all of it and points the provider at a context."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
from pulumi_gcp import container, projects, serviceaccount

# What GKE nodes need to report logs and metrics and pull images: nothing more.
NODE_ROLES = (
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
)


def kubeconfig(name: str, endpoint, ca) -> str:
    """A kubeconfig that authenticates through gke-gcloud-auth-plugin: no credential in it."""
    return f"""apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: https://{endpoint}
    certificate-authority-data: {ca}
contexts:
- name: {name}
  context: {{cluster: {name}, user: {name}}}
current-context: {name}
users:
- name: {name}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      provideClusterInfo: true
"""


class Cluster(pulumi.ComponentResource):
    def __init__(self, name: str, *, repo, settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("plumbing:infra:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = repo.org.cluster.name
        self.cluster = None
        if settings.gke:
            self.node_account = serviceaccount.Account(
                f"{name}-nodes", account_id=f"{cluster_name}-nodes"[:30],
                display_name=f"GKE nodes of {cluster_name} (logs, metrics, image pulls only)", opts=child)
            for role in NODE_ROLES:
                projects.IAMMember(
                    f"{name}-nodes-{role.split('/')[-1].replace('.', '-')}", project=settings.gcp_project,
                    role=role, member=self.node_account.email.apply(lambda e: f"serviceAccount:{e}"), opts=child)
            self.cluster = container.Cluster(
                f"{name}-gke", name=cluster_name, location=settings.region,
                remove_default_node_pool=True, initial_node_count=1,
                deletion_protection=True,
                enable_legacy_abac=False,
                enable_shielded_nodes=True,
                release_channel=container.ClusterReleaseChannelArgs(channel=settings.release_channel),
                workload_identity_config=container.ClusterWorkloadIdentityConfigArgs(
                    workload_pool=settings.workload_pool),
                master_auth=container.ClusterMasterAuthArgs(
                    client_certificate_config=container.ClusterMasterAuthClientCertificateConfigArgs(
                        issue_client_certificate=False)),
                network_policy=container.ClusterNetworkPolicyArgs(enabled=True),
                opts=child)
            self.node_pool = container.NodePool(
                f"{name}-pool", name="default", cluster=self.cluster.name, location=settings.region,
                initial_node_count=settings.nodes_min,
                autoscaling=container.NodePoolAutoscalingArgs(
                    min_node_count=settings.nodes_min, max_node_count=settings.nodes_max),
                management=container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
                node_config=container.NodePoolNodeConfigArgs(
                    machine_type=settings.machine_type, disk_size_gb=settings.disk_size_gb,
                    service_account=self.node_account.email,
                    oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                    workload_metadata_config=container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                        mode="GKE_METADATA"),
                    shielded_instance_config=container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                        enable_secure_boot=True, enable_integrity_monitoring=True),
                    metadata={"disable-legacy-endpoints": "true"},
                ),
                opts=child)
            config = pulumi.Output.all(self.cluster.endpoint, self.cluster.master_auth.cluster_ca_certificate).apply(
                lambda args: kubeconfig(cluster_name, args[0], args[1]))
            self.provider = k8s.Provider(
                f"{name}-k8s", kubeconfig=config, enable_server_side_apply=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.node_pool]))
        else:
            self.provider = k8s.Provider(
                f"{name}-k8s", context=settings.kube_context or repo.org.cluster.context,
                enable_server_side_apply=True, opts=child)
        self.register_outputs({"cluster": self.cluster.name if self.cluster else cluster_name})
