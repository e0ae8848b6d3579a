"""CronJobs that run the plumbing image: one nightly per releases/<project>.yaml with a
schedule, one image build per images/<name>/, one job per cronjobs/<name>.yaml.

Every one: concurrencyPolicy Forbid, a starting deadline, explicit history limits, an active
deadline that fits the work, restartPolicy Never, a backoff limit, requests and limits, a
non-root read-only container, the plumbing image pinned (org tool_images.plumbing).
Manual run: kubectl -n NS create job --from=cronjob/NAME NAME-manual-$(date +%s)"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra.access import MANAGED
from plumbing.inventory.desired import IMAGE_ROOT, RUN_AS_USER, SCRATCH

STARTING_DEADLINE = 30 * 60   # a run missed by more than this is skipped, not run late
SUCCESS_HISTORY = 3
FAILED_HISTORY = 5            # failures stay visible for a week of nightlies
BACKOFF_LIMIT = 0             # a failed nightly is reported, not retried into a second release
TTL_AFTER_FINISHED = 7 * 86400


def cronjob(logical: str, job, image: str, namespace, parent) -> k8s.batch.v1.CronJob:
    labels = {**MANAGED, "plumbing.tekton.dev/kind": job.kind, **job.labels}
    security = k8s.core.v1.SecurityContextArgs(
        run_as_non_root=True, run_as_user=RUN_AS_USER, run_as_group=RUN_AS_USER,
        allow_privilege_escalation=False, read_only_root_filesystem=True, privileged=False,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"))
    container = k8s.core.v1.ContainerArgs(
        name=job.kind if job.kind != "job" else "job", image=image, image_pull_policy="IfNotPresent",
        command=list(job.command),
        env=[k8s.core.v1.EnvVarArgs(name="PLUMBING_ROOT", value=IMAGE_ROOT),
             k8s.core.v1.EnvVarArgs(name="HOME", value=SCRATCH),
             k8s.core.v1.EnvVarArgs(name="XDG_CACHE_HOME", value=f"{SCRATCH}/.cache"),
             *[k8s.core.v1.EnvVarArgs(name=env, value_from=k8s.core.v1.EnvVarSourceArgs(
                 secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=secret, key=key)))
               for env, (secret, key) in sorted(job.secret_env.items())]],
        resources=k8s.core.v1.ResourceRequirementsArgs(requests=dict(job.resources["requests"]),
                                                       limits=dict(job.resources["limits"])),
        security_context=security,
        volume_mounts=[k8s.core.v1.VolumeMountArgs(name="scratch", mount_path=SCRATCH)])
    pod = k8s.core.v1.PodSpecArgs(
        service_account_name=job.service_account, restart_policy="Never",
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True, run_as_user=RUN_AS_USER, fs_group=RUN_AS_USER,
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")),
        containers=[container],
        volumes=[k8s.core.v1.VolumeArgs(name="scratch", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
            size_limit="1Gi"))])
    return k8s.batch.v1.CronJob(
        logical,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=job.name, namespace=namespace.metadata.name, labels=labels,
                                            annotations={
                                                "plumbing.tekton.dev/source": job.source,
                                                "plumbing.tekton.dev/run-now": (
                                                    f"kubectl -n {job.namespace} create job --from=cronjob/{job.name} "
                                                    f"{job.name[:40]}-manual-$(date +%s)")}),
        spec=k8s.batch.v1.CronJobSpecArgs(
            schedule=job.schedule, time_zone="Etc/UTC",
            concurrency_policy="Forbid", starting_deadline_seconds=STARTING_DEADLINE,
            successful_jobs_history_limit=SUCCESS_HISTORY, failed_jobs_history_limit=FAILED_HISTORY,
            job_template=k8s.batch.v1.JobTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                spec=k8s.batch.v1.JobSpecArgs(
                    active_deadline_seconds=job.deadline_seconds, backoff_limit=BACKOFF_LIMIT,
                    ttl_seconds_after_finished=TTL_AFTER_FINISHED,
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels), spec=pod)))),
        opts=pulumi.ResourceOptions(parent=parent))


class _CronJobs(pulumi.ComponentResource):
    TOKEN = ""

    def __init__(self, name: str, *, jobs, image: str, namespaces, opts: pulumi.ResourceOptions | None = None):
        super().__init__(self.TOKEN, name, None, opts)
        self.cronjobs = {job.name: cronjob(f"{name}-{job.name}", job, image, namespaces[job.namespace_key], self)
                         for job in jobs}
        self.register_outputs({"cronjobs": sorted(self.cronjobs)})


class Nightlies(_CronJobs):
    """One CronJob per project with a nightly schedule: `release nightly <project> --apply`."""

    TOKEN = "plumbing:infra:Nightlies"


class ImageBuilds(_CronJobs):
    """One CronJob per images/<name>/: `plumbing image build <name> --apply`."""

    TOKEN = "plumbing:infra:ImageBuilds"


class ScheduledJobs(_CronJobs):
    """One CronJob per cronjobs/<name>.yaml."""

    TOKEN = "plumbing:infra:ScheduledJobs"
