"""Workspaces: Task declarations and usage, Pipeline declarations and bindings, run bindings."""

from __future__ import annotations

import posixpath

from plumbing.lint.model import d, dicts, nm, repeated, sv
from plumbing.lint.registry import rule
from plumbing.lint.rules.params import pipeline
from plumbing.lint.rules.runs import run
from plumbing.lint.rules.steps import task

SOURCES = ("persistentVolumeClaim", "volumeClaimTemplate", "emptyDir", "configMap", "secret",
           "projected", "csi")


@rule("task-workspace-duplicate", "error", "Task", tekton="TASK-WS-DUP", doc="""Task workspace
    names must be unique.""", fix="Rename one.",
      bad=task("workspaces: [{name: w}, {name: w}]\nsteps: [{name: s, image: alpine}]"),
      good=task("workspaces: [{name: w}, {name: v}]\nsteps: [{name: s, image: alpine}]"))
def ws_dup(u):
    seen = set()
    for i, w in dicts(u.spec, "workspaces"):
        n = nm(w)
        if n in seen:
            yield ("workspaces", i, "name"), f"workspace {n!r} is declared twice"
        seen.add(n)


@rule("task-workspace-mount-conflict", "error", "Task", tekton="TASK-WS-MOUNTPATH-CONFLICT", doc="""
    Each workspace's mount path (mountPath, or /workspace/<name>) must differ from the other
    workspaces' and from every step's and the stepTemplate's volumeMounts.""",
      fix="Give the workspace its own mountPath.",
      bad=task("workspaces: [{name: a, mountPath: /data}, {name: b, mountPath: /data/}]\nsteps: [{name: s, image: alpine}]"),
      good=task("workspaces: [{name: a, mountPath: /data}, {name: b}]\nsteps: [{name: s, image: alpine}]"))
def ws_mount(u):
    seen = {}
    for i, w in dicts(u.spec, "workspaces"):
        mp = w.get("mountPath") or f"/workspace/{w.get('name')}"
        if type(mp) is not str:
            continue
        clean = posixpath.normpath(mp)
        if clean in seen:
            yield ("workspaces", i), f"workspace mount path {clean!r} is also used by workspace {seen[clean]!r}"
        seen[clean] = nm(w)
    holders = [(("steps", i), st) for i, st in dicts(u.spec, "steps")]
    if type(u.spec.get("stepTemplate")) is dict:
        holders.append((("stepTemplate",), u.spec["stepTemplate"]))
    for path, st in holders:
        for j, vm in dicts(st, "volumeMounts"):
            mp = vm.get("mountPath")
            if type(mp) is str and posixpath.normpath(mp) in seen:
                yield path + ("volumeMounts", j, "mountPath"), \
                    f"mountPath {mp!r} is workspace {seen[posixpath.normpath(mp)]!r}'s mount path"


@rule("task-workspace-usage-undeclared", "error", "Task", tekton="TASK-WS-USAGE-UNDEFINED", doc="""
    A step's or sidecar's `workspaces` entries must name workspaces the Task declares.""",
      fix="Declare the workspace in spec.workspaces.",
      bad=task("workspaces: [{name: src}]\nsteps: [{name: s, image: alpine, workspaces: [{name: source}]}]"),
      good=task("workspaces: [{name: src}]\nsteps: [{name: s, image: alpine, workspaces: [{name: src}]}]"))
def ws_usage(u):
    declared = {nm(w) for _, w in dicts(u.spec, "workspaces")}
    for key in ("steps", "sidecars"):
        for i, st in dicts(u.spec, key):
            for j, w in dicts(st, "workspaces"):
                if nm(w) not in declared:
                    yield (key, i, "workspaces", j, "name"), f"workspace {w.get('name')!r} is not declared by the Task"


@rule("pipeline-workspace-declaration", "error", "Pipeline", tekton="PIPELINE-WS-DECL", doc="""
    Pipeline workspaces need a name, unique within the Pipeline.""", fix="Name each workspace once.",
      bad=pipeline("workspaces: [{name: w}, {name: w}]\ntasks: [{name: a, taskRef: {name: t}}]"),
      good=pipeline("workspaces: [{name: w}]\ntasks: [{name: a, taskRef: {name: t}}]"))
def pipeline_ws(u):
    seen = set()
    for i, w in dicts(u.spec, "workspaces"):
        n = nm(w)
        if not n:
            yield ("workspaces", i), "a pipeline workspace needs a name"
        elif n in seen:
            yield ("workspaces", i, "name"), f"workspace {n!r} is declared twice"
        seen.add(n)


@rule("pipeline-task-workspace-binding", "error", "Pipeline", tekton="PIPELINE-TASK-WS-BINDING,B1-PR-PROPAGATED-WS", doc="""
    A pipeline task's workspace bindings have unique names, and each binds a workspace the
    Pipeline declares (`workspace:`, or the binding's own name when `workspace` is omitted).
    For a PipelineRun's inline pipelineSpec, the run's own workspace bindings count as declared
    (they propagate), as Tekton's v1beta1 check does.""",
      fix="Declare the workspace in spec.workspaces, or fix the name.",
      bad=pipeline("workspaces: [{name: shared}]\n"
                   "tasks: [{name: a, taskRef: {name: t}, workspaces: [{name: source, workspace: shraed}]}]"),
      good=pipeline("workspaces: [{name: shared}]\n"
                    "tasks: [{name: a, taskRef: {name: t}, workspaces: [{name: source, workspace: shared}]}]"))
