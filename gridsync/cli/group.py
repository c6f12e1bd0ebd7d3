"""The gridsync group and its main commands (click declarations only)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from gridsync.cli import PROG, VERSION_MESSAGE
from gridsync.cli.github import reviewed_plan, snapshot_run
from gridsync.cli.local_grid import local_grid
from gridsync.cli.options import (
    COLOR_CHOICE,
    COLOR_HELP,
    CONTEXT_SETTINGS,
    DEBUG_HELP,
    GITHUB_HELP,
    PROJECT_HELP,
    ROOT_HELP,
    ROOT_TYPE,
    Duration,
    State,
    backend_option,
    global_options,
    safety_overrides,
)
from gridsync.render import formats


@click.group(context_settings=CONTEXT_SETTINGS)
# The version is looked up (importlib.metadata, ~20 ms) only when --version is given.
@click.version_option(
    None, "-V", "--version", package_name=PROG, prog_name=PROG, message=VERSION_MESSAGE
)
@click.option(
    "-C",
    "--chdir",
    "root",
    type=ROOT_TYPE,
    default=None,
    help=ROOT_HELP,
)
@click.option("--color", type=COLOR_CHOICE, default="auto", show_default=True, help=COLOR_HELP)
@click.option("--debug", is_flag=True, help=DEBUG_HELP)
@click.option("--github/--no-github", default=None, help=GITHUB_HELP)
@click.option("--project", envvar="GRIDSYNC_PROJECT", help=PROJECT_HELP)
@click.pass_context
def cli(
    ctx: click.Context,
    root: Path | None,
    color: str,
    debug: bool,
    github: bool | None,
    project: str | None,
) -> None:
    """Plan and apply Grid clusters declared in YAML.

    Every option here may also follow the command (`gridsync plan --github`).

    \b
    Exit codes: 0 ok / no changes, 1 error, 2 changes (plan --detailed-exitcode),
    3 internal error, 4 stale plan, 5 lock timeout, 6 partial apply,
    7 blocked by a safety rule, 130 interrupted.
    """
    ctx.obj = State(root, color, debug, project, github)


@cli.command()
@click.option(
    "--comment",
    is_flag=True,
    help="On errors, replace the sticky pull-request comment with them (GITHUB_TOKEN, GITHUB_REPOSITORY).",
)
@click.option("--pr", type=int, help="The pull request to comment on [default: from the event].")
@global_options
@click.pass_obj
def validate(state: State, comment: bool, pr: int | None) -> int:
    """Check cluster files and gridsync.yaml offline (no credentials, no live state)."""
    from gridsync.commands.validate import validate as run

    return run(state.target, os.environ, state.console, comment=comment, pr=pr)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(formats.NAMES),
    default=formats.DEFAULT,
    show_default=True,
    help=formats.HELP,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the plan (no secrets) for `gridsync apply FILE`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@safety_overrides
@click.option(
    "--comment",
    is_flag=True,
    help="Also post the plan as the sticky pull-request comment (GITHUB_TOKEN, GITHUB_REPOSITORY).",
)
@click.option("--pr", type=int, help="The pull request to comment on [default: from the event].")
@click.option(
    "--changes-only",
    is_flag=True,
    help="With the comment: post nothing for a plan with no changes, and mark an older comment outdated.",
)
@backend_option
@click.option(
    "--live",
    "live_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Plan against a saved snapshot (`gridsync live --output json`, or `grid clusters` text) "
    "instead of a backend: no credentials needed.",
)
@global_options
@click.pass_obj
def plan(
    state: State,
    fmt: str,
    out: Path | None,
    detailed_exitcode: bool,
    allow_replace: bool,
    allow_prune_all: bool,
    comment: bool,
    pr: int | None,
    changes_only: bool,
    backend: str | None,
    live_file: Path | None,
) -> int:
    """Show what apply would change in live state."""
    from gridsync.commands.plan import PlanOptions
    from gridsync.commands.plan import plan as run

    options = PlanOptions(
        fmt,
        out,
        detailed_exitcode,
        allow_replace,
        backend,
        live_file,
        state.github,
        comment,
        pr,
        changes_only,
        allow_prune_all=allow_prune_all,
    )
    return run(state.target, options, os.environ, state.console)


@cli.command()
@click.argument(
    "planfile", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@safety_overrides
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    help="Changes in flight at once [default: 4 or gridsync.yaml].",
)
@click.option(
    "--wait-timeout",
    type=Duration(),
    help="How long to wait for clusters to run or go [default: 90m].",
)
@click.option(
    "--no-wait", is_flag=True, help="Do not wait for clusters to reach RUNNING or be gone."
)
@click.option(
    "--lock-timeout",
    type=Duration(),
    default=0.0,
    help="How long to wait for another apply's lock [default: 0: fail at once, naming the holder].",
)
@click.option(
    "--expect-plan-id",
    metavar="ID",
    help="Refuse (exit 4) unless the plan's id is ID: the plan_id reviewed on the pull request.",
)
@click.option(
    "--no-write-runs",
    is_flag=True,
    help="Leave run config files alone (compute.provider.cluster is not updated).",
)
@click.option(
    "--force-delete",
    is_flag=True,
    help="Delete with force: Grid forgets the cluster at once WITHOUT cleaning its cloud resources.",
)
@click.option(
    "--comment",
    is_flag=True,
    help="Post the result (or why apply refused) as the sticky comment of the merged pull request.",
)
@click.option(
    "--pr", type=int, help="That pull request [default: the event's, else GITHUB_SHA's merged one]."
)
@backend_option
@global_options
@click.pass_obj
def apply(
    state: State,
    planfile: Path | None,
    auto_approve: bool,
    allow_replace: bool,
    allow_prune_all: bool,
    parallelism: int | None,
    wait_timeout: float | None,
    no_wait: bool,
    lock_timeout: float,
    expect_plan_id: str | None,
    no_write_runs: bool,
    force_delete: bool,
    comment: bool,
    pr: int | None,
    backend: str | None,
) -> int:
    """Carry out the plan (or a saved PLANFILE, if live state has not moved since)."""
    from gridsync.commands.apply import ApplyOptions
    from gridsync.commands.apply import apply as run

    options = ApplyOptions(
        planfile=planfile,
        auto_approve=auto_approve,
        allow_replace=allow_replace,
        allow_prune_all=allow_prune_all,
        parallelism=parallelism,
        wait_timeout=wait_timeout,
        wait=not no_wait,
        backend=backend,
        force_delete=force_delete,
        write_runs=not no_write_runs,
        expect_plan_id=expect_plan_id,
        lock_timeout=lock_timeout,
        github=state.github,
        comment=comment,
        pr=pr,
    )
    return run(state.target, options, os.environ, state.console, _confirm_on_tty())


def _confirm_on_tty() -> Any:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    def confirm(question: str) -> bool:
        answer: str = click.prompt(question, default="", show_default=False, err=True)
        return answer.strip() == "yes"

    return confirm


@cli.command("comment")
@click.option(
    "--plan-file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A plan saved with `gridsync plan --out FILE`.",
)
@click.option("--pr", type=int, help="The pull request [default: from GITHUB_EVENT_PATH].")
@click.option(
    "--changes-only",
    is_flag=True,
    help="With the comment: post nothing for a plan with no changes, and mark an older comment outdated.",
)
@global_options
@click.pass_obj
def comment(state: State, plan_file: Path, pr: int | None, changes_only: bool) -> int:
    """Post a saved plan as one sticky pull-request comment, updated in place on every push."""
    from gridsync.commands.pr_comment import comment as run

    return run(plan_file, pr, state.project, os.environ, state.console, changes_only=changes_only)


@cli.command("drift")
@click.option(
    "--issue", is_flag=True, help="Keep one GitHub issue open and current while drift lasts."
)
@click.option("--markdown", is_flag=True, help="Print the report as Markdown.")
@backend_option
@global_options
@click.pass_obj
def drift(state: State, issue: bool, markdown: bool, backend: str | None) -> int:
    """Report live changes made outside gridsync, and merged changes not yet applied (exit 2)."""
    from gridsync.commands.drift import DriftOptions
    from gridsync.commands.drift import drift as run

    return run(
        state.target,
        DriftOptions(backend, issue, markdown, state.github),
        os.environ,
        state.console,
    )


@cli.command("projects")
@click.option(
    "--json", "as_json", is_flag=True, help="One line of JSON, for a GitHub Actions matrix."
)
@global_options
@click.pass_obj
def projects(state: State, as_json: bool) -> int:
    """List the projects of gridsync.yaml (fleets that plan and apply in parallel jobs)."""
    from gridsync.commands.projects import projects as run

    return run(state.target, as_json, state.console)


@cli.command("preflight")
@click.argument("clusters", nargs=-1)
@global_options
@click.pass_obj
def preflight(state: State, clusters: tuple[str, ...]) -> int:
    """Check the AWS account and quotas of clusters (all that declare aws: or infrastructure:).

    Credentials come from the normal boto3 chain (AWS_PROFILE, env, ~/.aws, instance role).
    Exit 1 when a check fails (no credentials, wrong account); low quotas are warnings.
    """
    from gridsync.commands.preflight import preflight as run

    return run(state.target, clusters, os.environ, state.console)


@cli.command("live")
@click.option(
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table as `grid clusters` shows it; json: a snapshot (no secrets) for `plan --live`.",
)
@backend_option
@global_options
@click.pass_obj
def live(state: State, output: str, backend: str | None) -> int:
    """Print the live clusters."""
    from gridsync.commands.live import live as run

    return run(state.target, output, backend, os.environ, state.console)


@cli.command("import")
@click.argument("names", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every live cluster that can be imported.")
@click.option(
    "--file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every document into this one new file (inside the project) "
    "[default: one clusters/<name>.yaml each].",
)
@click.option(
    "--bind-runs",
    is_flag=True,
    help="Add `runs:` binding the run configs that already point at each cluster.",
)
@backend_option
@global_options
@click.pass_obj
def import_(
    state: State,
    names: tuple[str, ...],
    all_: bool,
    file: Path | None,
    bind_runs: bool,
    backend: str | None,
) -> int:
    """Write cluster files for live clusters (NAME... or --all), so that plan shows no change.

    Never overwrites a file or a declared cluster; secrets are written as ${env:VAR} references
    and the variables to set are printed.
    """
    from gridsync.commands.import_clusters import ImportOptions, import_clusters

    options = ImportOptions(names, all_, file, bind_runs, backend)
    return import_clusters(state.target, options, os.environ, state.console)


cli.add_command(local_grid)
cli.add_command(reviewed_plan)
cli.add_command(snapshot_run)
