"""The task graph of a Tekton Pipeline: model, layered layout, and SVG / DOT / Mermaid output.

Edges come from the pipeline DAG model (plumbing.dag): `runAfter` and references to another
task's results or status (`$(tasks.X.results.Y)`, `$(tasks.X.status)`) in params, matrix params,
`when` expressions and workspaces. `when` expressions label their task; `finally` tasks are drawn apart, in a group
after every other task.

SVG is laid out here, in pure Python (a small Sugiyama-style layered layout: longest-path
ranks, dummy nodes on long edges, barycentre ordering, least-squares x placement), because
`release nightly` writes graph.svg on every run and must not pay for graphviz or heavy
imports. Only `re` and plumbing.dag (`re`, `graphlib`) are imported at module level. PNG is the SVG rasterised by a headless
Chromium (or graphviz `dot` from the DOT text when no Chromium is found), see `write_png`.
"""

from __future__ import annotations

import re

from plumbing.dag import GRAPH_PARTS, PipelineDag, find_cycle, ranks

FORMATS = ("svg", "png", "dot", "mermaid")


def _esc(text: str) -> str:
    """XML-escape text and attribute values (html.escape would import html.entities)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#x27;"))


class GraphError(ValueError):
    """The document is not a Pipeline the graph can be drawn from."""


# --- model ---------------------------------------------------------------------------------

class Task:
    __slots__ = ("name", "final", "ref", "when")

    def __init__(self, name: str, final: bool, ref: str, when: list[str]):
        self.name = name
        self.final = final
        self.ref = ref
        self.when = when


class Edge:
    __slots__ = ("src", "dst", "run_after", "results")

    def __init__(self, src: str, dst: str):
        self.src = src
        self.dst = dst
        self.run_after = False
        self.results: list[str] = []  # result names (or "status") the target reads

    @property
    def label(self) -> str:
        if not self.results:
            return ""
        text = ", ".join(self.results)
        return text if len(text) <= 32 else text[:31] + "\u2026"


class Graph:
    def __init__(self, name: str, tasks: list[Task], edges: list[Edge]):
        self.name = name
        self.tasks = tasks
        self.edges = edges

    @property
    def regular(self) -> list[Task]:
        return [t for t in self.tasks if not t.final]

    @property
    def finally_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.final]


def pipeline_spec(doc: dict) -> tuple[str, dict]:
    """(name, spec) of a Pipeline, or of a PipelineRun's embedded pipelineSpec."""
    if not isinstance(doc, dict):
        raise GraphError("not a Kubernetes object (expected a mapping)")
    kind = doc.get("kind")
    name = str((doc.get("metadata") or {}).get("name") or (doc.get("metadata") or {}).get("generateName") or "pipeline")
    spec = doc.get("spec") or {}
    if kind == "Pipeline":
        return name, spec
    if kind == "PipelineRun":
        if isinstance(spec.get("pipelineSpec"), dict):
            return name, spec["pipelineSpec"]
        if spec.get("pipelineRef"):
            raise GraphError(f"PipelineRun {name} refers to its pipeline (pipelineRef) instead of "
                             "embedding it (pipelineSpec); graph the Pipeline file instead")
        raise GraphError(f"PipelineRun {name} has no spec.pipelineSpec")
    raise GraphError(f"kind {kind!r} is not a Pipeline or PipelineRun")


def _when_label(expr: dict) -> str:
    if not isinstance(expr, dict):
        return str(expr)
    if "cel" in expr:
        return str(expr["cel"])
    values = expr.get("values") or []
    shown = ", ".join(str(v) for v in values)
    return f"{expr.get('input', '')} {expr.get('operator', 'in')} [{shown}]"


