"""What the cluster must hold, as plain data derived from plumbing.yaml, releases/, images/ and
cronjobs/: identities and their permissions, secrets, scheduled jobs.

The Pulumi program (infra/) turns this into resources; keeping the decisions here, free of
Pulumi, makes them readable in one place and testable without mocks. Names come from the
config; the few fixed ones (launchers, image builder) are derived here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plumbing.findings import ConfigError
from plumbing.inventory import isolation, posttest
from plumbing.inventory.isolation import REPLACER, Condition, Grant
from plumbing.org import MODE_KEYS
from plumbing.versions import NIGHTLY

LAUNCHER_SUFFIX = "-launcher"
IMAGE_BUILDER = "image-builder"
IMAGE_LAUNCHER = "image-build-launcher"
PR_TRIGGERS = "pr-triggers"
REGISTRY_SECRET = "registry-credentials"
# The names triggers/pr-checks.yaml reads (tests check every Secret it references is declared).
PR_WEBHOOK_SECRET = "pr-checks-webhook"
PR_STATUS_SECRET = "pr-checks-github"

# Where the plumbing image keeps the repository (PLUMBING_ROOT) and writes (an emptyDir).
IMAGE_ROOT = "/opt/plumbing"
SCRATCH = "/tmp"
RUN_AS_USER = 65532



def launch_rules(runner: str) -> list[dict]:
    """A launcher may create and read PipelineRuns in its own namespace; the one extra rule is
    `get` on the single service account its runs use, which `--apply`'s preflight reads."""
    return [
        {"api_groups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["create", "get", "list", "watch"]},
        {"api_groups": [""], "resources": ["serviceaccounts"], "verbs": ["get"], "resource_names": [runner]},
    ]


# What a release run's own pods need: `release logs RUN --upload` in the pipeline's finally reads
# its PipelineRun, the TaskRuns and their pods' logs, in its own namespace, and nothing more.
RUN_LOG_RULES = (
    {"api_groups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["get"]},
    {"api_groups": ["tekton.dev"], "resources": ["taskruns"], "verbs": ["get", "list"]},
    {"api_groups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"]},
)

# What a Triggers EventListener for PR webhooks needs in its namespace, spelled out.
TRIGGERS_RULES = (
    {"api_groups": ["triggers.tekton.dev"],
     "resources": ["eventlisteners", "triggerbindings", "triggertemplates", "triggers", "interceptors"],
     "verbs": ["get", "list", "watch"]},
    {"api_groups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
    {"api_groups": ["tekton.dev"], "resources": ["pipelineruns"], "verbs": ["create"]},
    {"api_groups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
)
TRIGGERS_CLUSTER_RULES = (
    {"api_groups": ["triggers.tekton.dev"], "resources": ["clustertriggerbindings", "clusterinterceptors"],
     "verbs": ["get", "list", "watch"]},
)

# A cronjobs/ job's bucket access: reader reads; writer creates, overwrites and deletes, only
# under the job's `prefix` (an IAM condition).
READER_ROLE = "roles/storage.objectViewer"

LAUNCHER_RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"},
                      "limits": {"cpu": "500m", "memory": "512Mi"}}
# In the cluster `--apply` creates the run and checks Tekton accepted it (it does not follow
# it to the end): resolving the revision, rendering, preflight and acceptance fit in 15 min.
LAUNCH_DEADLINE = 15 * 60
# Kubernetes appends 11 characters to a CronJob's name for its Jobs.
CRONJOB_NAME_MAX = 52


@dataclass
class Identity:
    """One Kubernetes service account and everything it may do."""

    name: str
    namespace_key: str            # nightly | release | ci, or <project>/<mode key> (isolation)
    namespace: str
    purpose: str
    gcp: bool = False             # gets a Google service account through Workload Identity
    grants: list = field(default_factory=list)           # isolation.Grant: bucket roles
    rules: list = field(default_factory=list)            # namespaced RBAC rules
    cluster_rules: list = field(default_factory=list)    # cluster-scoped read rules
    project: str | None = None    # the released project it acts for (isolation)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def gcp_id(self) -> str:
        """Its Google service account's id (6-30 characters): the name, or a shortened one
        with a hash when longer, so long project names still get unique accounts."""
        if len(self.name) <= 30:
            return self.name
        import hashlib

        return f"{self.name[:23].rstrip('-')}-{hashlib.sha256(self.key.encode()).hexdigest()[:6]}"


@dataclass
class SecretSpec:
    """A Kubernetes Secret the pipelines read, filled from Pulumi config secrets."""

    name: str
    namespace_key: str
    namespace: str
    keys: dict                    # secret data key -> Pulumi config key (a secret)
    purpose: str
    kind: str = "plain"           # plain | dockerconfig
    project: str | None = None    # a project's own push credential: only in its namespaces
    registry_path: str | None = None


@dataclass
class Job:
    """One CronJob running the plumbing image."""

    name: str
    kind: str                     # nightly | image | job
    namespace_key: str
    namespace: str
    schedule: str
    service_account: str
    command: list
    deadline_seconds: int
    resources: dict
    source: str                   # the file it comes from
    labels: dict = field(default_factory=dict)
    secret_env: dict = field(default_factory=dict)     # env var -> (Secret name, key)


def identities(repo, images: dict, jobs: dict) -> list[Identity]:
    ns, sa = repo.org.namespaces, repo.org.service_accounts
    out = project_identities(repo) + [
        Identity(sa["ci"], "ci", ns["ci"], "runs PR check PipelineRuns (untrusted code: no access)"),
        Identity(PR_TRIGGERS, "ci", ns["ci"], "the PR webhook EventListener",
                 rules=[dict(r) for r in TRIGGERS_RULES], cluster_rules=[dict(r) for r in TRIGGERS_CLUSTER_RULES]),
    ]
    if images:
        out += [
            Identity(IMAGE_BUILDER, "release", ns["release"], "runs image-build PipelineRuns (pushes with the registry secret)"),
            Identity(IMAGE_LAUNCHER, "release", ns["release"], "the image-build CronJobs: create and read PipelineRuns",
                     rules=launch_rules(IMAGE_BUILDER)),
        ]
    if posttest.enabled(repo):
        out.append(Identity(repo.org.test_settings()[1], "test", ns["test"], posttest.TESTER_PURPOSE, gcp=True,
                            grants=isolation.verdict_grants(repo),
                            rules=[dict(r) for r in posttest.TESTER_RULES]))
    for job in jobs.values():
        out.append(Identity(job["name"], job["namespace"], ns[job["namespace"]], f"the {job['name']} CronJob",
                            gcp=bool(job["buckets"]), grants=job_grants(repo, job),
                            rules=[dict(r) for r in job["rules"]]))
    seen: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    for ident in out:
        if ident.gcp and len(ident.gcp_id) < 6:
            raise ConfigError(f"{ident.key}: {ident.name!r} must be at least 6 characters to name its Google "
                              "service account (Workload Identity)")
        if ident.key in seen:
            raise ConfigError(f"{ident.key}: two identities share this service account ({seen[ident.key]}, {ident.purpose})")
        seen[ident.key] = ident.purpose
        if ident.gcp and ident.gcp_id in seen_ids:
            raise ConfigError(f"{ident.key}: its Google service account {ident.gcp_id!r} is also {seen_ids[ident.gcp_id]}'s")
        if ident.gcp:
            seen_ids[ident.gcp_id] = ident.key
    return out


def project_identities(repo) -> list[Identity]:
    """Per project and mode, in the project's own namespace: the release runner, bound to a
    Google identity writing only <bucket>/<project>/; for a scheduled nightly, its launcher."""
    out = []
    for space in isolation.namespaces(repo):
        target = repo.org.target(space.project, space.mode)
        runner = target.service_account
        out.append(Identity(runner, space.key, space.name, f"runs {space.project}'s {space.mode} release PipelineRuns",
                            gcp=True, grants=isolation.project_grants(space.project, space.mode, bucket_name(target.bucket)),
                            rules=[dict(r) for r in RUN_LOG_RULES], project=space.project))
        if space.mode == NIGHTLY and repo.projects[space.project].has_nightly:
            out.append(Identity(runner + LAUNCHER_SUFFIX, space.key, space.name,
                                f"{space.project}'s nightly CronJob: create and read its PipelineRuns", gcp=True,
                                grants=[Grant("nightly", READER_ROLE)], rules=launch_rules(runner),
                                project=space.project))
    return out


def job_grants(repo, job: dict) -> list[Grant]:
    out = []
    for key, access in sorted(job["buckets"].items()):
        if access == "reader":
            out.append(Grant(key, READER_ROLE))
            continue
        bucket = bucket_name(getattr(repo.org.buckets, key))
        out += [Grant(key, READER_ROLE), Grant(key, REPLACER.role_id, Condition(
            f"{job['name']} objects only", f"resource.name.startsWith('{isolation.object_prefix(bucket, job['prefix'])}')",
            f"Objects under {job['prefix']} of {bucket}"))]
    return out


def secrets(repo) -> list[SecretSpec]:
    ns = repo.org.namespaces
    notify = repo.org.notify
    out = []
    for space in isolation.namespaces(repo):
        if notify.slack_webhook_secret:
            out.append(SecretSpec(notify.slack_webhook_secret, space.key, space.name, {"url": "slackWebhookUrl"},
                                  "Slack incoming webhook for release notifications"))
        if notify.github_token_secret:
            out.append(SecretSpec(notify.github_token_secret, space.key, space.name, {"token": "githubToken"},
                                  "GitHub token that comments on release issues"))
        target = repo.org.target(space.project, space.mode)
        if not isolation.uses_push_secret(repo, space.mode):
            continue   # Artifact Registry: repository IAM for the runner, no token (isolation.py)
        out.append(SecretSpec(isolation.PUSH_SECRET, space.key, space.name,
                              {"config.json": push_token_key(space.project, space.mode)},
                              f"docker config.json pushing only to {target.registry_path}", kind="dockerconfig",
                              project=space.project, registry_path=target.registry_path))
    # The CI images (images/) are the org's own, built in the release namespace.
    out.append(SecretSpec(REGISTRY_SECRET, "release", ns["release"], {"config.json": "registryToken"},
                          "docker config.json for pushing the CI images (images/)", kind="dockerconfig"))
    if posttest.enabled(repo):  # a failed post-release test notifies like a failed release
        if notify.slack_webhook_secret:
            out.append(SecretSpec(notify.slack_webhook_secret, "test", ns["test"], {"url": "slackWebhookUrl"},
                                  "Slack incoming webhook for post-release test notifications"))
        if notify.github_token_secret:
            out.append(SecretSpec(notify.github_token_secret, "test", ns["test"], {"token": "githubToken"},
                                  "GitHub token that comments on post-release test issues"))
    out.append(SecretSpec(PR_WEBHOOK_SECRET, "ci", ns["ci"], {"secret": "prWebhookSecret"},
                          "GitHub webhook secret the PR EventListener checks"))
    out.append(SecretSpec(PR_STATUS_SECRET, "ci", ns["ci"], {"token": "prStatusToken"},
                          "GitHub token allowed only to set commit statuses on PRs"))
    out += job_secrets(repo)
    return out


def push_token_key(project: str, mode: str) -> str:
    """The Pulumi config secret holding a project's push token for a mode."""
    return f"registryToken-{project}-{MODE_KEYS[mode]}"


def job_github_secret(name: str) -> str:
    return f"{name}-github"


def job_secrets(repo) -> list[SecretSpec]:
    """The GitHub token Secret of each cronjobs/<name>.yaml that asks for one (github_token)."""
    from plumbing.cronjobs import load_jobs

    ns = repo.org.namespaces
    return [SecretSpec(job_github_secret(name), job["namespace"], ns[job["namespace"]], {"token": job["github_token"]},
                       f"GitHub token of the {name} CronJob ($GITHUB_TOKEN)")
            for name, job in sorted(load_jobs(repo).items()) if job.get("github_token")]


# Chains signs with a cosign key held in its own namespace (the release file creates the
# Secret empty; the program fills it).
CHAINS_SIGNING_KEYS = {"cosign.key": "chainsCosignKey", "cosign.password": "chainsCosignPassword",
                       "cosign.pub": "chainsCosignPub"}


# The token the GitHub provider manages the organisation with (owner: admin:org and repo
# scopes). Not `githubToken`: that one is copied into cluster Secrets for release
# notifications; this one must never reach the cluster.
GITHUB_ORG_TOKEN = "githubOrgToken"


def secret_config_keys(repo, *, github_org: bool = False) -> list[str]:
    """Every Pulumi config secret the program requires: `pulumi config set --secret KEY`.
    `github_org`: the stack declares the GitHub organisation (plumbing:githubOrg)."""
    keys = {k for spec in secrets(repo) for k in spec.keys.values()}
    keys |= set(CHAINS_SIGNING_KEYS.values())
    if github_org:
        keys.add(GITHUB_ORG_TOKEN)
    from plumbing.inventory.deployer import SECRET_KEYS
    keys |= set(SECRET_KEYS.values())
    return sorted(keys)


def scheduled_jobs(repo, images: dict, jobs: dict) -> list[Job]:
    ns = repo.org.namespaces
    out = []
    for name, project in sorted(repo.projects.items()):
        if not project.has_nightly:
            continue
        target = repo.org.target(name, NIGHTLY)
        out.append(Job(
            name=f"nightly-{name}", kind="nightly", namespace_key=isolation.namespace_key(name, NIGHTLY),
            namespace=target.namespace, schedule=project.schedule,
            service_account=target.service_account + LAUNCHER_SUFFIX,
            command=["release", "nightly", name, "--apply", "--out", f"{SCRATCH}/dist"],
            deadline_seconds=LAUNCH_DEADLINE, resources=LAUNCHER_RESOURCES,
            source=f"releases/{name}.yaml", labels={"plumbing.tekton.dev/project": name}))
    for name, image in sorted(images.items()):
        out.append(Job(
            name=f"image-build-{name}", kind="image", namespace_key="release", namespace=ns["release"],
            schedule=image["schedule"], service_account=IMAGE_LAUNCHER,
            command=["plumbing", "image", "build", name, "--apply", "--out", f"{SCRATCH}/dist"],
            deadline_seconds=LAUNCH_DEADLINE, resources=LAUNCHER_RESOURCES,
            source=f"images/{name}/image.yaml", labels={"plumbing.tekton.dev/image": name}))
    for name, job in sorted(jobs.items()):
        res = job["resources"]
        out.append(Job(
            name=name, kind="job", namespace_key=job["namespace"], namespace=ns[job["namespace"]],
            schedule=job["schedule"], service_account=name, command=list(job["command"]),
            deadline_seconds=job["deadline_seconds"],
            resources={"requests": dict(res), "limits": {"cpu": _double_cpu(res["cpu"]), "memory": res["memory"]}},
            source=f"cronjobs/{name}.yaml", labels={"plumbing.tekton.dev/job": name},
            secret_env={"GITHUB_TOKEN": (job_github_secret(name), "token")} if job.get("github_token") else {}))
    for job in out:
        if len(job.name) > CRONJOB_NAME_MAX:
            raise ConfigError(f"{job.source}: CronJob name {job.name!r} is longer than {CRONJOB_NAME_MAX} characters")
    return out


def _double_cpu(cpu: str) -> str:
    milli = int(cpu[:-1]) if cpu.endswith("m") else int(cpu) * 1000
    return f"{milli * 2}m"


def bucket_name(url: str) -> str:
    """gs://name/optional/prefix -> name."""
    return url.split("://", 1)[-1].split("/", 1)[0]
