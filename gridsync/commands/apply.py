"""`gridsync apply [PLANFILE]`: carry out the plan, after review.

Without a plan file it plans, shows the plan and asks (unless --auto-approve). With a plan file it
plans again and refuses unless the result is the plan that was saved (stale plan exit code).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gridsync.apply.executor import Executor
from gridsync.apply.lock import FileLock, Holder, Lock, open_lock
from gridsync.apply.outcome import ApplyResult, Progress, Status, WaitPolicy
from gridsync.apply.record import AppliedRecord, RecordJournal
from gridsync.backends import open_backend
from gridsync.commands.plan import raise_if_blocked
from gridsync.config.desired import ProjectSettings
from gridsync.config.project import parse_duration
from gridsync.console import Console
from gridsync.errors import ExitCode, GridsyncError, StalePlan, UsageError
from gridsync.interrupts import StopRequest, exit_code_for, graceful, wait_all
from gridsync.live.backend import Backend, LiveState
from gridsync.plan import planfile
from gridsync.plan.changes import Action, Plan
from gridsync.plan.diff import Memory, desired_fingerprint
from gridsync.prepare.against import plan_against
from gridsync.prepare.facts import make_terraform
from gridsync.prepare.inputs import Inputs, Target, inputs_for, require_files
from gridsync.prepare.memory import own_record, read_memory
from gridsync.render import text
from gridsync.render.progress import LineProgress, TtyProgress
from gridsync.render.summary import render_summary
from gridsync.spec import Phase

if TYPE_CHECKING:  # Terraform and AWS are imported only by applies that use them
    from gridsync.apply.infra import Infra

Confirm = Callable[[str], bool]


class ApplyOptions(NamedTuple):
    planfile: Path | None = None
    auto_approve: bool = False
    allow_replace: bool = False
    allow_prune_all: bool = False  # --allow-prune-all: a prune may delete every managed cluster
    parallelism: int | None = None
    wait_timeout: float | None = None
    wait: bool = True
    backend: str | None = None  # --backend; None: GRIDSYNC_BACKEND, gridsync.yaml, auto
    # --force-delete: Grid forgets clusters without cleaning their cloud resources.
    force_delete: bool = False
    write_runs: bool = True  # False (--no-write-runs): leave run config files alone
    expect_plan_id: str | None = None  # --expect-plan-id: the plan reviewed on the pull request
    lock_timeout: float = 0.0  # --lock-timeout: how long to wait for another apply to finish
    github: bool = False  # --github: the Markdown summary in the step summary, step outputs
    comment: bool = False  # --comment: the result as the merged pull request's sticky comment
    pr: int | None = None  # --pr: that pull request (default: the event's, or GITHUB_SHA's)


@dataclass
class _Seen:
    """What an apply got to, for its report: the plan it computed and the result it reached."""

    plan: Plan | None = None
    result: ApplyResult | None = None


def apply(
    target: Target,
    options: ApplyOptions,
    env: Mapping[str, str],
    console: Console,
    confirm: Confirm | None,
) -> int:
    """Plan and apply under the project's apply lock. `confirm` asks the user; None when there is
    nobody to ask (no TTY). With --github or --comment, the outcome is reported there too,
    whether apply ran, partly failed or refused."""
    seen = _Seen()
    try:
        code = _apply(target, options, env, console, confirm, seen)
    except GridsyncError as exc:
        _report(seen, exc.exit_code, str(exc), target, options, env, console)
        raise
    _report(seen, code, "", target, options, env, console)
    return code


def _apply(
    target: Target,
    options: ApplyOptions,
    env: Mapping[str, str],
    console: Console,
    confirm: Confirm | None,
    seen: _Seen,
) -> int:
    progress_interval(env)  # a bad GRIDSYNC_PROGRESS_INTERVAL is refused before anything is read
    settings = target.settings()
    opening = _open_meanwhile(settings, options.backend, env)
    backend: Backend | None = None
    try:
        inputs = inputs_for(settings, env, console)
        require_files(inputs, allow_prune_all=options.allow_prune_all)
        with _lock(settings, env, options.lock_timeout):
            record = own_record(settings)
            memory = read_memory(settings, env, record.load())  # before anything changes
            backend = wait_all([opening])[0]  # an error opening it comes here, as it came before
            session = _Session(inputs, backend, record, memory)
            return _plan_and_apply(session, options, env, console, confirm, seen)
    finally:
        if backend is not None:
            backend.close()
        else:  # opened (or still opening) for nothing
            _close_unused(opening)


def _open_meanwhile(
    settings: ProjectSettings, choice: str | None, env: Mapping[str, str]
) -> Future[Backend]:
    """The backend, opened on a thread of its own while the cluster files load: building the API
    client (importing httpx, loading the CA bundle, which releases the GIL) then overlaps the
    reading of YAML. Opening writes nothing and reads no live state: live state is listed
    under the lock, as before."""
    opening: Future[Backend] = Future()

    def run() -> None:
        opening.set_running_or_notify_cancel()
        try:
            opening.set_result(open_backend(settings, choice, env))
        except BaseException as exc:
            opening.set_exception(exc)

    # A daemon, so that a second Ctrl-C does not wait for it; every other way out of apply waits.
    threading.Thread(target=run, name="gridsync-open-backend", daemon=True).start()
    return opening


def _close_unused(opening: Future[Backend]) -> None:
    """Wait for the backend apply did not get to use, and close it. A thread left running into
    the interpreter's exit (importing httpx, opening SQLite) crashed it: a refused apply of a bad
    file exited with SIGSEGV instead of 1, now and then (tests/e2e/test_bad_input.py). Opening
    reads and writes nothing remote, so the wait is short; its own error is not this apply's."""
    try:
        unused = wait_all([opening])[0]
    except Exception:
        return
    unused.close()


