"""`main`: run the command line and map every outcome to an exit code, in one place."""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
from typing import NoReturn

import click

from gridsync.cli import COMPLETE_VAR, PROG
from gridsync.cli.group import cli
from gridsync.errors import ConfigError, ExitCode, GridsyncError
from gridsync.interrupts import Interrupted, install, interrupted
from gridsync.painter import CHOICES, Painter, Style
from gridsync.procguard import make_undumpable


def main(argv: list[str] | None = None) -> NoReturn:
    # A crash in C code (one SIGSEGV was seen once in CI, not reproduced) prints the Python stack
    # (names and lines only, no values) instead of dying silently with 139.
    faulthandler.enable(file=2)
    make_undumpable()  # defence in depth only; see gridsync.procguard
    install()
    code = run(argv)
    if interrupted() and _threads_left():
        # Stopped at once with calls still out: exiting normally would join their threads.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _threads_left() -> bool:
    main_thread = threading.main_thread()
    return any(t is not main_thread and not t.daemon for t in threading.enumerate())


def _guard_output(argv: list[str]) -> None:
    """Before anything is printed: the credentials of the environment are known secrets, and
    stdout and stderr go through the output layer (masking; no stray workflow commands)."""
    from gridsync import output, redact

    redact.register_environment(os.environ)
    output.install(github=_github_flag(argv))


def run(argv: list[str] | None = None) -> int:
    if os.environ.get(COMPLETE_VAR):
        return _complete(argv)
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Inside the try: a signal can arrive while the first modules are still importing.
        _guard_output(args)
        code = cli.main(args=argv, prog_name=PROG, standalone_mode=False)
    except Interrupted as exc:
        click.echo(f"\nInterrupted ({exc.what}): gridsync stopped.", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("\nInterrupted.", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return ExitCode.ERROR  # never click's 2: with --detailed-exitcode 2 means "changes"
    except ConfigError as exc:
        return _report_config_error(exc, _github_flag(args), _err_painter(args))
    except GridsyncError as exc:
        paint = _err_painter(args)
        click.echo(f"{paint('Error:', Style.RED)} {exc}", err=True, color=paint.enabled)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("\nInterrupted.", err=True)
        return ExitCode.INTERRUPTED
    except Exception:
        if debug:
            import traceback  # only here: every other outcome does without it

            traceback.print_exc()
        else:
            kind, value = sys.exc_info()[:2]
            click.echo(
                f"gridsync: internal error: {kind.__name__ if kind else ''}: {value}", err=True
            )
            click.echo(
                "This is a bug. Rerun with --debug for the traceback and report it.", err=True
            )
        return ExitCode.BUG
    return int(code) if isinstance(code, int) else ExitCode.OK


def _complete(argv: list[str] | None) -> int:
    """Answer the shell's completion request (the script, or the words for a partial command line).

    No command runs: click parses resiliently, calls no callback and prints only command, option
    and choice names, so the output layer (which takes text, and click writes the script as
    bytes) is not installed.
    """
    try:
        cli.main(args=argv, prog_name=PROG, complete_var=COMPLETE_VAR)
    except SystemExit as exc:  # click ends a completion with sys.exit
        return exc.code if isinstance(exc.code, int) else ExitCode.ERROR
    return ExitCode.OK


def _github_flag(argv: list[str]) -> bool:
    if "--no-github" in argv:
        return False
    return "--github" in argv or os.environ.get("GITHUB_ACTIONS") == "true"


def _color_choice(argv: list[str]) -> str:
    """The last `--color` given (before or after the command, as the options parse it)."""
    choice = "auto"
    for n, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--color" and n + 1 < len(argv):
            choice = argv[n + 1]
        elif arg.startswith("--color="):
            choice = arg.partition("=")[2]
    return choice if choice in CHOICES else "auto"


def _err_painter(argv: list[str]) -> Painter:
    """The error handler's painter for stderr, by the same rules as every command's."""
    return Painter.for_stream(_color_choice(argv), sys.stderr, os.environ)


def _report_config_error(exc: ConfigError, github: bool, paint: Painter) -> int:
    from gridsync.render.diagnostics import error_summary, render_diagnostics

    if github:
        from gridsync.console import Console
        from gridsync.github.outputs import emit_diagnostics

        emit_diagnostics(exc.diagnostics, Console())

    # color=: click.echo strips ANSI from a stream that is not a terminal, FORCE_COLOR or not
    click.echo(render_diagnostics(exc.diagnostics, paint), err=True, nl=False, color=paint.enabled)
    error = paint("Error:", Style.RED)
    summary = f"{error} {exc.message}: {error_summary(exc.diagnostics)}"
    click.echo(summary, err=True, color=paint.enabled)
    return exc.exit_code