def _ref_label(task: dict) -> str:
    ref = task.get("taskRef")
    if isinstance(ref, dict):
        if ref.get("name"):
            return str(ref["name"])
        params = {p.get("name"): p.get("value") for p in ref.get("params") or [] if isinstance(p, dict)}
        resolver = ref.get("resolver", "")
        if params.get("name"):
            return f"{resolver}: {params['name']}" if resolver else str(params["name"])
        if params.get("pathInRepo"):
            return f"{resolver}: {str(params['pathInRepo']).rsplit('/', 1)[-1]}"
        return str(resolver)
    if "taskSpec" in task:
        return "inline taskSpec"
    if "pipelineRef" in task or "pipelineSpec" in task:
        return "pipeline"
    return ""


def _graph_tasks(spec: dict) -> list[Task]:
    """The tasks, checked: lists of named mappings, no name used twice."""
    tasks: list[Task] = []
    for final, key in ((False, "tasks"), (True, "finally")):
        items = spec.get(key) or []
        if not isinstance(items, list):
            raise GraphError(f"spec.{key} is not a list")
        for item in items:
            if not isinstance(item, dict) or not item.get("name"):
                raise GraphError(f"spec.{key} holds a task without a name")
            when = [_when_label(w) for w in item.get("when") or []]
            tasks.append(Task(str(item["name"]), final, _ref_label(item), when))
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise GraphError(f"task names used twice: {', '.join(dup)}")
    return tasks


def _graph_edges(spec: dict, known: set[str]) -> list[Edge]:
    """One edge per (source, target) from the DAG model: runAfter, then results read."""
    edges: dict[tuple[str, str], Edge] = {}

    def edge(src: str, dst: str) -> Edge:
        if src not in known:
            raise GraphError(f"task {dst} refers to unknown task {src!r}")
        return edges.setdefault((src, dst), Edge(src, dst))

    for node in PipelineDag(spec).nodes:
        dst = str(node.task["name"])
        for before in node.run_after:
            edge(str(before), dst).run_after = True
        for r in node.refs_in(GRAPH_PARTS):
            ref = r.ref
            if ref.scope != "tasks" or not ref.task or ref.what not in ("results", "status"):
                continue
            e = edge(ref.task, dst)
            result = ref.result if ref.what == "results" else "status"
            if result not in e.results:
                e.results.append(result)
    return list(edges.values())


def build_graph(doc: dict) -> Graph:
    """The Graph of a Pipeline or PipelineRun document (a parsed YAML mapping)."""
    name, spec = pipeline_spec(doc)
    tasks = _graph_tasks(spec)
    graph = Graph(name, tasks, _graph_edges(spec, {t.name for t in tasks}))
    _ranks(graph)  # raises on a cycle
    return graph


