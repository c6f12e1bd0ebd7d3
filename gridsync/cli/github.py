"""Commands that ask GitHub what a workflow needs (click declarations only)."""

from __future__ import annotations

import os

import click

from gridsync.cli.options import State, global_options


@click.command("reviewed-plan")
@click.option("--sha", help="The merged commit [default: GITHUB_SHA].")
@click.option(
    "--branch", help="The branch it must still be the head of [default: GITHUB_REF_NAME]."
)
@global_options
@click.pass_obj
def reviewed_plan(state: State, sha: str | None, branch: str | None) -> int:
    """The pull request a merged commit came from and the plan reviewed on it.

    Prints pr, plan_id, allow_replace, current, comment and plan_sha as key=value lines (and
    step outputs with --github). Exit 0 also when there is no pull request or no reviewed plan.
    """
    from gridsync.commands.review import reviewed_plan as run

    return run(sha, branch, state.project, os.environ, state.console, github=state.github)


@click.command("snapshot-run")
@click.option(
    "--workflow",
    default="gridsync-drift.yml",
    show_default=True,
    help="The workflow file that publishes the live snapshot.",
)
@click.option(
    "--branch", help="The default branch [default: the event's repository.default_branch]."
)
@global_options
@click.pass_obj
def snapshot_run(state: State, workflow: str, branch: str | None) -> int:
    """The newest successful scheduled or manual run of the drift workflow (for fork plans).

    Prints run_id and taken_at as key=value lines (and step outputs with --github).
    """
    from gridsync.commands.review import snapshot as run

    return run(workflow, branch, os.environ, state.console, github=state.github)