class _Session(NamedTuple):
    """What one apply works with, read before it changes anything."""

    inputs: Inputs
    backend: Backend
    record: AppliedRecord
    memory: Memory


def _report(
    seen: _Seen,
    code: int,
    error: str,
    target: Target,
    options: ApplyOptions,
    env: Mapping[str, str],
    console: Console,
) -> None:
    """The step summary and outputs (--github) and the pull-request comment (--comment). A
    failure to post is a warning: it never hides what apply did."""
    if not (options.github or options.comment):
        return
    from gridsync.github.outputs import apply_markdown, emit_apply

    text = apply_markdown(seen.result, code, error)
    if options.github:
        emit_apply(seen.plan, seen.result, code, text, env)
    if not options.comment:
        return
    from gridsync.commands.pr_comment import post_apply

    plan_id = seen.plan.plan_id if seen.plan is not None else ""
    try:
        post_apply(text, plan_id, options.pr, target.project, env, console)
    except GridsyncError as exc:
        console.log(f"warning: the apply result was not posted on the pull request: {exc}")


def _plan_and_apply(
    session: _Session,
    options: ApplyOptions,
    env: Mapping[str, str],
    console: Console,
    confirm: Confirm | None,
    seen: _Seen,
) -> int:
    inputs, backend = session.inputs, session.backend
    live = backend.list_clusters()
    plan = plan_against(
        inputs,
        backend,
        env,
        allow_replace=options.allow_replace,
        live=live,
        memory=session.memory,
        allow_prune_all=options.allow_prune_all,
    )
    seen.plan = plan
    if options.planfile is not None:
        saved = planfile.load(options.planfile)
        planfile.check_fresh(saved, plan, desired_fingerprint(inputs.desired))
    _check_reviewed(plan, options.expect_plan_id, console)
    raise_if_blocked(plan)
    refuse_unresolved(plan)
    if not _has_work(plan):
        console.results(text.plan_pieces(plan, console.paint))
        console.log("Nothing to apply.")
        seen.result = ApplyResult((), live_after=live)
        _record(plan, seen.result, session)  # as just read
        return ExitCode.OK
    if options.planfile is None and not _approved(plan, options, console, confirm):
        console.log("Apply cancelled; nothing was changed.")
        return ExitCode.ERROR
    infra = _infra(plan, inputs, env, backend)
    journal = RecordJournal(session.record)
    stop = StopRequest()
    result = _execute(
        plan, live, backend, inputs.settings, options, console, infra, journal, stop, env
    )
    seen.result = result
    console.result(render_summary(result, console.paint))
    _record(plan, result, session)
    if result.interrupted:
        return exit_code_for(stop.signum)
    return ExitCode.OK if result.ok else ExitCode.PARTIAL


def _lock(settings: ProjectSettings, env: Mapping[str, str], timeout: float) -> Lock:
    """The project's apply lock; it expires (if abandoned) after the longest apply could run."""
    ttl = settings.wait.timeout_seconds + settings.terraform_timeout + 900
    holder = Holder.current(env, ttl, time.time)
    if settings.lock and settings.lock != "file":
        return open_lock(settings.lock, settings.root, holder, timeout=timeout)
    name = f"apply-{settings.project}.lock" if settings.project else "apply.lock"
    return FileLock(settings.root / ".gridsync" / name, holder, timeout=timeout)


def _has_work(plan: Plan) -> bool:
    """Anything to change or wait for: a change, a provisioning cluster, a deletion gridsync
    asked for that is not finished, the context or a run config."""
    waits = any(c.waits for c in plan.changes) or bool(plan.awaited)
    return waits or plan.context is not None or bool(plan.run_edits)