def task_ws_binding(u):
    declared = {nm(w) for _, w in dicts(u.spec, "workspaces")}
    if u.embedded:
        declared |= {nm(w) for _, w in dicts(d(u.obj.data.get("spec")), "workspaces")}
    for sec in ("tasks", "finally"):
        for i, t in dicts(u.spec, sec):
            seen = set()
            for j, b in dicts(t, "workspaces"):
                n = nm(b)
                if n in seen:
                    yield (sec, i, "workspaces", j, "name"), f"workspace binding {n!r} appears twice"
                seen.add(n)
                target = sv(b, "workspace") or n
                if target not in declared:
                    key = "workspace" if sv(b, "workspace") else "name"
                    yield (sec, i, "workspaces", j, key), f"pipeline workspace {target!r} is not declared"


def _bindings(u):
    for j, b in dicts(u.spec, "workspaces"):
        yield ("workspaces", j), b


@rule("workspace-binding-source", "error", ("TaskRun", "PipelineRun"), tekton="WS-BINDING-ONE-SOURCE,WS-BINDING-FIELDS",
      doc="""A run's workspace binding names exactly one volume source (persistentVolumeClaim,
    volumeClaimTemplate, emptyDir, configMap, secret, projected or csi), with its required field
    (claimName, configMap.name, secret.secretName, projected.sources, csi.driver).""",
      fix="Keep one source and fill in its name.",
      bad=run("TaskRun", "taskRef: {name: t}\nworkspaces: [{name: w}]"),
      good=run("TaskRun", "taskRef: {name: t}\nworkspaces: [{name: w, emptyDir: {}}]"))
def binding_source(u):
    for path, b in _bindings(u):
        have = [k for k in SOURCES if b.get(k) is not None]
        if len(have) != 1:
            what = "no volume source" if not have else "several volume sources: " + ", ".join(have)
            yield path, f"workspace binding {b.get('name')!r} has {what}"
            continue
        k = have[0]
        req = {"persistentVolumeClaim": "claimName", "configMap": "name", "secret": "secretName",
               "projected": "sources", "csi": "driver"}.get(k)
        if req and not d(b[k]).get(req):
            yield path + (k,), f"{k}.{req} is required"


@rule("workspace-binding-duplicate", "error", ("TaskRun", "PipelineRun"), tekton="WS-BINDING-DUP",
      doc="""A run binds each workspace once (TaskRun names compare case-insensitively).""",
      fix="Remove the duplicate.",
      bad=run("TaskRun", "taskRef: {name: t}\nworkspaces: [{name: w, emptyDir: {}}, {name: w, emptyDir: {}}]"),
      good=run("TaskRun", "taskRef: {name: t}\nworkspaces: [{name: w, emptyDir: {}}]"))
def binding_dup(u):
    # TaskRun bindings compare case-insensitively, PipelineRun bindings exactly (as Tekton does).
    for path, n in repeated(_bindings(u), fold=str.lower if u.kind == "TaskRun" else None):
        yield path + ("name",), f"workspace {n!r} is bound twice"


_WS_VARS = ("path", "bound", "claim", "volume")


@rule("workspace-ref-undeclared", "warning", ("Task", "Pipeline"), doc="""In a Task's steps,
    `$(workspaces.<name>.path)` (also `.bound`, `.claim`, `.volume`) must name a workspace the
    Task declares, and in a Pipeline's tasks `$(workspaces.<name>.bound)` one the Pipeline
    declares; otherwise the text is left unsubstituted and the step fails at run time. (Other
    workspace variables in pipeline task params are passed through to the Task, which
    substitutes them with its own workspaces, so they are not checked.)""",
      stricter="Tekton does not check workspace references at admission.",
      fix="Declare the workspace, or fix its name.",
      bad=task("workspaces: [{name: source}]\nsteps: [{name: s, image: alpine, workingDir: $(workspaces.src.path)}]"),
      good=task("workspaces: [{name: source}]\nsteps: [{name: s, image: alpine, workingDir: $(workspaces.source.path)}]"))
def workspace_ref(u):
    from plumbing.lint.vars import exprs, walk_strings

    declared = {nm(w) for _, w in dicts(u.spec, "workspaces")}
    if u.embedded and u.kind == "Task":
        return  # an embedded taskSpec may use propagated workspaces
    keys = ("steps", "sidecars", "stepTemplate", "volumes") if u.kind == "Task" else ("tasks", "finally")
    for key in keys:
        for path, text in walk_strings(u.spec.get(key), (key,)):
            if "$(workspaces." not in text:
                continue
            if u.kind == "Pipeline" and "taskSpec" in path:
                continue  # the embedded task's own workspaces
            for e in exprs(text):
                parts = e.strip().split(".")
                wanted = _WS_VARS if u.kind == "Task" else ("bound",)
                if len(parts) == 3 and parts[0] == "workspaces" and parts[2] in wanted \
                        and parts[1] not in declared:
                    yield path, f"$({e}) names workspace {parts[1]!r}, which is not declared"
