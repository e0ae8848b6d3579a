"""Rendering one release: its Tasks, its Pipeline and the PipelineRun that embeds them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from plumbing.findings import CheckFailed, Finding
from plumbing.graph import write_svg
from plumbing.org import Repo
from plumbing.release.plan import Plan
from plumbing.render import content_hash, dump_documents, embed_tasks, header, plumbing_commit, render_checked

TASK_DIR = "tasks"
PIPELINE = "pipelines/release.yaml.j2"
PIPELINERUN = "pipelines/release-run.yaml.j2"


@dataclass
class RenderedRelease:
    plan: Plan
    tasks: dict[str, dict]
    pipeline: dict
    pipelinerun: dict
    config: dict
    sources: list[str]
    texts: dict[str, str]  # the checked template output, written as rendered (comments kept)


def task_templates(root: Path) -> list[str]:
    return sorted(f"{TASK_DIR}/{p.name}" for p in (root / TASK_DIR).glob("*.yaml.j2"))


def render_tasks(repo: Repo, sources: list[str], context: dict) -> tuple[dict[str, dict], list[str]]:
    """Each Task template rendered and checked: ({task name: Task}, [rendered texts])."""
    tasks: dict[str, dict] = {}
    texts = []
    for template in sources:
        text, docs = render_checked(repo, template, **context)
        for doc in docs:
            if doc.get("kind") != "Task":
                raise CheckFailed(Finding.unplaced(template, "rendered-object",
                                                   f"renders a {doc.get('kind')}, not a Task").format())
            tasks[doc["metadata"]["name"]] = doc
        texts.append(text)
    return tasks, texts


def render_release(repo: Repo, plan: Plan) -> RenderedRelease:
    project = repo.project(plan.project)
    context = {"project": project, "plan": plan.as_dict()}
    sources = task_templates(repo.root)
    tasks, task_texts = render_tasks(repo, sources, context)
    pipeline_text, docs = render_checked(repo, PIPELINE, **context)
    (pipeline,) = _one(docs, PIPELINE, "Pipeline")
    (run,) = _one(render_checked(repo, PIPELINERUN, **context)[1], PIPELINERUN, "PipelineRun")
    spec = embed_tasks(pipeline, tasks)
    run["spec"]["pipelineSpec"] = spec
    annotations = run["metadata"].setdefault("annotations", {})
    annotations["plumbing.tekton.dev/commit"] = plumbing_commit(repo.root)
    annotations["plumbing.tekton.dev/content-hash"] = content_hash(spec)
    # Put pipelineSpec after params for readers: rebuild spec in a stable, readable order.
    run["spec"] = {"pipelineSpec": spec, **{k: v for k, v in run["spec"].items() if k != "pipelineSpec"}}
    return RenderedRelease(plan=plan, tasks=tasks, pipeline=pipeline, pipelinerun=run,
                           config={"organisation": dict(repo.org.data), "project": dict(project.data)},
                           sources=[*sources, PIPELINE, PIPELINERUN, "plumbing.yaml",
                                    f"releases/{plan.project}.yaml"],
                           texts={"pipeline.yaml": pipeline_text, "tasks.yaml": "---\n".join(task_texts)})


def _one(docs, template, kind):
    if len(docs) != 1 or docs[0].get("kind") != kind:
        raise CheckFailed(Finding.unplaced(template, "rendered-object", f"must render exactly one {kind}").format())
    return docs


def write_release(repo: Repo, rendered: RenderedRelease, out_dir: Path) -> list[Path]:
    """Write the rendered release; returns the files written, in a stable order."""
    head = header(rendered.sources, repo.root)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "pipelinerun.yaml": dump_documents([rendered.pipelinerun], head),
        **rendered.texts,
        "config.yaml": head + "\n# The effective (fully defaulted) config of this release.\n"
        + yaml.safe_dump(rendered.config, sort_keys=False, allow_unicode=True),
    }
    written = []
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    path = out_dir / "graph.svg"
    write_svg(rendered.pipeline, path)
    written.append(path)
    return written
