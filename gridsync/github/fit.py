"""Shortening a comment to a size limit, keeping it well-formed.

A plan is shortened on the plan (`fit_plan`): the Markdown renderer is asked for fewer table rows
and detail blocks (`gridsync.render.markdown.Shortening`), so a change to how the renderer writes
a plan cannot break the comment. What is not a plan (validation errors, an apply report, a drift
issue), or a plan one change of which is over the limit on its own, is fitted as text
(`fit_markdown`), the bound that holds whatever the input:

The text is cut into units: paragraphs, table rows and `<details>` blocks. Units are kept by
priority: the heading (everything before the table and the table header), then every DELETE and
REPLACE (and blocked) block and row, then the closing sections, then the other table rows, then
the other blocks. What is dropped is counted in a note per region. A unit too large on its own is
clipped at a line (or character) boundary with its open fence and `<details>` closed. Whatever the
input, the result is at most `limit` characters and has no fence or `<details>` left open.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gridsync import redact
from gridsync.escapes import md_escape
from gridsync.plan.changes import Action, Plan
from gridsync.render.common import SYMBOLS, plural
from gridsync.render.markdown import BLOCKED_MARK, Shortening, is_critical, render_shortened

State = tuple[str, int]  # the fence open ("" when none) and how many <details> are open

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_OPEN_DETAILS = re.compile(r"<details[\s>]", re.IGNORECASE)
_CLOSE_DETAILS = re.compile(r"</details\s*>", re.IGNORECASE)
_INLINE_TAG = re.compile(r"<(/?)(summary|code|b|i|em|strong)>", re.IGNORECASE)
_PARTIAL = re.compile(r"(<[^>]*|&[#\w]*)$")
_CRITICAL = tuple(SYMBOLS[a] for a in (Action.DELETE, Action.REPLACE))
_CRITICAL_BLOCKS = tuple(f"<details><summary><code>{s}</code>" for s in _CRITICAL)
_CRITICAL_ROWS = tuple(f"| `{s}` |" for s in _CRITICAL)
_MIN_CLIP = 120  # no point clipping a unit into less room than this
_MIN_CLIP_OTHER = 1000  # ... or a block that is not a delete or replace into less than this
_HINT_LIMIT = 300
_LINE_CAP = 2000  # a line longer than this is clipped once the plan has to be shortened
_TABLE_HEAD, _CRITICAL_TIER, _TAIL, _ROWS, _BLOCKS = range(5)

# --- fences and <details> ----------------------------------------------------------------------


def scan(lines: Sequence[str]) -> list[State]:
    """The state before each line, then after the last one (len(lines) + 1 entries)."""
    state: State = ("", 0)
    states = [state]
    for line in lines:
        state = _step(state, line)
        states.append(state)
    return states


def _step(state: State, line: str) -> State:
    fence, depth = state
    match = _FENCE.fullmatch(line)
    if fence:
        return ("", depth) if match and _closes(fence, match) else state
    if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
        return match.group(1), depth
    opened, closed = len(_OPEN_DETAILS.findall(line)), len(_CLOSE_DETAILS.findall(line))
    return "", max(0, depth + opened - closed)


def _closes(fence: str, match: re.Match[str]) -> bool:
    run, rest = match.group(1), match.group(2)
    return run[0] == fence[0] and len(run) >= len(fence) and not rest.strip()


def close_open(state: State) -> list[str]:
    """The lines that close an open fence and every open <details>."""
    fence, depth = state
    lines = [fence] if fence else []
    return lines + ["", "</details>"] * depth if depth else lines


def clip_line(line: str, limit: int) -> str:
    """`line` cut to about `limit` characters: no partial tag, entity or escape, inline tags closed."""
    if len(line) <= limit:
        return line
    cut = _PARTIAL.sub("", line[: max(0, limit)])
    if (len(cut) - len(cut.rstrip("\\"))) % 2:
        cut = cut[:-1]
    stack: list[str] = []
    for match in _INLINE_TAG.finditer(cut):
        closing, tag = match.group(1), match.group(2).lower()
        if not closing:
            stack.append(tag)
        elif tag in stack:
            del stack[len(stack) - 1 - stack[::-1].index(tag) :]
    return cut + "…" + "".join(f"</{tag}>" for tag in reversed(stack))


def clip_lines(lines: Sequence[str], room: int) -> list[str] | None:
    """The longest well-formed prefix of `lines` within `room` characters (joined by newlines),
    with a line counting what was left out; None when nothing useful fits."""
    states = scan(lines)
    best: list[str] | None = None
    for keep in range(1, len(lines)):
        candidate = [*lines[:keep], *_clip_tail(states[keep], lines[keep:])]
        if _joined(candidate) > room:
            break
        best = candidate
    if best is None and room >= _MIN_CLIP:
        first = clip_line(lines[0], room - _MIN_CLIP // 2)
        best = [first, *_clip_tail(scan([first])[-1], lines[1:])]
    return best if best is not None and _joined(best) <= room else None


def _clip_tail(state: State, rest: Sequence[str]) -> list[str]:
    """A note counting the lines left out (not the closing lines given again), then those."""
    closing = close_open(state)
    left = sum(1 for line in rest if line.strip()) - sum(1 for line in closing if line.strip())
    note = f"… {plural(left, 'more line')} not shown" if left > 0 else "…"
    return [note, *closing] if state[0] else ["", f"_{note}_", *closing]


def _joined(lines: Sequence[str]) -> int:
    return sum(len(line) for line in lines) + max(0, len(lines) - 1)


# --- units -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    index: int
    lines: tuple[str, ...]
    kind: str  # "text" | "row" | "block"
    tier: int
    sep: str  # what joins it to the unit before: "\n" right after it, "\n\n" after a blank line

    @property
    def size(self) -> int:
        return _joined(self.lines)

    @property
    def critical(self) -> bool:
        first = self.lines[0]
        if self.kind == "block":
            return first.startswith(_CRITICAL_BLOCKS) or any(BLOCKED_MARK in x for x in self.lines)
        return self.kind == "row" and (first.startswith(_CRITICAL_ROWS) or BLOCKED_MARK in first)


def _units(lines: Sequence[str]) -> list[_Unit]:
    states = scan(lines)
    units: list[_Unit] = []
    start, seen_block, rows_in_run = 0, False, 0
    while start < len(lines):
        if not lines[start].strip():
            start, rows_in_run = start + 1, 0
            continue
        kind, end = _extent(lines, states, start)
        sep = "\n" if start and lines[start - 1].strip() else "\n\n"
        rows_in_run = rows_in_run + 1 if kind == "row" else 0
        seen_block = seen_block or kind == "block"
        unit = _Unit(len(units), tuple(lines[start:end]), kind, 0, sep)
        units.append(_with_tier(unit, seen_block, rows_in_run))
        start = end
    return units


def _extent(lines: Sequence[str], states: Sequence[State], start: int) -> tuple[str, int]:
    """The kind of the unit starting at `start`, and the index after its last line."""
    first = lines[start]
    if first.startswith("|") and states[start] == ("", 0):
        return "row", start + 1
    kind = "block" if _OPEN_DETAILS.match(first) and states[start] == ("", 0) else "text"
    end = start + 1
    while end < len(lines) and states[end] != ("", 0):
        end += 1
    while kind == "text" and end < len(lines) and lines[end].strip():
        if lines[end].startswith("|") or _OPEN_DETAILS.match(lines[end]):
            break
        end += 1
        while end < len(lines) and states[end] != ("", 0):
            end += 1
    return kind, end


def _with_tier(unit: _Unit, seen_block: bool, rows_in_run: int) -> _Unit:
    if unit.kind == "row":
        tier = _TABLE_HEAD if rows_in_run <= 2 else _CRITICAL_TIER if unit.critical else _ROWS
    elif unit.kind == "block":
        tier = _CRITICAL_TIER if unit.critical else _BLOCKS
    else:
        tier = _TAIL if seen_block else _TABLE_HEAD
    return _Unit(unit.index, unit.lines, unit.kind, tier, unit.sep)


# --- fitting -----------------------------------------------------------------------------------


def fit_markdown(markdown: str, limit: int, hint: str) -> str:
    """`markdown` within `limit` characters, well-formed, with notes for what was left out."""
    if limit <= 0:
        return ""
    # Masked before anything is cut: a clipped line must not keep the first half of a secret.
    markdown, hint = redact.mask(markdown), redact.mask(hint)
    lines = markdown.rstrip("\n").split("\n")
    whole = "\n".join([*lines, *close_open(scan(lines)[-1])])
    if len(whole) <= limit:
        return whole
    hint = md_escape(hint)[:_HINT_LIMIT]
    units = _units(_capped(lines))
    budget = limit - 3 * (len(hint) + 80)
    for _ in range(4):
        text = _assemble(units, _select(units, budget), hint)
        if len(text) <= limit:
            return text
        budget -= len(text) - limit + 1000
    return _minimal(lines, limit, hint)


def _capped(lines: Sequence[str]) -> list[str]:
    """Every line at most about _LINE_CAP characters (literal text inside a fence is just cut)."""
    return [_cap(line, state) for line, state in zip(lines, scan(lines), strict=False)]


def _cap(line: str, state: State) -> str:
    if len(line) <= _LINE_CAP:
        return line
    return line[:_LINE_CAP] + "…" if state[0] else clip_line(line, _LINE_CAP)


def _select(units: Sequence[_Unit], budget: int) -> dict[int, tuple[str, ...]]:
    """Index -> the lines kept of that unit, possibly clipped."""
    chosen: dict[int, tuple[str, ...]] = {}
    left = budget
    for tier in range(_BLOCKS + 1):
        group = [u for u in units if u.tier == tier]
        if tier <= _TAIL:  # small first: keep as many as possible, clip the largest last
            group.sort(key=lambda u: (u.size, u.index))
        for unit in group:
            lines: Sequence[str] | None = unit.lines
            if len(unit.sep) + unit.size > left:
                lines = _clipped(unit, left - len(unit.sep))
            if lines is not None:
                chosen[unit.index] = tuple(lines)
                left -= len(unit.sep) + _joined(lines)
    return chosen


def _clipped(unit: _Unit, room: int) -> list[str] | None:
    """A unit shortened to `room`: the heading, critical units, and any block given room enough
    to be worth showing in part (never a table row)."""
    least = _MIN_CLIP if unit.tier <= _TAIL else _MIN_CLIP_OTHER
    if unit.kind == "row" or room < least:
        return None
    return clip_lines(unit.lines, room)


def _assemble(units: Sequence[_Unit], chosen: dict[int, tuple[str, ...]], hint: str) -> str:
    """The kept units in their order, each region's note after its last unit, all closed."""
    dropped = {kind: sum(u.index not in chosen for u in units if u.kind == kind) for kind in _NOTES}
    last = {u.kind: u.index for u in units}
    pieces: list[str] = []
    for unit in units:
        if unit.index in chosen:
            after_note = bool(pieces) and pieces[-1].startswith("> … ")
            sep = "\n\n" if after_note else unit.sep
            pieces += [sep if pieces else "", "\n".join(chosen[unit.index])]
        if last[unit.kind] == unit.index and dropped[unit.kind]:
            pieces += ["\n\n" if pieces else "", _note(unit.kind, dropped[unit.kind], hint)]
    out = "".join(pieces)
    return "\n".join([out, *close_open(scan(out.split("\n"))[-1])])


