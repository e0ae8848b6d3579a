"""`release test PROJECT VERSION`: the plan of one post-release test and its rendered PipelineRun.

The plan names what is installed in which order (needed projects by their version rule, then
the release under test, by the published URLs users download), the smoke manifests, where the
run goes (the test namespace and service account) and its timeouts: the tasks get the
project's test timeout, `finally` (deleting the vcluster, recording the verdict) its own budget
on top, so a timed-out test still cleans up.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from plumbing import layout
from plumbing.config import parse_go_duration
from plumbing.findings import CheckFailed, ConfigError, Finding, PlumbingError
from plumbing.org import Repo
from plumbing.posttest.order import UNDER_TEST, install_order
from plumbing.release.plan import LABEL_VALUE
from plumbing.release.rendering import render_tasks
from plumbing.render import content_hash, dump_documents, embed_tasks, header, plumbing_commit, render_checked
from plumbing.versions import NIGHTLY, VersionError, parse

TASK_DIR = "tasks/post-release-test"
PIPELINE = "pipelines/post-release-test.yaml.j2"
PIPELINERUN = "pipelines/post-release-test-run.yaml.j2"
FINALLY_BUDGET = 15 * 60       # seconds kept for deleting the vcluster and recording the verdict
VCLUSTER = {"chart_repo": "https://charts.loft.sh", "chart_version": "0.20.0"}
_REVISION = re.compile(r"[0-9a-f]{40}|v[0-9]+\.[0-9]+\.[0-9]+", re.ASCII)


@dataclass
class TestPlan:
    project: str
    version: str
    mode: str
    revision: str
    namespace: str
    service_account: str
    installs: list[dict]        # [{project, version, files: [{name, url}]}], applied in this order
    smoke: list[str]
    command: str | None
    timeouts: dict
    version_label: str | None
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n) or "0s"


def published_url(repo: Repo, project: str, version: str, name: str) -> str:
    """The URL users download `name` of a release from (the public https URL for gs://)."""
    bucket = repo.org.buckets.for_mode(parse(version).kind)
    return layout.public_url(bucket, layout.release_file(project, version, name), repo.org.public_url)


def make_test_plan(repo: Repo, project_name: str, version: str, *, revision: str | None = None) -> TestPlan:
    project = repo.project(project_name)
    test = project.post_release_test
    if not test.enabled:
        raise ConfigError(f"{project.where.path}: post_release_test.enabled is false: {project_name} is not tested "
                          "after release")
    try:
        mode = parse(version).kind
    except VersionError as exc:
        raise PlumbingError(str(exc)) from None
    if revision is None and mode != NIGHTLY:
        revision = version  # the release's git tag
    if revision is None:
        raise PlumbingError(f"{version} is a nightly: pass --revision (the released 40-hex commit)")
    if not _REVISION.fullmatch(revision) or (mode == NIGHTLY and not revision.startswith(version[-10:])):
        raise PlumbingError(f"--revision {revision!r} is not the commit of {version} (40 hex"
                            + (f" starting {version[-10:]})" if mode == NIGHTLY else " or its tag)"))
    installs = []
    for step in install_order(repo.projects, project_name):
        rule = version if step.version == UNDER_TEST else step.version
        files = [{"name": name, "url": published_url(repo, step.project, version, name)
                  if step.version == UNDER_TEST else None} for name in step.files]
        installs.append({"project": step.project, "version": rule, "files": files})
    namespace, account = repo.org.test_settings()
    tasks = parse_go_duration(test.timeout) or 0
    return TestPlan(project=project_name, version=version, mode=mode, revision=revision, namespace=namespace,
                    service_account=account, installs=installs, smoke=list(test.smoke), command=test.command,
                    timeouts={"pipeline": _duration(tasks + FINALLY_BUDGET), "tasks": _duration(tasks),
                              "finally": _duration(FINALLY_BUDGET)},
                    version_label=version if LABEL_VALUE.fullmatch(version) else None)


@dataclass
class RenderedTest:
    plan: TestPlan
    tasks: dict[str, dict]
    pipeline: dict
    pipelinerun: dict
    sources: list[str]
    texts: dict[str, str]


def render_test(repo: Repo, plan: TestPlan) -> RenderedTest:
    project = repo.project(plan.project)
    context = {"project": project, "plan": plan.as_dict(), "vcluster": {**VCLUSTER, "namespace": plan.namespace}}
    sources = sorted(f"{TASK_DIR}/{p.name}" for p in (repo.root / TASK_DIR).glob("*.yaml.j2"))
    tasks, task_texts = render_tasks(repo, sources, context)
    pipeline_text, (pipeline, *rest) = render_checked(repo, PIPELINE, **context)
    _, (run, *more) = render_checked(repo, PIPELINERUN, **context)
    if rest or more or pipeline.get("kind") != "Pipeline" or run.get("kind") != "PipelineRun":
        raise CheckFailed(Finding.unplaced(PIPELINE, "rendered-object",
                                           "must render exactly one Pipeline and one PipelineRun").format())
    spec = embed_tasks(pipeline, tasks)
    annotations = run["metadata"].setdefault("annotations", {})
    annotations["plumbing.tekton.dev/commit"] = plumbing_commit(repo.root)
    annotations["plumbing.tekton.dev/content-hash"] = content_hash(spec)
    run["spec"] = {"pipelineSpec": spec, **run["spec"]}
    return RenderedTest(plan=plan, tasks=tasks, pipeline=pipeline, pipelinerun=run,
                        sources=[*sources, PIPELINE, PIPELINERUN, "plumbing.yaml", f"releases/{plan.project}.yaml"],
                        texts={"pipeline.yaml": pipeline_text, "tasks.yaml": "---\n".join(task_texts)})


def write_test(repo: Repo, rendered: RenderedTest, out_dir: Path) -> list[Path]:
    head = header(rendered.sources, repo.root)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"pipelinerun.yaml": dump_documents([rendered.pipelinerun], head), **rendered.texts}
    written = []
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def format_test_plan(plan: TestPlan) -> str:
    lines = [f"project    {plan.project}", f"version    {plan.version} ({plan.mode})",
             f"revision   {plan.revision}", "installs (in order)"]
    for step in plan.installs:
        lines.append(f"  {step['project']} {step['version']}")
        lines += [f"    {f['name']}" + (f"  {f['url']}" if f["url"] else "") for f in step["files"]]
    lines.append("smoke tests")
    lines += [f"  {path}" for path in plan.smoke] or ["  (none)"]
    if plan.command:
        lines.append(f"  command: {plan.command}")
    lines += ["runs in", f"  namespace {plan.namespace}, service account {plan.service_account}",
              f"  timeouts  tasks {plan.timeouts['tasks']}, finally {plan.timeouts['finally']}", "files",
              *(f"  {f}" for f in plan.files)]
    return "\n".join(lines) + "\n"
