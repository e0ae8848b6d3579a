"""The pipeline task graph: model, layout, SVG/DOT/Mermaid output and `plumbing graph`."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from plumbing import graph as g
from plumbing.cli.main import plumbing

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "corpus" / "pipeline-release" / "release-pipeline.yaml"
ARTIFACTS = REPO / "test-artifacts"
SVG_NS = "{http://www.w3.org/2000/svg}"

needs_real = pytest.mark.skipif(not REAL.is_file(), reason=f"{REAL} is not there")


def pipeline(tasks, final=(), kind="Pipeline"):
    spec = {"tasks": list(tasks)}
    if final:
        spec["finally"] = list(final)
    if kind == "PipelineRun":
        return {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
                "metadata": {"generateName": "run-"}, "spec": {"pipelineSpec": spec}}
    return {"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "p"}, "spec": spec}


def edges(graph):
    return {(e.src, e.dst): (e.run_after, tuple(e.results)) for e in graph.edges}


@pytest.fixture(scope="module")
def real_doc():
    return g.load_pipeline_file(REAL)


@needs_real
def test_real_release_pipeline_edges_and_when_labels(real_doc):
    graph = g.build_graph(real_doc)
    assert [t.name for t in graph.tasks][:3] == ["git-clone", "precheck", "unit-tests"]
    assert not graph.finally_tasks
    e = edges(graph)
    assert e[("git-clone", "precheck")] == (True, ())
    assert e[("unit-tests", "publish-images")] == (True, ())
    assert e[("prepare-draft-release", "create-draft-release")] == (
        True, ("package", "release-name", "previous-tag"))
    assert e[("wait-for-chains", "create-draft-release")] == (True, ("rekor-uuid",))
    assert len(e) == 12
    by_name = {t.name: t for t in graph.tasks}
    assert by_name["unit-tests"].when == ["'$(params.runTests)' == 'true'"]
    assert "$(params.releaseAsLatest) in [true]" in by_name["publish-to-bucket-latest"].when
    assert by_name["git-clone"].ref == "bundles: git-clone"


def _boxes(svg_text):
    root = ET.fromstring(svg_text)
    out = {}
    for group in root.iter(SVG_NS + "g"):
        if "task" in (group.get("class") or "").split():
            rect = group.find(SVG_NS + "rect")
            out[group.find(SVG_NS + "title").text] = tuple(
                float(rect.get(k)) for k in ("x", "y", "width", "height"))
    return root, out


def _overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@needs_real
def test_real_pipeline_svg_is_valid_and_laid_out(real_doc):
    svg = g.to_svg(g.build_graph(real_doc))
    root, boxes = _boxes(svg)
    assert root.find(SVG_NS + "title").text == "Pipeline pipeline-release"
    assert len(boxes) == 11
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not _overlap(boxes[a], boxes[b]), (a, b)
    width, height = float(root.get("width")), float(root.get("height"))
    for x, y, w, h in boxes.values():
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
    # every dependency points down the page
    for src, dst in [("git-clone", "precheck"), ("publish-images", "wait-for-chains"),
                     ("wait-for-chains", "create-draft-release")]:
        assert boxes[src][1] + boxes[src][3] < boxes[dst][1]
    assert "when &#x27;$(params.runTests)&#x27; == &#x27;true&#x27;" in svg


def test_finally_results_status_and_data_only_edges():
    doc = pipeline(
        [{"name": "clone", "taskRef": {"name": "git-clone"}},
         {"name": "test", "runAfter": ["clone"], "taskRef": {"name": "go-test"},
          "params": [{"name": "sha", "value": "$(tasks.clone.results.commit)"}]},
         {"name": "publish", "taskSpec": {"steps": []},
          "when": [{"input": "$(tasks.test.results.ok)", "operator": "in", "values": ["yes"]}]}],
        final=[{"name": "record", "taskRef": {"name": "record"},
                "params": [{"name": "status", "value": "$(tasks.status)"},
                           {"name": "p", "value": "$(tasks.publish.status)"},
                           {"name": "c", "value": "$(tasks.clone.results.commit)"}]}],
        kind="PipelineRun")
    graph = g.build_graph(doc)
    e = edges(graph)
    assert e[("clone", "test")] == (True, ("commit",))
    assert e[("test", "publish")] == (False, ("ok",))
    assert e[("publish", "record")] == (False, ("status",))
    assert e[("clone", "record")] == (False, ("commit",))
    assert [t.name for t in graph.finally_tasks] == ["record"]
    svg = g.to_svg(graph)
    root, boxes = _boxes(svg)
    assert max(b[1] for n, b in boxes.items() if n != "record") < boxes["record"][1]
    assert "finally: after all tasks" in svg
    group = next(el for el in root.iter(SVG_NS + "g") if el.get("class") == "finally-group")
    gx, gy, gw, gh = (float(group.find(SVG_NS + "rect").get(k)) for k in ("x", "y", "width", "height"))
    rx, ry, rw, rh = boxes["record"]
    assert gx < rx and rx + rw < gx + gw and gy < ry and ry + rh < gy + gh
    assert gw >= g._text_width(g.FINALLY_LABEL, 12, True) + 15.9
    assert 0 <= gx and gx + gw <= float(root.get("width"))
    assert 'class="edge data"' in svg
    dot = g.to_dot(graph)
    assert "subgraph cluster_finally" in dot and '"test" -> "publish" [style=dashed, label="ok"];' in dot
    mer = g.to_mermaid(graph)
    assert mer.startswith("flowchart TB") and 'subgraph finally' in mer and '-.->|"ok"|' in mer


def test_array_and_object_results_name_the_result():
    doc = pipeline([{"name": "a"}, {"name": "b", "params": [
        {"name": "x", "value": ["$(tasks.a.results.images[*])"]},
        {"name": "y", "value": "$(tasks.a.results.info.digest)"}]}])
    assert edges(g.build_graph(doc)) == {("a", "b"): (False, ("images", "info"))}


@pytest.mark.parametrize("doc, message", [
    (pipeline([{"name": "a", "runAfter": ["b"]}, {"name": "b", "runAfter": ["a"]}]), "cycle: "),
    (pipeline([{"name": "a", "runAfter": ["nope"]}]), "unknown task 'nope'"),
    (pipeline([{"name": "a"}, {"name": "a"}]), "used twice: a"),
    ({"kind": "PipelineRun", "metadata": {"name": "r"}, "spec": {"pipelineRef": {"name": "x"}}},
     "pipelineRef"),
    ({"kind": "Task", "spec": {}}, "not a Pipeline"),
])
def test_bad_pipelines_are_one_clear_error(doc, message):
    with pytest.raises(g.GraphError, match=re.escape(message)):
        g.build_graph(doc)


def test_escaping_keeps_svg_and_mermaid_well_formed():
    doc = pipeline([{"name": "a", "when": [{"cel": "'<x>' == \"&y\""}]},
                    {"name": "b", "runAfter": ["a"]}])
    graph = g.build_graph(doc)
    ET.fromstring(g.to_svg(graph))
    assert '#quot;&amp;y#quot;' in g.to_mermaid(graph)


def fifteen_tasks():
    tasks = [{"name": "t0", "taskRef": {"name": "clone"}}]
    for i in range(1, 15):
        t = {"name": f"t{i}", "runAfter": [f"t{(i - 1) // 2}"], "taskRef": {"name": f"task-{i}"}}
        if i % 3 == 0:
            t["when"] = [{"input": "$(params.run)", "operator": "in", "values": ["true"]}]
            t["params"] = [{"name": "x", "value": f"$(tasks.t{i - 3}.results.out)"}]
        tasks.append(t)
    return pipeline(tasks, final=[{"name": "notify", "params": [{"name": "s", "value": "$(tasks.status)"}]}])


def test_write_svg_is_fast_for_fifteen_tasks(tmp_path):
    doc = fifteen_tasks()
    best = min(_timed(g.write_svg, doc, tmp_path / "graph.svg") for _ in range(5))
    assert best < 0.010, f"write_svg took {best * 1000:.1f} ms"
    ET.parse(tmp_path / "graph.svg")


def _timed(fn, *args):
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def test_graph_module_imports_nothing_heavy():
    code = "import sys, plumbing.graph; print(' '.join(sorted(sys.modules)))"
    mods = subprocess.run([str(REPO / ".venv/bin/python"), "-c", code], capture_output=True,
                          text=True, check=True).stdout.split()
    for heavy in ("yaml", "jinja2", "click", "html.entities", "subprocess", "xml"):
        assert heavy not in mods


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 14).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))))
def test_random_dags_lay_out_without_overlap_and_point_down(case):
    n, pairs = case
    deps = {i: sorted({a for a, b in pairs if a < b and b == i}) for i in range(n)}
    doc = pipeline([{"name": f"task-{i}", **({"runAfter": [f"task-{a}" for a in deps[i]]} if deps[i] else {})}
                    for i in range(n)])
    graph = g.build_graph(doc)
    _, boxes = _boxes(g.to_svg(graph))
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not _overlap(boxes[a], boxes[b])
    for e in graph.edges:
        assert boxes[e.src][1] + boxes[e.src][3] < boxes[e.dst][1]


# --- the command ---------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(plumbing, ["graph", *map(str, args)])


@needs_real
def test_cli_writes_svg_of_the_real_pipeline(tmp_path):
    out = tmp_path / "graph.svg"
    result = run(REAL, "-o", out)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "11 tasks" in result.output
    _, boxes = _boxes(out.read_text())
    assert "create-draft-release" in boxes


@needs_real
@pytest.mark.parametrize("fmt, start", [("svg", "<svg"), ("dot", "digraph"), ("mermaid", "flowchart TB")])
def test_cli_prints_text_formats_to_stdout(fmt, start):
    result = run(REAL, "--format", fmt)
    assert result.exit_code == 0
    assert result.output.startswith(start) and "publish-images" in result.output


def test_cli_reads_a_pipelinerun_file(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(fifteen_tasks()["spec"] and pipeline(
        [{"name": "a"}, {"name": "b", "runAfter": ["a"]}], kind="PipelineRun")))
    result = run(path, "-f", "dot")
    assert result.exit_code == 0 and '"a" -> "b";' in result.output


@pytest.mark.parametrize("args, message", [
    (["missing/pipeline.yaml"], "missing/pipeline.yaml: no such file"),
    (["no-such-project", "--root", REPO], "unknown project 'no-such-project'; known projects:"),
    ([REAL, "-f", "png"], "give -o FILE.png"),
])
def test_cli_mistakes_are_one_line_exit_2(args, message):
    result = CliRunner().invoke(plumbing, ["graph", *map(str, args)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_cli_rejects_a_non_pipeline_file(tmp_path):
    path = tmp_path / "task.yaml"
    path.write_text("kind: Task\nspec: {}\n")
    result = run(path)
    assert result.exit_code == 2 and "no Pipeline or PipelineRun document" in result.output


@pytest.mark.skipif(not shutil.which("dot"), reason="graphviz is not installed (apt-get install graphviz)")
def test_dot_output_is_accepted_by_graphviz():
    text = g.to_dot(g.build_graph(fifteen_tasks()))
    proc = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@needs_real
@pytest.mark.slow
@pytest.mark.skipif(not g.find_chromium(), reason="chromium is not installed (apt-get install chromium)")
def test_png_of_the_real_pipeline_via_chromium():
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "graph.png"
    result = run(REAL, "-o", out)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width > 600 and height > 600


def test_cli_draws_a_configured_projects_release_pipeline():
    result = CliRunner().invoke(plumbing, ["graph", "pipeline", "--root", str(REPO), "-f", "mermaid"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("flowchart TB")
