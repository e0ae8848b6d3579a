"""The two console scripts, `plumbing` and `release`, as lazy click groups.

Each subcommand is named here as "module:attribute" and imported only when invoked: keeping
start-up cheap is what lets `release nightly` stay within 2x of importing yaml and jinja2.
"""

from __future__ import annotations

import importlib
import sys

import click

from plumbing import __version__
from plumbing.findings import EXIT_FAILED, one_line

# command name -> "module:attribute" (module relative to plumbing.cli)
RELEASE_COMMANDS = {
    "nightly": "release_cmds:nightly",
    "full": "release_cmds:full",
    "check": "release_cmds:check",
    "list": "release_cmds:list_projects",
    "verify-images": "release_tools:verify_images",
    "rewrite-devel": "release_tools:rewrite_devel",
    "derive-notags": "release_tools:derive_notags",
    "precheck": "publish_cmds:precheck",
    "publish": "publish_cmds:publish",
    "status": "publish_cmds:status",
    "follow": "cluster_cmds:follow",
    "logs": "cluster_cmds:logs",
    "notify": "notify_cmds:notify",
    "record": "dashboard_cmds:record",
    "notes": "notes_cmds:notes",
    "draft": "notes_cmds:draft",
    "wait-signatures": "notes_cmds:wait_signatures",
    "test": "test_cmds:test",
    "test-start": "test_cmds:test_start",
    "test-step": "test_cmds:test_step",
    "test-record": "test_cmds:test_record",
}

PLUMBING_COMMANDS = {
    "lint": "lint_cmds:lint",
    "infra": "infra_cmds:infra",
    "image": "image_cmds:image",
    "graph": "graph_cmds:graph",
    "dashboard": "dashboard_cmds:dashboard",
    "pr": "pr_cmds:pr",
    "versions": "versions_cmds:versions",
    "deploy": "deploy_cmds:deploy",
    "verify": "deploy_cmds:verify",
}


class LazyGroup(click.Group):
    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def main(self, args=None, prog_name=None, **extra):
        """Click's own errors (unknown option, missing argument) as one line, exit 2."""
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.exceptions.UsageError as exc:
            path = exc.ctx.command_path if exc.ctx else (prog_name or self.name)
            click.echo(f"{path}: {one_line(exc.format_message())} (see {path} --help)", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException as exc:
            click.echo(f"{prog_name or self.name}: {one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(EXIT_FAILED)
        sys.exit(code if isinstance(code, int) else 0)

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, cmd_name):
        if cmd_name in self.lazy:
            module_name, attr = self.lazy[cmd_name].split(":")
            try:
                module = importlib.import_module(f"plumbing.cli.{module_name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"plumbing.cli.{module_name}":
                    raise
                return None  # a command whose module is not part of this build
            return getattr(module, attr)
        return super().get_command(ctx, cmd_name)


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=LazyGroup, lazy=RELEASE_COMMANDS, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="release")
def release():
    """Render, check, plan, run and publish Tekton releases.

    \b
    release nightly pipeline                      plan tonight's nightly (no cluster needed)
    release full pipeline --version v1.2.3 --revision SHA
    release check [PROJECT]                       validate config and templates, write nothing
    release list                                  the configured projects
    """


@click.group(cls=LazyGroup, lazy=PLUMBING_COMMANDS, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="plumbing")
def plumbing():
    """CI/CD plumbing as code: lint, infrastructure plan, images, graphs, dashboard."""
