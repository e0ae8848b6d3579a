"""`plumbing lint`: Tekton rules (Task, Pipeline, TaskRun, PipelineRun, StepAction; tekton.dev/v1
and v1beta1; the feature flags are the cluster's, plumbing.tekton_flags), Tekton Triggers rules
(triggers.tekton.dev v1beta1/v1alpha1) and CEL expressions, plus the repository's own config
files, reported as `path:line:col: severity rule-id message`.

Layout: `registry` (the Rule type and the registry), `vars` (parsing `$(...)` references),
`model` (documents and the units rules look at), `engine` (files -> findings), `rules/` (one
module per area), `reporters`, `config` (.plumbing-lint.yaml), `docs` (docs/rules.md).
Nothing here imports Pulumi, cloud SDKs or Jinja2.
"""
