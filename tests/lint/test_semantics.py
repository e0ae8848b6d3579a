"""Tekton's behaviour is the ground truth: what tekton-lint gets wrong, we must get right, and the
v1beta1 differences, param type inference and propagation follow Tekton's code."""

from __future__ import annotations

import pytest


def rules_of(result, severity=None):
    return sorted({f.rule for f in result.findings if severity is None or f.severity == severity})


ACCEPTED = {
    "indexed, bracket and object-key params, boolean default": """
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: 1st-task}
spec:
  params:
    - {name: flags, type: array, default: [-v]}
    - {name: dotted.name}
    - {name: cfg, properties: {url: {}, rev: {type: string}}}
    - {name: verbose, default: true}
    - {name: depth, default: 1}
  steps:
    - name: s
      image: alpine
      args: ["$(params.flags[*])", "$(params.flags[0])"]
      script: |
        echo $(params.flags[0]) $(params['dotted.name']) $(params["dotted.name"])
        echo $(params.cfg.url) $(params.cfg.rev) $(params.verbose) $(params.depth)
        echo $(context.taskRun.name) $(context.task.retry-count)
""",
    "resolver refs and generateName": """
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {generateName: run-}
spec:
  pipelineRef:
    resolver: git
    params:
      - {name: url, value: https://github.com/tektoncd/catalog.git}
      - {name: pathInRepo, value: pipeline/x.yaml}
""",
    "embedded taskSpec sees pipeline params; finally status": """
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: p}
spec:
  params: [{name: url}, {name: images, type: array}]
  tasks:
    - name: a
      taskSpec:
        results: [{name: out}]
        steps:
          - name: s
            image: alpine
            script: echo $(params.url) > $(results.out.path)
    - name: b
      runAfter: [a]
      taskRef: {name: t}
      params:
        - {name: in, value: $(tasks.a.results.out)}
        - {name: images, value: ["$(params.images[*])"]}
      when:
        - {input: $(params.url), operator: notin, values: [""]}
  finally:
    - name: c
      taskRef: {name: t}
      params:
        - {name: s, value: $(tasks.a.status)}
        - {name: all, value: $(tasks.status)}
        - {name: r, value: $(tasks.a.results.out)}
""",
    "params only pipeline (quirk 6)": """
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: p}
spec:
  params: [{name: a}]
""",
    "TaskRun inline spec gets run params (propagation)": """
apiVersion: tekton.dev/v1
kind: TaskRun
metadata: {name: r}
spec:
  params: [{name: who, value: world}]
  taskSpec:
    steps:
      - {name: s, image: alpine, script: echo $(params.who)}
""",
    "v1beta1 sidecars are lax; step resources are container resources": """
apiVersion: tekton.dev/v1beta1
kind: Task
metadata: {name: t}
spec:
  sidecars: [{name: db, script: sleep 1, command: [sh]}]
  steps:
    - name: s
      image: alpine
      resources: {limits: {cpu: "1"}}
""",
    "StepAction": """
apiVersion: tekton.dev/v1beta1
kind: StepAction
metadata: {name: a}
spec:
  params: [{name: url}]
  results: [{name: digest}]
  image: alpine
  script: echo $(params.url)
""",
    "shell substitution in scripts is fine (only pipeline task params are checked)": """
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  steps:
    - {name: s, image: alpine, script: 'echo $(date) $(git rev-parse HEAD)'}
""",
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_by_tekton(name, lint_text):
    result = lint_text(ACCEPTED[name])
    assert [f.format() for f in result.findings] == []
    assert result.skipped == 0


REJECTED = {
    "inferred types: array default on a string-typed param": ("""
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  params: [{name: a, type: string, default: [x]}]
  steps: [{name: s, image: alpine}]
""", ["param-default-type-mismatch"]),
    "whole array inside a script": ("""
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  params: [{name: a, default: [x]}]
  steps: [{name: s, image: alpine, args: ["-x $(params.a[*])"]}]
""", ["task-param-array-placement"]),
    "v1 sidecar without image, with script and command": ("""
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  sidecars: [{name: db, script: sleep 1, command: [sh]}]
  steps: [{name: s, image: alpine}]
""", ["sidecar-image-required", "sidecar-script-with-command"]),
    "v1 step with container resources (renamed computeResources)": ("""
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: t}
spec:
  steps: [{name: s, image: alpine, resources: {limits: {cpu: "1"}}}]
""", ["unknown-field"]),
    "finally result of finally, status in the DAG, cycle through results": ("""
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: p}
spec:
  tasks:
    - {name: a, taskRef: {name: t}, params: [{name: x, value: $(tasks.b.results.r)}]}
    - {name: b, taskRef: {name: t}, params: [{name: x, value: $(tasks.a.results.r)}]}
    - {name: c, taskRef: {name: t}, params: [{name: x, value: $(tasks.a.status)}]}
  finally:
    - {name: d, taskRef: {name: t}}
    - {name: e, taskRef: {name: t}, params: [{name: x, value: $(finally.d.results.r)}]}
""", ["dag-cycle", "dag-task-missing", "pipeline-status-ref"]),
    "PipelineRun timeouts: tasks + finally over the default 60m": ("""
apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: r}
spec:
  pipelineRef: {name: p}
  timeouts: {tasks: 45m, finally: 30m}
""", ["pipelinerun-timeouts"]),
    "v1beta1 PipelineRun: timeout and timeouts": ("""
apiVersion: tekton.dev/v1beta1
kind: PipelineRun
metadata: {name: r}
spec:
  pipelineRef: {name: p}
  timeout: 1h
  timeouts: {pipeline: 1h}
""", ["pipelinerun-timeouts"]),
    "removed ClusterTask document and v1alpha1 Pipeline": ("""
apiVersion: tekton.dev/v1beta1
kind: ClusterTask
metadata: {name: t}
spec:
  steps: [{name: s, image: alpine}]
---
apiVersion: tekton.dev/v1alpha1
kind: Pipeline
metadata: {name: p}
spec:
  tasks: [{name: a, taskRef: {name: t}}]
""", ["api-version-unknown", "removed-cluster-task"]),
    "results of a child pipeline; non-string result of a matrixed inline task": ("""
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: p}
spec:
  tasks:
    - {name: child, pipelineRef: {name: other}}
    - name: fan
      matrix: {params: [{name: x, value: [a, b]}]}
      taskSpec:
        params: [{name: x}]
        results: [{name: list, type: array}]
        steps: [{name: s, image: alpine}]
    - name: use
      taskRef: {name: t}
      params:
        - {name: a, value: $(tasks.child.results.r)}
        - {name: b, value: "$(tasks.fan.results.list[*])"}
""", ["dag-task-missing", "matrix-result-consume"]),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_by_tekton(name, lint_text):
    text, expected = REJECTED[name]
    assert rules_of(lint_text(text), "error") == expected


def test_context_quirk_last_task_is_error_others_warning(lint_text):
    text = """
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: p}
spec:
  tasks:
    - {name: a, taskRef: {name: t}, params: [{name: x, value: $(context.pipeline.uid)}]}
    - {name: b, taskRef: {name: t}, params: [{name: x, value: $(context.pipeline.uid)}]}
"""
    found = [(f.line, f.severity) for f in lint_text(text).findings]
    assert found == [(7, "warning"), (8, "error")]


def test_cross_document_only_within_the_set(tmp_path):
    from plumbing.lint.engine import lint_paths

    task = tmp_path / "task.yaml"
    task.write_text("""
apiVersion: tekton.dev/v1
kind: Task
metadata: {name: build}
spec:
  params: [{name: url}]
  steps: [{name: s, image: alpine, script: echo $(params.url)}]
""")
    run = tmp_path / "run.yaml"
    run.write_text("""
apiVersion: tekton.dev/v1
kind: TaskRun
metadata: {name: r}
spec:
  taskRef: {name: build}
""")
    assert rules_of(lint_paths([str(run)])) == []
    assert rules_of(lint_paths([str(task), str(run)])) == ["ref-required-param-missing"]
