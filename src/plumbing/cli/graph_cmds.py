"""`plumbing graph`: draw a pipeline's task graph (SVG, PNG, DOT or Mermaid)."""

from __future__ import annotations

import os

import click

from plumbing.cli.common import exits, root_option, usage_error

_SUFFIXES = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid",
             ".mermaid": "mermaid"}
# The commit a project's graph is rendered at when none is given: the graph does not depend on it.
_PLACEHOLDER_REVISION = "0" * 40


@click.command("graph")
@click.argument("pipeline")
@click.option("--format", "-f", "fmt", type=click.Choice(["svg", "png", "dot", "mermaid"]),
              default=None, help="Output format (default: from -o's suffix, else svg).")
@click.option("--out", "-o", "output", type=click.Path(dir_okay=False), default=None,
              help="Write to FILE instead of stdout (png needs a file).")
@click.option("--mode", type=click.Choice(["nightly", "full"]), default="nightly", show_default=True,
              help="Which release pipeline to draw when PIPELINE is a project name.")
@root_option
@exits
def graph(pipeline, fmt, output, mode, root):
    """Draw the task graph of PIPELINE: a Pipeline or PipelineRun file, or a project name.

    \b
    Edges come from runAfter (solid) and from result references (dashed when that is the only
    link), labelled with the results read; `when` conditions label their task; finally tasks
    are grouped apart.

    \b
    plumbing graph release-pipeline.yaml -o graph.svg
    plumbing graph pipeline --format mermaid
    """
    return run_graph(pipeline, fmt, output, mode, root)


def run_graph(pipeline: str, fmt: str | None, output: str | None, mode: str, root) -> int:
    from plumbing import graph as g

    if fmt is None:
        fmt = _SUFFIXES.get(os.path.splitext(output)[1].lower(), "svg") if output else "svg"
    if fmt == "png" and not output:
        raise usage_error("--format png writes binary data: give -o FILE.png")
    try:
        doc = _pipeline_doc(pipeline, mode, root)
        graph = g.build_graph(doc)
        if fmt == "png":
            g.write_png(graph, output)
        else:
            text = g.render(graph, fmt)
            if output:
                with open(output, "w", encoding="utf-8") as f:
                    f.write(text)
            else:
                click.echo(text, nl=False)
    except g.GraphError as exc:
        raise usage_error(str(exc)) from None
    except OSError as exc:
        raise usage_error(f"cannot write {output}: {exc.strerror or exc}") from None
    if output:
        click.echo(f"wrote {output} ({len(graph.regular)} tasks, {len(graph.finally_tasks)} finally)",
                   err=True)
    return 0


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or text.endswith((".yaml", ".yml", ".json"))


def _pipeline_doc(pipeline: str, mode: str, root) -> dict:
    from plumbing import graph as g

    if os.path.isfile(pipeline):
        return g.load_pipeline_file(pipeline)
    if _looks_like_path(pipeline):
        raise usage_error(f"{pipeline}: no such file")
    return project_pipeline(pipeline, mode, root)


def project_pipeline(project: str, mode: str, root) -> dict:
    """The rendered release pipeline of a configured project (tekton.dev/v1 Pipeline dict).

    Rendered exactly as `release nightly|full` renders it, at a placeholder commit (the task
    graph does not depend on the commit or version).
    """
    from plumbing.config import load_repo
    from plumbing.release.plan import make_plan
    from plumbing.release.rendering import render_release

    repo = load_repo(root)
    repo.project(project)  # ConfigError listing the known projects
    version = "v0.0.0" if mode == "full" else None
    plan = make_plan(repo, project, mode, revision=_PLACEHOLDER_REVISION, version=version)
    return render_release(repo, plan).pipeline
