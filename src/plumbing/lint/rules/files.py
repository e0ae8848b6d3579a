"""Whole-file findings the engine makes itself: unreadable or unparsable files, the repository's
own config files (checked by plumbing.config's yamale schemas), and rule failures."""

from plumbing.lint.registry import rule


def _none(unit):
    return ()


rule("yaml-syntax", "error", (), doc="""The file is not valid YAML, so nothing in it can be applied
    or linted. The finding points at the line and column where the parser gave up; the other files
    are still linted.""", fix="""Fix the YAML syntax. Template sources (Jinja, Helm) must be
    rendered before linting.""", bad="a: [1, 2", good="a: [1, 2]")(_none)
rule("file-read", "error", (), doc="""The file cannot be read or is not UTF-8 text.""",
     fix="Save the file as UTF-8.", bad="", good="")(_none)
rule("api-version-missing", "error", (), doc="""A document whose `kind` is a Tekton type (Task,
    Pipeline, TaskRun, PipelineRun, StepAction, the Triggers kinds, ...) but has no `apiVersion`:
    Kubernetes rejects it (`apiVersion not set`), so it is reported instead of being skipped like a
    non-Tekton document. Kustomize patches are still skipped.""",
     fix="Add the apiVersion, e.g. `apiVersion: tekton.dev/v1`.",
     bad="kind: Task\nmetadata: {name: t}\nspec:\n  steps: [{name: s, image: alpine}]\n",
     good="apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  steps: [{name: s, image: alpine}]\n")(_none)
rule("internal-error", "warning", (), doc="""A rule failed on a document. This is a bug in the
    linter; the other rules still ran.""", fix="Report the document that triggers it.")(_none)

_REPO_DOC = """Checked by the same loader and yamale schema as `release check`
    (src/plumbing/schemas/), with line and column for every error. Detected by path: a
    plumbing.yaml beside a releases/ folder, releases/*.yaml, images/<name>/image.yaml,
    cronjobs/<name>.yaml and github.yaml; the images, cronjobs and github files also get their
    loaders' cross-field checks."""
rule("plumbing-config", "error", (), doc="plumbing.yaml, the organisation's config. " + _REPO_DOC,
     fix="Follow the schema in src/plumbing/schemas/plumbing.yaml.",
     bad="organisation: 3\n", good="")(_none)
rule("release-config", "error", (), doc="releases/<project>.yaml, one released project. " + _REPO_DOC,
     fix="Follow the schema in src/plumbing/schemas/release.yaml.", bad="name: [x]\n",
     good="")(_none)
rule("image-config", "error", (), doc="images/<name>/image.yaml, one CI image. " + _REPO_DOC,
     fix="Follow the schema in src/plumbing/schemas/image.yaml.")(_none)
rule("cronjob-config", "error", (), doc="cronjobs/<name>.yaml, one scheduled job. " + _REPO_DOC,
     fix="Follow the schema in src/plumbing/schemas/cronjob.yaml.")(_none)
rule("github-config", "error", (), doc="""github.yaml, the GitHub organisation (teams, members,
    repositories, labels, branch protection), beside plumbing.yaml. Its loader's cross-field checks
    run too: unknown team, duplicate label, member in no team, protection for an undeclared
    repository, a released project or this repository missing. """ + _REPO_DOC,
     fix="Follow the schema in src/plumbing/schemas/github.yaml; see docs/github.md.")(_none)
rule("config-unsafe-value", "error", (), doc="""A config string holds `$(` (which Tekton would
    substitute) or a control character. """ + _REPO_DOC, fix="Remove the `$(` or the control character.")(_none)
rule("config-unpinned-image", "error", (), doc="""A tool image in plumbing.yaml is not pinned by
    digest or version tag. """ + _REPO_DOC, fix="Pin the image with @sha256:<digest>.")(_none)
rule("config-read", "error", (), doc="A config file cannot be read. " + _REPO_DOC,
     fix="Make the file readable UTF-8.")(_none)
