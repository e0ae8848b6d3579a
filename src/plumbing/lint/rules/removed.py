"""Removed features: PipelineResources, Conditions, ClusterTask, Tekton bundles in refs."""

from __future__ import annotations

from plumbing.lint.model import d, dicts
from plumbing.lint.registry import rule

ALL = ("Object",)


@rule("removed-pipeline-resources", "error", ALL, tekton="B1-RESOURCES-DISALLOWED",
      doc="""PipelineResources (kind PipelineResource, `spec.resources` in Tasks, Pipelines and
    runs, `tasks[].resources`) were removed: v1beta1 rejects them ('must not set the field(s):
    resources') and v1 has no such field. On a v1beta1 step, `resources` is the container's
    compute resources and is not reported here.""",
      fix="""Use workspaces to share files between tasks, results for small values, and a
    git-clone Task (or the git resolver) instead of git resources.""",
      bad="""
    apiVersion: tekton.dev/v1beta1
    kind: Task
    metadata: {name: t}
    spec:
      resources:
        inputs: [{name: source, type: git}]
      steps: [{name: s, image: alpine}]
    """, good="""
    apiVersion: tekton.dev/v1beta1
    kind: Task
    metadata: {name: t}
    spec:
      workspaces: [{name: source}]
      steps: [{name: s, image: alpine}]
    """)
def pipeline_resources(u):
    msg = "PipelineResources were removed; use workspaces and results instead"
    if u.obj.kind == "PipelineResource":
        yield ("kind",), "kind PipelineResource was removed; use workspaces and results instead"
        return
    if u.obj.kind == "Condition":
        return  # removed-conditions reports the whole document
    spec = d(u.spec.get("spec"))
    if "resources" in spec:
        yield ("spec", "resources"), msg
    specs = [(("spec",), spec)]
    if type(spec.get("pipelineSpec")) is dict:
        specs.append((("spec", "pipelineSpec"), spec["pipelineSpec"]))
        if "resources" in spec["pipelineSpec"]:
            yield ("spec", "pipelineSpec", "resources"), msg
    for base, sp in specs:
        for section in ("tasks", "finally"):
            for i, t in dicts(sp, section):
                if "resources" in t:
                    yield base + (section, i, "resources"), msg
                ts = t.get("taskSpec")
                if type(ts) is dict and "resources" in ts:
                    yield base + (section, i, "taskSpec", "resources"), msg
    ts = spec.get("taskSpec")
    if type(ts) is dict and "resources" in ts:
        yield ("spec", "taskSpec", "resources"), msg


@rule("removed-conditions", "error", ALL, doc="""Conditions (kind Condition, `tasks[].conditions`)
    were removed in Tekton v0.24.""", fix="""Guard the task with `when` expressions; compute the
    value the guard needs in an earlier task and pass it as a result.""",
      bad="""
    apiVersion: tekton.dev/v1beta1
    kind: Pipeline
    metadata: {name: p}
    spec:
      tasks:
        - name: a
          taskRef: {name: t}
          conditions: [{conditionRef: is-main}]
    """, good="""
    apiVersion: tekton.dev/v1beta1
    kind: Pipeline
    metadata: {name: p}
    spec:
      params: [{name: branch}]
      tasks:
        - name: a
          taskRef: {name: t}
          when: [{input: $(params.branch), operator: in, values: [main]}]
    """)
def conditions(u):
    if u.obj.kind == "Condition":
        yield ("kind",), "kind Condition was removed; use when expressions instead"
        return
    spec = d(u.spec.get("spec"))
    for base, sp in ((("spec",), spec), (("spec", "pipelineSpec"), d(spec.get("pipelineSpec")))):
        for section in ("tasks", "finally"):
            for i, t in dicts(sp, section):
                if "conditions" in t:
                    yield base + (section, i, "conditions"), ("conditions were removed; use "
                                                              "when expressions instead")


def _refs(spec, base=("spec",)):
    for key in ("taskRef", "pipelineRef"):
        if type(spec.get(key)) is dict:
            yield base + (key,), spec[key]
    ps = spec.get("pipelineSpec")
    for b, sp in ((base, spec), (base + ("pipelineSpec",), d(ps))):
        for section in ("tasks", "finally"):
            for i, t in dicts(sp, section):
                for key in ("taskRef", "pipelineRef"):
                    if type(t.get(key)) is dict:
                        yield b + (section, i, key), t[key]


