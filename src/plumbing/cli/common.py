"""What every command shares: running a function that returns an exit code, and turning user
mistakes into one line on stderr instead of a traceback."""

from __future__ import annotations

import functools
import os
import sys

import click

from plumbing.findings import EXIT_USAGE, PlumbingError, one_line


def exits(fn):
    """Wrap a click callback whose body returns an exit code; PlumbingError -> one line."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            code = fn(*args, **kwargs)
        except PlumbingError as exc:
            click.echo(f"{click.get_current_context().command_path}: {one_line(str(exc))}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            code = 130
        sys.exit(code or 0)

    return wrapper


root_option = click.option(
    "--root", type=click.Path(file_okay=False), default=None,
    help="The plumbing repository (default: nearest folder with plumbing.yaml, or $PLUMBING_ROOT).",
)

def run_options(what: str):
    """--apply, --no-follow and --logs, as every command that creates a run in the cluster
    offers them; `what` says what --apply creates."""
    def decorate(fn):
        fn = click.option("--logs", is_flag=True, help="With --apply: stream step logs while following.")(fn)
        fn = click.option("--no-follow", is_flag=True, help="With --apply: create the run and return.")(fn)
        return click.option("--apply", is_flag=True, help=f"Create {what} in the cluster and follow it.")(fn)
    return decorate


stack_option = click.option(
    "-s", "--stack", default="dogfooding", show_default=True,
    help="The stack: Pulumi.<stack>.yaml at the repository root.",
)

output_option = click.option(
    "--output", "output", type=click.Choice(["text", "json"]), default="text",
    show_default=True, help="Print for people (text) or machines (json).",
)


def usage_error(message: str) -> PlumbingError:
    err = PlumbingError(message)
    err.exit_code = EXIT_USAGE
    return err


def github_retry():
    """The GitHub retry policy: the default, or one handed in through click's `obj` (tests:
    `CliRunner().invoke(release, args, obj={"github_retry": Retry(backoff=0.01)})`)."""
    obj = click.get_current_context().find_root().obj
    return obj.get("github_retry") if isinstance(obj, dict) else None


def github_client(base_url: str | None):
    """The one GitHub client for a command; the token is read here, from $GITHUB_TOKEN, and nowhere deeper."""
    from plumbing.github import DEFAULT_API, Client

    return Client(token=os.environ.get("GITHUB_TOKEN") or None, base_url=base_url or DEFAULT_API,
                  retry=github_retry())