def _note(kind: str, count: int, hint: str) -> str:
    noun, with_hint = _NOTES[kind]
    return f"> … {plural(count, noun)} not shown" + (f": {hint}" if with_hint else "")


_NOTES = {
    "row": ("more table row", False),
    "block": ("more change", True),
    "text": ("more section", True),
}


def _minimal(lines: Sequence[str], limit: int, hint: str) -> str:
    """The last resort: the first line, clipped, and a note."""
    note = f"> … plan too large to show: {hint}"[: max(0, limit // 2)]
    first = clip_line(lines[0], min(200, max(0, limit - len(note) - 40)))
    text = "\n".join([first, *close_open(scan([first])[-1]), "", note])
    return text[:limit] if len(text) > limit else text


# --- fitting a plan, on the plan ----------------------------------------------------------------


def fit_plan(plan: Plan, limit: int, hint: str) -> str:
    """The Markdown plan within `limit` characters, shortened on the plan, not on its text: the
    heading, every critical row and the closing sections stay; then as many other table rows as
    fit, then (all rows shown) as many other detail blocks, then critical blocks; a note counts
    what is left out. Only when even that is too long (one change or line far over the limit) is
    the text clipped by `fit_markdown`."""
    whole = render_shortened(plan, Shortening(hint=hint)).rstrip("\n")
    if len(whole) <= limit:
        return whole
    others = sum(not is_critical(c) for c in plan.changes) + len(plan.run_edits)
    critical = sum(is_critical(c) for c in plan.changes)

    def render(rows: int, blocks: int, critical_blocks: int | None) -> str:
        keep = Shortening(rows, blocks, critical_blocks, hint)
        return render_shortened(plan, keep).rstrip("\n")

    if len(render(0, 0, None)) <= limit:
        rows = _most(others, lambda n: len(render(n, 0, None)) <= limit)
        blocks = (
            0 if rows < others else _most(others, lambda n: len(render(rows, n, None)) <= limit)
        )
        text = render(rows, blocks, None)
        if rows == others and blocks < others and limit - len(text) >= _MIN_CLIP_OTHER:
            return fit_markdown(render(rows, blocks + 1, None), limit, hint)  # clip the next
        return text
    most = _most(critical, lambda n: len(render(0, 0, n)) <= limit)
    return fit_markdown(render(0, 0, min(critical, most + 1)), limit, hint)


def _most(high: int, fits: Callable[[int], bool]) -> int:
    """The largest n in 0..high with fits(n), fits being monotonic and fits(0) assumed."""
    low = 0
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low