@rule("removed-cluster-task", "error", ALL, tekton="PIPELINE-CUSTOM-TASK", doc="""ClusterTask was
    removed in Tekton v0.60 (v1.x serves no ClusterTask). A taskRef with `kind: ClusterTask` is
    taken for a custom task and rejected (it has no apiVersion), and kind ClusterTask documents
    cannot be applied.""", fix="""Install the Task in a namespace and reference it with the
    cluster resolver (`resolver: cluster`, params kind/name/namespace), or use a namespaced Task.""",
      bad="""
    apiVersion: tekton.dev/v1
    kind: Pipeline
    metadata: {name: p}
    spec:
      tasks:
        - name: a
          taskRef: {name: git-clone, kind: ClusterTask}
    """, good="""
    apiVersion: tekton.dev/v1
    kind: Pipeline
    metadata: {name: p}
    spec:
      tasks:
        - name: a
          taskRef:
            resolver: cluster
            params:
              - {name: kind, value: task}
              - {name: name, value: git-clone}
              - {name: namespace, value: tekton-tasks}
    ---
    # a TaskRun's taskRef kind is not checked on admission (taskrun-cluster-task warns)
    apiVersion: tekton.dev/v1
    kind: TaskRun
    metadata: {name: r}
    spec:
      taskRef: {name: git-clone, kind: ClusterTask}
    """)
def cluster_task(u):
    if u.obj.kind == "ClusterTask":
        yield ("kind",), ("kind ClusterTask was removed; use a namespaced Task and the cluster "
                          "resolver")
        return
    for path, ref in _refs(d(u.spec.get("spec"))):
        if ref.get("kind") == "ClusterTask" and not _taskrun_ref(u, path):
            yield path + ("kind",), ("ClusterTask was removed; use the cluster resolver "
                                     "(resolver: cluster) or a namespaced Task")


def _taskrun_ref(u, path) -> bool:
    """A TaskRun's own taskRef: no admission rule checks its kind (taskrun-cluster-task)."""
    return u.obj.kind == "TaskRun" and path == ("spec", "taskRef")


@rule("taskrun-cluster-task", "warning", ALL, doc="""A TaskRun's
    `taskRef` with `kind: ClusterTask` passes admission (no rule checks the kind there), but
    Tekton v1.x serves no ClusterTask, so the run fails when it resolves the reference.""",
      fix="""Reference the Task with the cluster resolver (`resolver: cluster`), or use a
    namespaced Task.""",
      bad="""
    apiVersion: tekton.dev/v1
    kind: TaskRun
    metadata: {name: r}
    spec:
      taskRef: {name: git-clone, kind: ClusterTask}
    """, good="""
    apiVersion: tekton.dev/v1
    kind: TaskRun
    metadata: {name: r}
    spec:
      taskRef: {name: git-clone}
    """)
def taskrun_cluster_task(u):
    ref = d(d(u.spec.get("spec")).get("taskRef"))
    if u.obj.kind == "TaskRun" and ref.get("kind") == "ClusterTask":
        yield ("spec", "taskRef", "kind"), "ClusterTask was removed: this run will fail when it " \
                                           "resolves its taskRef; use the cluster resolver or a namespaced Task"


@rule("removed-bundle", "error", ALL, tekton="B1-BUNDLE-DISALLOWED", doc="""`bundle` in a v1beta1
    taskRef or pipelineRef was removed (rejected on create); v1 has no such field.""",
      fix="Use the bundles resolver: `resolver: bundles` with params bundle, name and kind.",
      bad="""
    apiVersion: tekton.dev/v1beta1
    kind: TaskRun
    metadata: {name: r}
    spec:
      taskRef: {name: t, bundle: ghcr.io/x/tasks:v1}
    """, good="""
    apiVersion: tekton.dev/v1beta1
    kind: TaskRun
    metadata: {name: r}
    spec:
      taskRef:
        resolver: bundles
        params:
          - {name: bundle, value: ghcr.io/x/tasks:v1}
          - {name: name, value: t}
          - {name: kind, value: task}
    """)
def bundle(u):
    for path, ref in _refs(d(u.spec.get("spec"))):
        if "bundle" in ref:
            yield path + ("bundle",), "bundle was removed; use the bundles resolver"
