"""`plumbing lint [PATH...]` and `plumbing lint rules`: a thin click layer over plumbing.lint.

`lint` is a group whose default command lints: `plumbing lint rules` lists the rules, and any
other first argument is a path (lint a folder literally named `rules` as `./rules`).
"""

from __future__ import annotations

import click

from plumbing.cli.common import exits


class _DefaultToCheck(click.Group):
    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands:
            args = ["check", *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter):
        self.commands["check"].format_help(ctx, formatter)


class _CheckContext(click.Context):
    """The hidden default command goes by its group's name (`plumbing lint`, not
    `plumbing lint check`) in usage lines and error messages."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent else super().command_path


class _Check(click.Command):
    context_class = _CheckContext


@click.group(cls=_DefaultToCheck)
def lint():
    """Lint Tekton YAML and the repository's config."""


@lint.command("check", cls=_Check, hidden=True)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="text, one JSON array, or GitHub workflow annotations.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Rule settings (default: ./.plumbing-lint.yaml when present).")
@exits
def check(paths, fmt, strict, config):
    """Lint Tekton YAML (Task, Pipeline, TaskRun, PipelineRun, StepAction; v1 and v1beta1),
    Tekton Triggers objects and their CEL, and the repository's config (plumbing.yaml,
    releases/*.yaml, images/*/image.yaml). Feature flags: the cluster's, overridable under
    `feature-flags:` in .plumbing-lint.yaml.

    \b
    plumbing lint [PATH...]          files and folders (recursively *.yaml, *.yml); - is stdin
    plumbing lint rules              list the rules (--format markdown for docs/rules.md)

    Prints `path:line:col: severity rule-id message` and a summary. Exit 0 without errors,
    1 with errors (or warnings with --strict), 2 on usage or config errors. Silence a rule on one
    line or document with `# plumbing-lint disable=RULE`.
    """
    from plumbing.lint.runner import run

    return run(list(paths), fmt, strict, config)


@lint.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True)
@exits
def rules(fmt):
    """List the lint rules (markdown: the text of docs/rules.md)."""
    from plumbing.lint.runner import rules as list_rules

    return list_rules(fmt)
