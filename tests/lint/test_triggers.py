"""Tekton Triggers and CEL: admission rules, cross-document checks within the linted set, CEL
syntax errors and unknown variables at their line and column in the file."""

from __future__ import annotations

from plumbing.lint.engine import lint_paths

EL = """\
apiVersion: triggers.tekton.dev/v1beta1
kind: EventListener
metadata: {name: listener}
spec:
  triggers:
    - name: pr
      interceptors:
        - ref: {name: cel}
          params:
            - name: filter
              value: >-
                body.repository.full_name == 'tektoncd/plumbing' &&
                body.action in ['opened', 'synchronize' &&
            - name: overlays
              value:
                - {key: sha, expression: "bodyy.after"}
      bindings: [{ref: pr}]
      template: {ref: build}
"""

BINDING = """\
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerBinding
metadata: {name: pr}
spec:
  params:
    - {name: revision, value: $(body.pull_request.head.sha)}
"""

TEMPLATE = """\
apiVersion: triggers.tekton.dev/v1beta1
kind: TriggerTemplate
metadata: {name: build}
spec:
  params:
    - {name: revision}
    - {name: url}
    - {name: mode, default: ci}
  resourcetemplates:
    - apiVersion: tekton.dev/v1
      kind: PipelineRun
      metadata: {generateName: build-}
      spec:
        pipelineRef: {name: build}
        params:
          - {name: revision, value: $(tt.params.revision)}
          - {name: url, value: $(tt.params.url)}
          - {name: mode, value: $(tt.params.mode)}
"""


def found(result, rule=None):
    return [(f.line, f.column, f.rule, f.severity) for f in result.findings if rule in (None, f.rule)]


def test_cel_errors_point_into_the_expression(tmp_path):
    el = tmp_path / "el.yaml"
    el.write_text(EL)
    result = lint_paths([str(el)])
    # the folded filter ends too early: just after its last character, line 13
    assert found(result, "cel-syntax") == [(13, 59, "cel-syntax", "error")]
    assert "mismatched input '<EOF>'" in result.findings[0].message
    # 'bodyy' at its column inside the flow mapping's quoted string
    assert found(result, "cel-variable-unknown") == [(16, 43, "cel-variable-unknown", "error")]


def test_when_cel_single_line_positions_and_free_variables(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("""\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: p}
spec:
  params: [{name: mode}]
  tasks:
    - name: a
      taskRef: {name: t}
      when:
        - cel: "'$(params.mode)' == 'full' && ['x'].exists(v, v == 'x')"
        - cel: params.mode == 'full'
        - cel: $(params.mode) == 'full'
        - cel: "'a' =="
""")
    result = lint_paths([str(p)])
    assert found(result, "cel-variable-unknown") == [(11, 16, "cel-variable-unknown", "error")]
    # unquoted $(...): Tekton compiles before it substitutes; plain scalar, column of the '$'
    # and the quoted one's end (after the closing quote's content)
    assert found(result, "cel-syntax") == [(12, 16, "cel-syntax", "error"), (13, 23, "cel-syntax", "error")]


def test_cel_library_is_loaded_only_when_an_expression_is_present(tmp_path):
    """In a fresh interpreter: linting without CEL never loads the library; with CEL it does,
    and `import cel` afterwards reuses the same extension module."""
    import subprocess
    import sys

    plain, el = tmp_path / "binding.yaml", tmp_path / "el.yaml"
    plain.write_text(BINDING)
    el.write_text(EL)
    code = (
        "import sys\n"
        "from plumbing.lint.engine import lint_paths\n"
        f"lint_paths([{str(plain)!r}])\n"
        "print('cel.cel' in sys.modules)\n"
        f"lint_paths([{str(el)!r}])\n"
        "print('cel.cel' in sys.modules, 'cel.cli' in sys.modules)\n"
        "import cel\n"
        "print(cel.compile is sys.modules['cel.cel'].compile)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["False", "True", "False", "True"], proc.stderr


def test_references_resolve_within_the_linted_set(tmp_path):
    el, binding, template = tmp_path / "el.yaml", tmp_path / "binding.yaml", tmp_path / "template.yaml"
    el.write_text(EL.replace("bodyy", "body").replace("'synchronize' &&", "'synchronize']"))
    binding.write_text(BINDING)
    template.write_text(TEMPLATE)
    alone = lint_paths([str(el)])
    assert [f.message for f in alone.findings] == [
        "TriggerBinding 'pr' is not in the linted set", "TriggerTemplate 'build' is not in the linted set"]
    together = lint_paths([str(el), str(binding), str(template)])
    # the binding gives revision; url has no default and nothing binds it
    assert [(f.rule, f.message) for f in together.findings] == [
        ("triggers-binding-param-missing", "template param 'url' is not bound by the trigger's bindings")]
    assert together.skipped == 0  # Triggers objects are linted, not skipped


def test_interceptors_resolve_to_core_or_declared_ones(tmp_path):
    trigger = tmp_path / "trigger.yaml"
    trigger.write_text("""\
apiVersion: triggers.tekton.dev/v1beta1
kind: Trigger
metadata: {name: t}
spec:
  interceptors:
    - ref: {name: gitlab}
    - ref: {name: owners-check}
    - ref: {name: local, kind: NamespacedInterceptor}
  template: {ref: build}
---
apiVersion: triggers.tekton.dev/v1alpha1
kind: ClusterInterceptor
metadata: {name: owners-check}
spec:
  clientConfig:
    service: {name: owners, namespace: ci}
""")
    result = lint_paths([str(trigger)])
    assert [(f.line, f.message) for f in result.findings if f.rule == "triggers-interceptor-unknown"] == [
        (8, "Interceptor 'local' is not in the linted set")]


def test_template_params_must_be_declared_and_bindings_well_formed(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text(TEMPLATE.replace("tt.params.url", "tt.params.uri") + "---\n" + """\
apiVersion: triggers.tekton.dev/v1beta1
kind: Trigger
metadata: {name: t}
spec:
  bindings:
    - {ref: pr, kind: Binding}
    - {name: url}
  template: {ref: build, spec: {resourcetemplates: []}}
""")
    result = lint_paths([str(p)])
    assert found(result) == [
        (17, 25, "triggertemplate-param-undeclared", "error"),
        (25, 8, "triggers-ref-missing", "warning"),
        (25, 17, "trigger-binding", "error"),      # kind Binding
        (26, 7, "trigger-binding", "error"),       # a name without a value
        (27, 3, "trigger-template", "error"),      # ref and spec
        (27, 26, "triggertemplate-resourcetemplates", "error"),
    ]


def test_the_repositorys_own_trigger_lints_clean(repo_root):
    result = lint_paths([str(repo_root / "triggers")])
    assert [f.format() for f in result.findings] == []
    import yaml

    documents = sum(len([d for d in yaml.safe_load_all(p.read_text()) if d])
                    for p in (repo_root / "triggers").glob("*.yaml"))
    assert result.documents == documents >= 6 and result.skipped == 0