def load_pipeline_file(path) -> dict:
    """The first Pipeline or PipelineRun document in a YAML file."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
    except OSError as exc:
        raise GraphError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise GraphError(f"{path}: not valid YAML: {exc}") from None
    for d in docs:
        if isinstance(d, dict) and d.get("kind") in ("Pipeline", "PipelineRun"):
            return d
    raise GraphError(f"{path}: no Pipeline or PipelineRun document")


# --- layout --------------------------------------------------------------------------------

def _ranks(graph: Graph) -> dict[str, int]:
    """Longest-path rank of each regular task; finally tasks get the rank after the last."""
    final = {t.name for t in graph.finally_tasks}
    preds: dict[str, list[str]] = {t.name: [] for t in graph.regular}
    for e in graph.edges:
        if e.dst in final:
            continue
        if e.src in final:
            raise GraphError(f"task {e.dst} depends on finally task {e.src}")
        preds[e.dst].append(e.src)
    cycle = find_cycle(preds, list(preds))
    if cycle:
        raise GraphError("the tasks form a cycle: " + " -> ".join(cycle))
    rank = ranks(preds)
    last = max(rank.values(), default=-1)
    for t in graph.finally_tasks:
        rank[t.name] = last + 1
    return rank


FONT = 13        # task name, px
SMALL = 11       # ref, when and edge labels, px
PAD_X = 10
LINE = 16
GAP_X = 24       # between neighbours in a layer
GAP_Y = 46       # between layers
DUMMY_W = 12
MARGIN = 16
FINALLY_LABEL = "finally: after all tasks"


def _text_width(text: str, size: float, bold: bool = False) -> float:
    # DejaVu/Liberation Sans average; deliberately generous so text never overflows its box.
    return len(text) * size * (0.64 if bold else 0.58)


def _clip(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


class _Node:
    __slots__ = ("key", "task", "w", "h", "x", "y", "rank", "order")

    def __init__(self, key, task, w, h, rank):
        self.key, self.task, self.w, self.h, self.rank = key, task, w, h, rank
        self.x = self.y = 0.0
        self.order = 0


def _node_lines(t: Task) -> list[tuple[str, str]]:
    lines = [("name", t.name)]
    if t.ref:
        lines.append(("ref", _clip(t.ref)))
    for w in t.when:
        lines.append(("when", _clip("when " + w, 56)))
    return lines


def _pava(y: list[float]) -> list[float]:
    """Non-decreasing z minimising sum (z - y)^2 (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, count]
    for v in y:
        blocks.append([v, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    out: list[float] = []
    for m, c in blocks:
        out.extend([m] * c)
    return out


class _Layers:
    """The layered drawing being built: layers of nodes (dummies included) and the links
    between neighbouring layers."""

    def __init__(self, layers: list[list[_Node]], up: dict, down: dict):
        self.layers, self.up, self.down = layers, up, down

    @property
    def n(self) -> int:
        return len(self.layers)

    def number(self, r: int) -> None:
        for i, node in enumerate(self.layers[r]):
            node.order = i

    def crossings(self, r: int) -> int:
        """Edge crossings between layer r and layer r + 1."""
        pairs = [(n.order, m.order) for n in self.layers[r] for m in self.down.get(n.key, ())]
        return sum(1 for i, (a, b) in enumerate(pairs) for c, d in pairs[i + 1:]
                   if (a - c) * (b - d) < 0)

    def total(self) -> int:
        return sum(self.crossings(r) for r in range(self.n - 1))

    def sweep(self, sweep: int):
        """(layer indices, neighbours to follow) of a sweep: even ones go down, odd ones up."""
        if sweep % 2 == 0:
            return range(1, self.n), self.up
        return range(self.n - 2, -1, -1), self.down


def _task_nodes(graph: Graph) -> dict[str, _Node]:
    rank = _ranks(graph)
    nodes: dict[str, _Node] = {}
    for t in graph.tasks:
        lines = _node_lines(t)
        w = max(_text_width(s, FONT if k == "name" else SMALL, k == "name") for k, s in lines) + 2 * PAD_X
        h = 10 + LINE * len(lines)
        nodes[t.name] = _Node(t.name, t, max(w, 90.0), h, rank[t.name])
    return nodes


def _layers(graph: Graph, nodes: dict[str, _Node]) -> tuple[_Layers, list]:
    """Nodes in layers by rank (document order first); long edges pass through dummy nodes,
    one per layer they cross. Returns the layers and each edge's chain of nodes."""
    nlayers = max((n.rank for n in nodes.values()), default=-1) + 1
    layers: list[list[_Node]] = [[] for _ in range(nlayers)]
    for n in nodes.values():
        layers[n.rank].append(n)
    chains: list[tuple[Edge, list[_Node]]] = []
    for i, e in enumerate(graph.edges):
        a, b = nodes[e.src], nodes[e.dst]
        chain = [a]
        for r in range(a.rank + 1, b.rank):
            d = _Node(f"\0{i}.{r}", None, DUMMY_W, 0, r)
            layers[r].append(d)
            chain.append(d)
        chain.append(b)
        chains.append((e, chain))
    up: dict[str, list[_Node]] = {}
    down: dict[str, list[_Node]] = {}
    for _, chain in chains:
        for p, q in zip(chain, chain[1:], strict=False):
            down.setdefault(p.key, []).append(q)
            up.setdefault(q.key, []).append(p)
    lay = _Layers(layers, up, down)
    for r in range(nlayers):
        lay.number(r)
    return lay, chains


def _order(lay: _Layers) -> None:
    """Barycentre ordering, down then up, keeping the best order seen; then transpose."""
    best, best_order = lay.total(), [list(layer) for layer in lay.layers]
    for sweep in range(8):
        if best == 0:
            break
        seq, adj = lay.sweep(sweep)
        for r in seq:
            def key(n, adj=adj):
                ns = adj.get(n.key)
                return sum(m.order for m in ns) / len(ns) if ns else n.order
            lay.layers[r].sort(key=key)
            lay.number(r)
        now = lay.total()
        if now < best:
            best, best_order = now, [list(layer) for layer in lay.layers]
    for r, layer in enumerate(best_order):
        lay.layers[r] = layer
        lay.number(r)
    if best > 0:
        _transpose(lay)


def _transpose(lay: _Layers) -> None:
    """Swap neighbours while that removes crossings."""
    improved = True
    while improved:
        improved = False
        for r, layer in enumerate(lay.layers):
            around = [q for q in (r - 1, r) if 0 <= q < lay.n - 1]
            for i in range(len(layer) - 1):
                before = sum(lay.crossings(q) for q in around)
                layer[i], layer[i + 1] = layer[i + 1], layer[i]
                lay.number(r)
                if sum(lay.crossings(q) for q in around) < before:
                    improved = True
                else:
                    layer[i], layer[i + 1] = layer[i + 1], layer[i]
                    lay.number(r)


def _place_y(graph: Graph, lay: _Layers) -> float:
    """Layers stacked; finally tasks one extra gap below (their group box needs room).
    Returns the drawing's height."""
    y = MARGIN
    for r, layer in enumerate(lay.layers):
        if graph.finally_tasks and r == lay.n - 1 and r > 0:
            y += 22
        hmax = max((n.h for n in layer), default=0)
        for n in layer:
            n.y = y + (hmax - n.h) / 2 if n.task else y
            n.h = n.h if n.task else hmax
        y += hmax + GAP_Y
    return y - GAP_Y + MARGIN


def _place_x(lay: _Layers) -> None:
    """Pack each layer, then pull nodes towards their neighbours' centres (least squares,
    order and spacing kept), sweeping down and up a few times."""
    for layer in lay.layers:
        x = 0.0
        for n in layer:
            n.x = x
            x += n.w + GAP_X
    for sweep in range(6):
        seq, adj = lay.sweep(sweep)
        for r in seq:
            layer = lay.layers[r]
            offsets, acc = [], 0.0
            for n in layer:
                offsets.append(acc)
                acc += n.w + GAP_X
            want = []
            for n in layer:
                ns = adj.get(n.key)
                centre = sum(m.x + m.w / 2 for m in ns) / len(ns) if ns else n.x + n.w / 2
                want.append(centre - n.w / 2)
            z = _pava([w - o for w, o in zip(want, offsets, strict=True)])
            for n, zi, o in zip(layer, z, offsets, strict=True):
                n.x = zi + o


def _centre_unlinked(lay: _Layers, allnodes: list[_Node]) -> None:
    """Layers tied to nothing (finally tasks without references) go in the middle."""
    linked = [n for n in allnodes if n.key in lay.up or n.key in lay.down]
    if not linked:
        return
    mid = (min(n.x for n in linked) + max(n.x + n.w for n in linked)) / 2
    for layer in lay.layers:
        if layer and not any(n.key in lay.up or n.key in lay.down for n in layer):
            span = (layer[0].x + layer[-1].x + layer[-1].w) / 2
            for n in layer:
                n.x += mid - span


def _finally_box(fin: list[_Node], allnodes: list[_Node], width: float, height: float):
    """The dashed group around the finally tasks: (box, width, height), nodes shifted right
    when the box's label needs room on the left."""
    bx0 = min(n.x for n in fin) - 12
    bx1 = max(n.x + n.w for n in fin) + 12
    need = _text_width(FINALLY_LABEL, 12, True) + 16 - (bx1 - bx0)
    if need > 0:  # the label is wider than the tasks: widen the box on both sides
        bx0, bx1 = bx0 - need / 2, bx1 + need / 2
    if bx0 < MARGIN:
        shift_all = MARGIN - bx0
        for n in allnodes:
            n.x += shift_all
        bx0, bx1, width = bx0 + shift_all, bx1 + shift_all, width + shift_all
    width = max(width, bx1 + MARGIN)
    by0 = min(n.y for n in fin) - 24
    by1 = max(n.y + n.h for n in fin) + 10
    return (bx0, by0, bx1 - bx0, by1 - by0), width, max(height, by1 + MARGIN)


def _edge_points(chain: list[_Node]) -> list[tuple[float, float]]:
    pts = []
    for i, n in enumerate(chain):
        cx = n.x + n.w / 2
        if i == 0:
            pts.append((cx, n.y + n.h))
        elif i == len(chain) - 1:
            pts.append((cx, n.y))
        else:
            pts.append((cx, n.y))
            pts.append((cx, n.y + n.h))
    return pts


def layout(graph: Graph):
    """Positions for every task and a polyline for every edge; returns (nodes, paths, w, h, box)."""
    nodes = _task_nodes(graph)
    lay, chains = _layers(graph, nodes)
    _order(lay)
    height = _place_y(graph, lay)
    _place_x(lay)
    allnodes = [n for layer in lay.layers for n in layer]
    _centre_unlinked(lay, allnodes)
    left = min((n.x for n in allnodes), default=0.0)
    right = max((n.x + n.w for n in allnodes), default=0.0)
    shift = MARGIN + 12 - left
    for n in allnodes:
        n.x += shift
    width = right - left + 2 * (MARGIN + 12)
    box = None
    fin = [nodes[t.name] for t in graph.finally_tasks]
    if fin:
        box, width, height = _finally_box(fin, allnodes, width, height)
    paths = [(e, _edge_points(chain)) for e, chain in chains]
    return nodes, paths, width, height, box


# --- SVG -----------------------------------------------------------------------------------

_STYLE = (
    "text{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;fill:#1b1f24}"
    ".name{font-size:13px;font-weight:bold}.ref{font-size:11px;fill:#4a5058}"
    ".when{font-size:11px;font-style:italic;fill:#7a3e00}.elabel{font-size:10px;fill:#3b4b9a}"
    ".task rect{fill:#f4f7fb;stroke:#3b5b8c;stroke-width:1.4}"
    ".task.guarded rect{fill:#fffaf0;stroke:#a35c00}"
    ".task.finally rect{fill:#f3f0fa;stroke:#5b3b8c}"
    ".edge{fill:none;stroke:#4a5058;stroke-width:1.3}.edge.data{stroke:#3b4b9a;stroke-dasharray:5 3}"
    ".group{fill:none;stroke:#5b3b8c;stroke-dasharray:6 4}.glabel{font-size:12px;fill:#5b3b8c;font-weight:bold}"
)


def _f(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _curve(pts: list[tuple[float, float]]) -> str:
    d = [f"M{_f(pts[0][0])},{_f(pts[0][1])}"]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        if x0 == x1:
            d.append(f"L{_f(x1)},{_f(y1)}")
        else:
            my = (y0 + y1) / 2
            d.append(f"C{_f(x0)},{_f(my)} {_f(x1)},{_f(my)} {_f(x1)},{_f(y1)}")
    return "".join(d)


def to_svg(graph: Graph) -> str:
    """A standalone, accessible SVG drawing of the graph."""
    esc = _esc
    nodes, paths, width, height, box = layout(graph)
    n_edges = len(graph.edges)
    def count(n, word, plural=None):
        return f"{n} {word if n == 1 else plural or word + 's'}"

    desc = (f"{count(len(graph.regular), 'task')}, {count(len(graph.finally_tasks), 'finally task')}, "
            f"{count(n_edges, 'dependency', 'dependencies')}")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" aria-labelledby="g-title g-desc">',
        f"<!-- Generated by plumbing graph from Pipeline {esc(graph.name).replace('--', '- -')}; "
        "do not edit. -->",
        f'<title id="g-title">Pipeline {esc(graph.name)}</title>',
        f'<desc id="g-desc">{esc(desc)}</desc>',
        f"<style>{_STYLE}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#4a5058"/>'
        '</marker><marker id="arrow-data" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#3b4b9a"/>'
        "</marker></defs>",
        f'<rect width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    if box:
        bx, by, bw, bh = box
        out.append(f'<g class="finally-group"><rect class="group" x="{_f(bx)}" y="{_f(by)}" '
                   f'width="{_f(bw)}" height="{_f(bh)}" rx="8"/>'
                   f'<text class="glabel" x="{_f(bx + 8)}" y="{_f(by + 15)}">{FINALLY_LABEL}</text></g>')
    labels = []
    for e, pts in paths:
        cls = "edge" if e.run_after else "edge data"
        marker = "arrow" if e.run_after else "arrow-data"
        title = f"{e.src} \u2192 {e.dst}" + (f" (reads {', '.join(e.results)})" if e.results else "")
        out.append(f'<path class="{cls}" d="{_curve(pts)}" marker-end="url(#{marker})">'
                   f"<title>{esc(title)}</title></path>")
        if e.label:  # just below where the edge's last segment leaves its source
            x0, y0 = pts[-2]
            lx, ly = x0, y0 + 15
            tw = _text_width(e.label, 10)
            labels.append(f'<rect x="{_f(lx - tw / 2 - 2)}" y="{_f(ly - 10)}" width="{_f(tw + 4)}" '
                          f'height="13" fill="#ffffff" opacity="0.85"/>'
                          f'<text class="elabel" x="{_f(lx)}" y="{_f(ly)}" text-anchor="middle">{esc(e.label)}</text>')
    for t in graph.tasks:
        n = nodes[t.name]
        cls = "task finally" if t.final else ("task guarded" if t.when else "task")
        out.append(f'<g class="{cls}" id="task-{esc(t.name)}"><title>{esc(t.name)}</title>'
                   f'<rect x="{_f(n.x)}" y="{_f(n.y)}" width="{_f(n.w)}" height="{_f(n.h)}" rx="6"/>')
        for i, (kind, text) in enumerate(_node_lines(t)):
            out.append(f'<text class="{kind}" x="{_f(n.x + n.w / 2)}" y="{_f(n.y + 18 + i * LINE)}" '
                       f'text-anchor="middle">{esc(text)}</text>')
        out.append("</g>")
    out.extend(labels)
    out.append("</svg>\n")
    return "\n".join(out)


def write_svg(pipeline_doc: dict, path) -> None:
    """Write the graph of a Pipeline (or PipelineRun) document as SVG to `path`.

    Called by the release plan on every `release nightly`: pure Python, no subprocess.
    """
    svg = to_svg(build_graph(pipeline_doc))
    with open(path, "w", encoding="utf-8") as f:
        f.write(svg)


# --- DOT and Mermaid -----------------------------------------------------------------------

def _dot_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    out = [f"digraph {_dot_str(graph.name)} {{", "  rankdir=TB;",
           '  node [shape=box, style="rounded,filled", fillcolor="#f4f7fb", fontname="Helvetica"];',
           '  edge [fontname="Helvetica", fontsize=10];']

    def node(t: Task, indent: str) -> str:
        label = "\\n".join(
            s.replace("\\", "\\\\").replace('"', '\\"') for _, s in _node_lines(t))
        extra = ', fillcolor="#fffaf0"' if t.when and not t.final else ""
        return f'{indent}{_dot_str(t.name)} [label="{label}"{extra}];'

    for t in graph.regular:
        out.append(node(t, "  "))
    if graph.finally_tasks:
        out.append("  subgraph cluster_finally {")
        out.append('    label="finally: after all tasks"; style=dashed; color="#5b3b8c";')
        for t in graph.finally_tasks:
            out.append(node(t, "    "))
        out.append("  }")
    for e in graph.edges:
        attrs = []
        if not e.run_after:
            attrs.append("style=dashed")
        if e.label:
            attrs.append(f"label={_dot_str(e.label)}")
        tail = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f"  {_dot_str(e.src)} -> {_dot_str(e.dst)}{tail};")
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "#quot;")


def to_mermaid(graph: Graph) -> str:
    ids = {t.name: f"t{i}" for i, t in enumerate(graph.tasks)}
    out = ["flowchart TB"]

    def node(t: Task, indent: str) -> str:
        label = "<br/>".join(_mermaid_text(s) for _, s in _node_lines(t))
        return f'{indent}{ids[t.name]}["{label}"]'

    for t in graph.regular:
        out.append(node(t, "  "))
    if graph.finally_tasks:
        out.append('  subgraph finally ["finally: after all tasks"]')
        for t in graph.finally_tasks:
            out.append(node(t, "    "))
        out.append("  end")
    for e in graph.edges:
        a, b = ids[e.src], ids[e.dst]
        if e.run_after and e.label:
            out.append(f'  {a} -->|"{_mermaid_text(e.label)}"| {b}')
        elif e.run_after:
            out.append(f"  {a} --> {b}")
        else:
            out.append(f'  {a} -.->|"{_mermaid_text(e.label)}"| {b}')
    return "\n".join(out) + "\n"


def render(graph: Graph, fmt: str) -> str:
    if fmt == "svg":
        return to_svg(graph)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "mermaid":
        return to_mermaid(graph)
    raise GraphError(f"format {fmt!r} is not a text format; choose from svg, dot, mermaid")


# --- PNG -----------------------------------------------------------------------------------

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--disable-dev-shm-usage",
)


