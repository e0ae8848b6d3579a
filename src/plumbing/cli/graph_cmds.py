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
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), default=None,
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
    """The rendered release pipeline of a configured project (tekton.dev/v1 Pipeline dict)."""
    from plumbing.config import load_repo

    repo = load_repo(root)
    repo.project(project)  # ConfigError listing the known projects
    try:
        from plumbing.render import render_release
    except ImportError:
        render_release = None
    if render_release is not None:
        version = "v20260101-0000000000" if mode == "nightly" else "v0.0.0"
        rendered = render_release(repo, project, mode, version, _PLACEHOLDER_REVISION)
        return rendered.pipeline
    return _pipeline_via_cli(project, mode, repo.root)


def _pipeline_via_cli(project: str, mode: str, root) -> dict:
    """Fallback: run `release nightly|full PROJECT --out TMP` and read TMP/pipeline.yaml."""
    import subprocess
    import sys
    import tempfile

    from plumbing import graph as g

    with tempfile.TemporaryDirectory(prefix="plumbing-graph-") as tmp:
        cmd = [sys.executable, "-c", "from plumbing.cli.main import release; release()", mode,
               project, "--revision", _PLACEHOLDER_REVISION, "--out", tmp]
        if mode == "full":
            cmd += ["--version", "v0.0.0"]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(root),
                              env={**os.environ, "PLUMBING_ROOT": str(root)})
        path = os.path.join(tmp, "pipeline.yaml")
        if proc.returncode or not os.path.isfile(path):
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise usage_error(f"could not render {project}'s {mode} pipeline"
                              + (f": {detail[-1]}" if detail else ""))
        return g.load_pipeline_file(path)