def _record(plan: Plan, result: ApplyResult, session: _Session) -> None:
    """Remember what this apply left in place (for drift): every declared cluster it did not fail
    on, as live has it now (as its last poll round saw it, when no call finished after that round
    was sent), and whether it is protected; forget the clusters that are gone and not declared. The journal
    already wrote each change as it settled; this also covers what was settled before (an
    earlier, interrupted run)."""
    failed = {o.name for o in result.outcomes if o.status != Status.SUCCEEDED}
    declared = {
        c.name: c.desired for c in plan.changes if c.desired is not None and c.name not in failed
    }
    live = (result.live_after or session.backend.list_clusters()).clusters
    present = {c.name for c in live if c.phase != Phase.DELETED}
    entries = session.record.load() or {}
    wanted = {c.name for c in plan.changes if c.desired is not None}
    # Gone and meant to go: asked for by gridsync, or no longer declared (a record from before
    # deletes were written ahead, of a prune that was cut short). After a stop, live_after holds
    # only the clusters seen to settle (no list call is waited for), so a cluster missing from it
    # is not known to be gone: nothing is forgotten then (the journal dropped each delete it saw
    # finish; the next apply forgets the rest). Nor is a delete that failed (in `terraform
    # destroy`, say): the next plan finishes it.
    gone = [
        name
        for name, entry in entries.items()
        if name not in present and (entry.deleting or name not in wanted) and name not in failed
    ]
    if result.interrupted:
        gone = []
    kept = [
        c for c in live if c.name in declared and c.phase == Phase.RUNNING and not c.terminating
    ]
    protected = [name for name, desired in declared.items() if desired.protect]
    session.record.update(kept, gone, protected)


def _check_reviewed(plan: Plan, expected: str | None, console: Console) -> None:
    """Refuse a plan whose action set differs from the one reviewed (its plan_id), showing it."""
    if expected is None or expected == plan.plan_id:
        return
    console.results(text.plan_pieces(plan, console.paint))
    raise StalePlan(
        f"the plan changed since it was reviewed: reviewed plan_id {expected}, now {plan.plan_id}. "
        "Above is what apply would do now; nothing was changed.",
        hint="review the new plan (push again to refresh the pull-request comment)",
    )


def refuse_unresolved(plan: Plan) -> None:
    """A change that writes a cluster needs every `${env:}` it uses to be set."""
    missing = sorted(
        f"  {change.name}: {field} needs ${{env:{var}}}"
        for change in plan.changes
        if change.desired is not None
        and change.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)
        for field, var in change.desired.unresolved.items()
    )
    if missing:
        raise GridsyncError(
            "cannot apply: environment variables the changes need are not set:\n"
            + "\n".join(missing),
            hint="export them (in CI, from the repository's secrets) and run apply again",
        )


def _approved(plan: Plan, options: ApplyOptions, console: Console, confirm: Confirm | None) -> bool:
    console.results(text.plan_pieces(plan, console.paint))
    if options.auto_approve:
        return True
    if confirm is None:
        raise UsageError(
            "refusing to apply without confirmation: there is no terminal to ask on",
            hint="review the plan and pass --auto-approve, or apply a saved plan file",
        )
    return confirm("Apply these changes? Only 'yes' is accepted")


def _infra(plan: Plan, inputs: Inputs, env: Mapping[str, str], backend: Backend) -> Infra | None:
    """Terraform and AWS, only when the plan has Terraform steps."""
    if not any(c.terraform for c in plan.actionable):
        return None
    from gridsync.apply.infra import Infra
    from gridsync.infra.aws import Aws

    return Infra(make_terraform(inputs.settings, env), Aws(), backend.blueprint)


def _execute(
    plan: Plan,
    live: LiveState,
    backend: Backend,
    settings: ProjectSettings,
    options: ApplyOptions,
    console: Console,
    infra: Infra | None,
    journal: RecordJournal,
    stop: StopRequest,
    env: Mapping[str, str],
) -> ApplyResult:
    progress: Progress = (
        TtyProgress(console.err) if console.err_is_tty else LineProgress(console.err)
    )
    waits = WaitPolicy(
        timeout=options.wait_timeout or settings.wait.timeout_seconds,
        poll_min=settings.wait.poll_min_seconds,
        poll_max=settings.wait.poll_max_seconds,
        wait=options.wait,
        heartbeat=progress_interval(env),
    )
    executor = Executor(
        backend,
        options.parallelism or settings.parallelism,
        waits,
        progress,
        force_delete=options.force_delete,
        root=settings.root if options.write_runs else None,
        infra=infra,
        journal=journal,
        stop=stop,
    )
    try:
        with graceful(executor.stop):
            return executor.run(plan, live)
    finally:
        if isinstance(progress, TtyProgress):
            progress.close()


PROGRESS_INTERVAL = "GRIDSYNC_PROGRESS_INTERVAL"


def progress_interval(env: Mapping[str, str]) -> float:
    """Seconds between the "still creating (10m elapsed)" lines: GRIDSYNC_PROGRESS_INTERVAL (a
    duration: 90, 30s, 5m; 0 turns them off), default 5 minutes."""
    text = env.get(PROGRESS_INTERVAL, "").strip()
    if not text:
        return WaitPolicy.heartbeat
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(
            f"{PROGRESS_INTERVAL}={text!r}: {exc}",
            hint=f"set {PROGRESS_INTERVAL} to a duration such as 5m, or unset it (default 5m)",
        ) from exc