def find_chromium() -> str | None:
    import os
    import shutil

    env = os.environ.get("PLUMBING_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def svg_to_png(svg: str, png_path, scale: float = 2.0) -> None:
    """Rasterise an SVG with headless Chromium (fresh profile); GraphError when it cannot."""
    import os
    import subprocess
    import tempfile

    chromium = find_chromium()
    if not chromium:
        raise GraphError("PNG needs chromium (apt-get install chromium) or graphviz")
    m = re.search(r'width="([\d.]+)" height="([\d.]+)"', svg)
    w, h = (float(m.group(1)), float(m.group(2))) if m else (800.0, 600.0)
    with tempfile.TemporaryDirectory(prefix="plumbing-png-") as tmp:
        page = os.path.join(tmp, "graph.html")
        with open(page, "w", encoding="utf-8") as f:
            f.write('<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;'
                    'background:#fff}svg{display:block}</style></head><body>' + svg + "</body></html>")
        out = os.path.join(tmp, "out.png")
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={os.path.join(tmp, 'profile')}",
               f"--force-device-scale-factor={scale}",
               f"--window-size={int(w + 0.999)},{int(h + 0.999)}", f"--screenshot={out}",
               "file://" + page]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GraphError(f"chromium failed: {exc}") from None
        if not os.path.exists(out):
            raise GraphError(f"chromium wrote no PNG: {proc.stderr.strip()[-300:]}")
        with open(out, "rb") as src, open(png_path, "wb") as dst:
            dst.write(src.read())


def write_png(graph: Graph, png_path) -> None:
    """PNG of our own SVG layout via Chromium; else graphviz `dot -Tpng` from the DOT text."""
    import shutil
    import subprocess

    if find_chromium():
        svg_to_png(to_svg(graph), png_path)
        return
    dot = shutil.which("dot")
    if not dot:
        raise GraphError("PNG needs chromium or graphviz's dot (apt-get install chromium graphviz); "
                         "use --format svg otherwise")
    proc = subprocess.run([dot, "-Tpng", "-o", str(png_path)], input=to_dot(graph),
                          capture_output=True, text=True, timeout=60)
    if proc.returncode:
        raise GraphError(f"dot failed: {proc.stderr.strip()}")
