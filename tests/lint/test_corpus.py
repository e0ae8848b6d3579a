"""The linter over ../shared/corpus: no crash, the unparsable files reported, every error on the
published catalog explained by the Tekton rule that rejects it, the real release pipeline clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from plumbing.lint.engine import lint_paths

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()

# Why Tekton v1.15.0 (default flags) rejects each document below, by rule.
WHY = {
    "removed-cluster-task": "PIPELINE-CUSTOM-TASK: taskRef kind ClusterTask without apiVersion is "
                            "taken for a custom task and rejected (ClusterTask was removed)",
    "removed-pipeline-resources": "B1-RESOURCES-DISALLOWED: spec.resources / tasks[].resources "
                                  "('must not set the field(s): resources')",
    "removed-conditions": "kind Condition (v1alpha1) is not served any more",
    "unknown-field": "DECODE-UNKNOWN-FIELD: podTemplate/taskPodTemplate on v1 PipelineRuns, "
                     "`subpath`, `ref`/`params[].value` inside a TaskSpec",
    "task-steps-required": "TASK-STEPS-REQUIRED: a taskSpec without steps",
    "pipeline-result-value": "PIPELINE-RESULT-VALUE / CRD: pipeline results need a value",
    "field-type": "DECODE-TYPE: metadata is a string",
    "yaml-syntax": "not YAML at all (template syntax gives unhashable keys)",
}

EXPECTED_ERRORS = {
    ('pipeline/openwhisk/0.1/conditions/detect-runtimes.yaml', 2, 'removed-conditions'),
    ('pipeline/openwhisk/0.1/conditions/detect-runtimes.yaml', 29, 'removed-conditions'),
    ('pipeline/openwhisk/0.1/conditions/detect-runtimes.yaml', 56, 'removed-conditions'),
    ('pipeline/openwhisk/0.1/tasks/00-clone-app-repo.yaml', 8, 'removed-pipeline-resources'),
    ('pipeline/openwhisk/0.1/tasks/00-clone-runtime-repo.yaml', 8, 'removed-pipeline-resources'),
    ('pipeline/openwhisk/0.1/tasks/java/04-finalize-runtime-with-function.yaml', 27, 'removed-pipeline-resources'),
    ('pipeline/openwhisk/0.1/tasks/javascript/03-openwhisk.yaml', 54, 'removed-pipeline-resources'),
    ('pipeline/openwhisk/0.1/tasks/python/03-openwhisk.yaml', 54, 'removed-pipeline-resources'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-with-workspace-secret.yaml', 10, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-with-workspace-secret.yaml', 14, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-with-workspace-secret.yaml', 16, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-with-workspace-secret.yaml', 18, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-with-workspace-secret.yaml', 20, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-with-workspace-secret.yaml', 22, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-with-workspace-secret.yaml', 24, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-with-workspace-secret.yaml', 6, 'task-steps-required'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-without-workspace-secret.yaml', 13, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-without-workspace-secret.yaml', 15, 'unknown-field'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-without-workspace-secret.yaml', 6, 'task-steps-required'),
    ('stepaction/tekton-catalog-publish/0.3/samples/run-without-workspace-secret.yaml', 9, 'unknown-field'),
    ('task/ansible-builder/0.1/samples/1-pipeline.yaml', 53, 'removed-cluster-task'),
    ('task/ansible-builder/0.1/samples/1-pipeline.yaml', 82, 'removed-cluster-task'),
    ('task/aws-ecr-login/0.1/samples/run.yaml', 32, 'pipeline-result-value'),
    ('task/buildkit-daemonless/0.1/buildkit-daemonless.yaml', 33, 'removed-pipeline-resources'),
    ('task/buildkit/0.1/buildkit.yaml', 34, 'removed-pipeline-resources'),
    ('task/git-clone/0.10/samples/git-clone-checking-out-a-branch.yaml', 62, 'unknown-field'),
    ('task/git-clone/0.10/samples/git-clone-checking-out-a-commit.yaml', 112, 'unknown-field'),
    ('task/git-clone/0.10/samples/git-clone-checking-out-a-commit.yaml', 98, 'unknown-field'),
    ('task/git-clone/0.10/samples/git-clone-for-ssl-ca.yaml', 63, 'unknown-field'),
    ('task/git-clone/0.10/samples/git-clone-sparse-checkout.yaml', 63, 'unknown-field'),
    ('task/git-clone/0.10/samples/using-git-clone-result.yaml', 69, 'unknown-field'),
    ('task/git-rebase/0.1/samples/run.yaml', 56, 'pipeline-result-value'),
    ('task/github-add-gist/0.2/samples/pipeline.yaml', 23, 'removed-pipeline-resources'),
    ('task/github-add-gist/0.2/samples/pipeline.yaml', 8, 'removed-pipeline-resources'),
    ('task/golang-fuzz/0.1/tests/run.yaml', 30, 'unknown-field'),
    ('task/golang-fuzz/0.1/tests/run.yaml', 48, 'unknown-field'),
    ('task/istio-canary-release/0.1/samples/taskrun.yaml', 3, 'field-type'),
    ('task/makisu/0.1/makisu.yaml', 34, 'removed-pipeline-resources'),
    ('task/nexus-lifecycle-scan/0.1/samples/sample-pipeline-nexus-lifecycle-scan.yml', 27, 'removed-cluster-task'),
    ('task/nexus-lifecycle-scan/0.1/samples/sample-pipeline-nexus-lifecycle-scan.yml', 47, 'removed-cluster-task'),
    ('task/openshift-client-kubecfg/0.1/openshift-client-kubecfg.yaml', 23, 'removed-pipeline-resources'),
    ('task/redhat-codeready-dependency-analysis/0.1/samples/pipeline-run.yaml', 21, 'yaml-syntax'),
    ('task/redhat-codeready-dependency-analysis/0.1/samples/secret.yaml', 7, 'yaml-syntax'),
    ('task/redhat-dependency-analytics/0.3/samples/pipeline-run.yaml', 20, 'yaml-syntax'),
    ('task/redhat-dependency-analytics/0.3/samples/task-run.yaml', 19, 'yaml-syntax'),
    ('task/rhacs-deployment-check/4.0/samples/with-api-token/pipeline.yaml', 51, 'removed-cluster-task'),
    ('task/rhacs-deployment-check/4.0/samples/with-api-token/pipeline.yaml', 90, 'removed-cluster-task'),
    ('task/rhacs-deployment-check/4.0/samples/with-m2m-token/pipeline.yaml', 100, 'removed-cluster-task'),
    ('task/rhacs-deployment-check/4.0/samples/with-m2m-token/pipeline.yaml', 59, 'removed-cluster-task'),
    ('task/rhacs-generic/0.1/samples/pipeline.yaml', 130, 'removed-cluster-task'),
    ('task/rhacs-generic/0.1/samples/pipeline.yaml', 58, 'removed-cluster-task'),
    ('task/rhacs-image-check/4.0/samples/with-api-token/pipeline.yaml', 51, 'removed-cluster-task'),
    ('task/rhacs-image-check/4.0/samples/with-api-token/pipeline.yaml', 90, 'removed-cluster-task'),
    ('task/rhacs-image-check/4.0/samples/with-m2m-token/pipeline.yaml', 100, 'removed-cluster-task'),
    ('task/rhacs-image-check/4.0/samples/with-m2m-token/pipeline.yaml', 59, 'removed-cluster-task'),
    ('task/rhacs-image-scan/4.0/samples/with-api-token/pipeline.yaml', 51, 'removed-cluster-task'),
    ('task/rhacs-image-scan/4.0/samples/with-api-token/pipeline.yaml', 90, 'removed-cluster-task'),
    ('task/rhacs-image-scan/4.0/samples/with-m2m-token/pipeline.yaml', 100, 'removed-cluster-task'),
    ('task/rhacs-image-scan/4.0/samples/with-m2m-token/pipeline.yaml', 59, 'removed-cluster-task'),
    ('task/rhacs-m2m-authenticate/0.1/samples/pipeline.yaml', 100, 'removed-cluster-task'),
    ('task/rhacs-m2m-authenticate/0.1/samples/pipeline.yaml', 59, 'removed-cluster-task'),
    ('task/stackrox-image-check/0.1/samples/rox-pipeline.yaml', 18, 'removed-cluster-task'),
    ('task/stackrox-image-scan/0.1/samples/rox-pipeline.yaml', 18, 'removed-cluster-task'),
}

UNPARSABLE = {
    "catalog/task/redhat-codeready-dependency-analysis/0.1/samples/pipeline-run.yaml",
    "catalog/task/redhat-codeready-dependency-analysis/0.1/samples/secret.yaml",
    "catalog/task/redhat-dependency-analytics/0.3/samples/pipeline-run.yaml",
    "catalog/task/redhat-dependency-analytics/0.3/samples/task-run.yaml",
}


@pytest.fixture(scope="module")
def whole(request):
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip(f"{corpus} (the shared corpus) is not beside the repository")
    return corpus, lint_paths([str(corpus)])


def rel(corpus, path):
    return str(path).split(str(corpus) + "/", 1)[1]


def test_no_crash_on_any_file(whole):
    corpus, result = whole
    assert result.files > 900
    crashes = [f.format() for f in result.findings if f.rule == "internal-error"]
    assert crashes == []


def test_unparsable_files_are_findings(whole):
    corpus, result = whole
    syntax = {rel(corpus, f.path) for f in result.findings if f.rule == "yaml-syntax"}
    assert syntax == UNPARSABLE
    assert all(f.line > 1 for f in result.findings if f.rule == "yaml-syntax")


def test_every_catalog_error_is_explained(whole):
    corpus, result = whole
    got = set()
    for f in result.findings:
        r = rel(corpus, f.path)
        if f.severity == "error" and r.split("/")[1] in ("task", "pipeline", "stepaction"):
            got.add((r.removeprefix("catalog/"), f.line, f.rule))
    assert got - EXPECTED_ERRORS == set(), "new errors (false positives?)"
    assert EXPECTED_ERRORS - got == set(), "errors no longer found"
    assert {rule for _, _, rule in EXPECTED_ERRORS} <= set(WHY)


def test_release_pipeline_and_publish_task_are_clean(corpus):
    result = lint_paths([str(corpus / "pipeline-release")])
    errors = [f.format() for f in result.findings if f.severity == "error"]
    assert errors == []
    assert result.documents - result.skipped >= 2  # the Pipeline and the publish Task


def test_plumbing_tree_skips_patches_and_lints_trigger_templates(corpus):
    """The real plumbing tree: kustomize patches and non-Tekton kinds are skipped; the PipelineRuns
    inside TriggerTemplates are linted, and three real mistakes there are found."""
    result = lint_paths([str(corpus / "plumbing")])
    errors = {(rel(corpus, f.path), f.line, f.rule) for f in result.findings if f.severity == "error"}
    assert errors == {
        # PIPELINE-TASK-WS-BINDING: a pipeline task binds workspace 'pr', which the inline
        # pipelineSpec does not declare (nor does the run bind it) ...
        ("plumbing/mario-bot/mario-github-comment.yaml", 76, "pipeline-task-workspace-binding"),
        # ... and DECODE-UNKNOWN-FIELD: a pipeline task's workspace binding has no
        # volumeClaimTemplate (that belongs in the PipelineRun's workspaces)
        ("plumbing/mario-bot/mario-github-comment.yaml", 77, "unknown-field"),
        # PARAM-DUP: contextPath is declared twice in the inline pipelineSpec
        ("plumbing/mario-bot/mario-image-build-trigger.yaml", 164, "param-duplicate"),
    }
    assert result.skipped > result.documents / 2
