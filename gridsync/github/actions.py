"""GitHub Actions workflow commands and files: annotations, the step summary, step outputs.

Pure formatting plus appends to the files GitHub names in `$GITHUB_STEP_SUMMARY` and
`$GITHUB_OUTPUT`. Escaping follows GitHub's toolkit (`@actions/core` command.ts) exactly, so no
text from outside can end a command early or start another one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from gridsync.apply.outcome import ApplyResult, Status
from gridsync.errors import Diagnostic, ExitCode, GridsyncError
from gridsync.escapes import escape_data, escape_property
from gridsync.github.fit import close_open, scan
from gridsync.output import append_text
from gridsync.plan.changes import Action, Change, Note, Plan
from gridsync.plan.drift import NOT_APPLIED, OUT_OF_BAND, DriftReport
from gridsync.spec import Source

LEVELS = ("error", "warning", "notice")  # most severe first
_SEVERITY_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}
_OUTPUT_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub refuses a step summary over 1 MiB


class Annotation(NamedTuple):
    level: str  # "error" | "warning" | "notice"
    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    title: str | None = None


# --- building annotations ----------------------------------------------------------------------


def _join(prefix: str, path: str) -> str:
    """A project-relative path as GitHub wants it: relative to the repository root."""
    return f"{prefix.rstrip('/')}/{path}" if prefix else path


def annotations_for_diagnostics(
    diagnostics: Iterable[Diagnostic], *, path_prefix: str = ""
) -> list[Annotation]:
    """Errors -> error, warnings -> warning, notes -> notice, at the diagnostic's file/line/col.

    `path_prefix` is where the project root sits in the repository ("" when it is the root).
    """
    return [
        Annotation(
            level=_SEVERITY_LEVEL.get(d.severity, "error"),
            message=d.message,
            file=_join(path_prefix, d.path),
            line=d.line,
            col=d.col,
            title=d.yaml_path or None,
        )
        for d in diagnostics
    ]


def annotations_for_plan(plan: Plan, *, path_prefix: str = "") -> list[Annotation]:
    """Blocked changes -> error; deletes and replaces -> warning; plan notes -> warning/notice.

    Run config edits get none: they follow the clusters, which are annotated already.
    """
    found = [_change_annotation(change, path_prefix) for change in plan.changes]
    found += [_note_annotation(note, path_prefix) for note in plan.notes]
    return [a for a in found if a is not None]


def _at(source: Source | None, prefix: str) -> tuple[str | None, int | None, int | None]:
    """file, line and col of a source (all None when it is unknown)."""
    if source is None:
        return None, None, None
    return _join(prefix, source.path), source.line, source.col


def _with_reason(text: str, reason: str) -> str:
    return f"{text}: {reason}" if reason else text


def _change_annotation(change: Change, prefix: str) -> Annotation | None:
    where = _at(change.source, prefix)
    if change.blocked:
        message = f"{change.name} ({change.action.value}) is blocked: {change.blocked}"
        return Annotation("error", message, *where, title="gridsync: plan blocked")
    if change.action == Action.DELETE:
        message = _with_reason(f"{change.name} will be DELETED", change.reason)
        return Annotation("warning", message, *where, title="gridsync: delete")
    if change.action == Action.REPLACE:
        message = _with_reason(
            f"{change.name} will be REPLACED (deleted, then created)", change.reason
        )
        return Annotation("warning", message, *where, title="gridsync: replace")
    return None


def _note_annotation(note: Note, prefix: str) -> Annotation | None:
    level = _SEVERITY_LEVEL.get(note.severity)
    if level is None or level == "error":
        return None
    return Annotation(level, note.message, *_at(note.source, prefix))


# --- workflow commands -------------------------------------------------------------------------


def format_annotation(annotation: Annotation) -> str:
    """`::error file=F,line=L,col=C,title=T::message` (properties only when set)."""
    props = [
        f"{key}={escape_property(str(value))}"
        for key, value in (
            ("file", annotation.file),
            ("line", annotation.line),
            ("col", annotation.col),
            ("title", annotation.title),
        )
        if value is not None and value != ""
    ]
    head = f"{annotation.level} {','.join(props)}" if props else annotation.level
    return f"::{head}::{escape_data(annotation.message)}"


def format_annotations(annotations: Sequence[Annotation], per_kind: int = 10) -> str:
    """Most severe first, at most `per_kind` per level, then one line per level that was cut."""
    unknown = {a.level for a in annotations} - set(LEVELS)
    if unknown:
        raise ValueError(f"unknown annotation level(s): {', '.join(sorted(unknown))}")
    lines: list[str] = []
    for level in LEVELS:
        of_level = [a for a in annotations if a.level == level]
        lines += [format_annotation(a) for a in of_level[: max(0, per_kind)]]
        cut = len(of_level) - max(0, per_kind)
        if cut > 0:
            noun = level if cut == 1 else f"{level}s"
            lines.append(f"::{level}::{cut} more {noun} not shown; see the step summary")
    return "".join(f"{line}\n" for line in lines)


# --- files -------------------------------------------------------------------------------------


def step_summary(markdown: str, path: Path, limit: int = STEP_SUMMARY_LIMIT) -> None:
    """Append `markdown` to the step summary file, keeping the whole file under `limit` bytes.

    When it does not fit, it is cut at a line boundary (open fences and <details> closed) and a
    note says how many lines were left out.
    """
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    used = path.stat().st_size if path.exists() else 0
    room = limit - used - 1  # strictly under the limit
    if len(text.encode()) > room:
        text = _truncated_summary(text, room)
    if text:
        append_text(path, text)


def _truncated_summary(text: str, room: int) -> str:
    """The longest line prefix of `text` that fits in `room` bytes with its closing lines and note."""
    lines = text.removesuffix("\n").split("\n")
    states = scan(lines)
    size, kept = 0, 0
    for n, line in enumerate(lines):
        size += len(line.encode()) + 1
        if size + len(_summary_tail(states[n + 1], len(lines) - n - 1).encode()) > room:
            break
        kept = n + 1
    tail = _summary_tail(states[kept], len(lines) - kept)
    body = "".join(f"{line}\n" for line in lines[:kept]) + tail
    return body if len(body.encode()) <= room else ""


def _summary_tail(state: tuple[str, int], left: int) -> str:
    closing = close_open(state)
    note = f"\n> plan truncated: {left} more lines; see the plan artifact\n"
    return "".join(f"{line}\n" for line in closing) + note


def set_outputs(values: Mapping[str, str], path: Path) -> None:
    """Append step outputs to `$GITHUB_OUTPUT`: `key=value`, or the heredoc form when multi-line."""
    chunks = []
    for key, value in values.items():
        if not _OUTPUT_KEY.fullmatch(key):
            raise ValueError(f"not a valid step output name: {key!r}")
        if "\n" in value or "\r" in value:
            delimiter = _delimiter(value)
            chunks.append(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            chunks.append(f"{key}={value}\n")
    append_text(path, "".join(chunks))


def _delimiter(value: str) -> str:
    while True:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter not in value:
            return delimiter


def plan_outputs(plan: Plan) -> dict[str, str]:
    """has_changes, creates, updates, replaces, deletes and plan_id, as step outputs."""
    counts = plan.count()
    return {
        "has_changes": "true" if plan.has_changes else "false",
        "creates": str(counts[Action.CREATE]),
        "updates": str(counts[Action.UPDATE]),
        "replaces": str(counts[Action.REPLACE]),
        "deletes": str(counts[Action.DELETE]),
        "plan_id": plan.plan_id,
    }


# What `apply --github` says it did, one word (the `result` output), per exit code.
APPLY_RESULTS: dict[int, str] = {
    ExitCode.OK: "applied",
    ExitCode.PARTIAL: "partial",
    ExitCode.STALE_PLAN: "stale",
    ExitCode.BLOCKED: "blocked",
    ExitCode.LOCK_TIMEOUT: "locked",
    ExitCode.INTERRUPTED: "interrupted",
}


def apply_outputs(plan: Plan | None, result: ApplyResult | None, code: int) -> dict[str, str]:
    """result (applied, nothing, partial, stale, blocked, locked, interrupted, error), applied
    (changes that succeeded), created, updated, replaced, deleted (clusters, succeeded), failed,
    not_attempted (not attempted or left incomplete) and plan_id ("" before a plan)."""
    outcomes = result.outcomes if result is not None else ()
    everything = [*outcomes, *(result.runs if result else ())]
    everything += [result.context] if result is not None and result.context else []
    done = [o for o in outcomes if o.status == Status.SUCCEEDED]
    word = APPLY_RESULTS.get(code, "error")
    if word == "applied" and not everything:
        word = "nothing"
    return {
        "result": word,
        "applied": str(sum(o.status == Status.SUCCEEDED for o in everything)),
        "created": str(sum(o.action == Action.CREATE for o in done)),
        "updated": str(sum(o.action == Action.UPDATE for o in done)),
        "replaced": str(sum(o.action == Action.REPLACE for o in done)),
        "deleted": str(sum(o.action == Action.DELETE for o in done)),
        "failed": str(sum(o.status == Status.FAILED for o in everything)),
        "not_attempted": str(
            sum(o.status in (Status.NOT_ATTEMPTED, Status.INCOMPLETE) for o in everything)
        ),
        "plan_id": plan.plan_id if plan is not None else "",
    }


def drift_outputs(report: DriftReport) -> dict[str, str]:
    """drifted (true/false), out_of_band and not_applied (item counts) and items (their sum)."""
    return {
        "drifted": "true" if report.drifted else "false",
        "out_of_band": str(len(report.of_kind(OUT_OF_BAND))),
        "not_applied": str(len(report.of_kind(NOT_APPLIED))),
        "items": str(len(report.items)),
    }


def github_enabled(env: Mapping[str, str], flag: bool | None) -> bool:
    """`--github`/`--no-github` when given, else whether we run in GitHub Actions."""
    if flag is not None:
        return flag
    return env.get("GITHUB_ACTIONS", "").strip().lower() == "true"


def pr_number_from_event(path: Path) -> int | None:
    """The pull request number of the event in GITHUB_EVENT_PATH; None for other events.

    `pull_request.number` (pull_request, pull_request_target, pull_request_review...), `number`
    when the payload has a `pull_request`, or `issue.number` for a comment on a pull request.
    """
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise GridsyncError(
            f"cannot read the GitHub event file {path}: {exc}",
            hint="GITHUB_EVENT_PATH must name the JSON file GitHub Actions writes",
        ) from exc
    if not isinstance(event, dict):
        return None
    pull, issue = event.get("pull_request"), event.get("issue")
    for found in (
        pull.get("number") if isinstance(pull, dict) else None,
        event.get("number") if isinstance(pull, dict) else None,
        issue.get("number") if isinstance(issue, dict) and "pull_request" in issue else None,
    ):
        if isinstance(found, int) and not isinstance(found, bool) and found > 0:
            return found
    return None
