"""The one layer every byte gridsync writes goes through: stdout, stderr and the files it writes
for people and CI (plan files, the step summary, step outputs).

Two rules, for every sink:
- Every registered secret is masked by value (`gridsync.redact`).
- No line can be a GitHub Actions workflow command unless gridsync itself writes it as one
  (`SafeStream.write_command`): a line whose first non-blank characters are `::` is prefixed with
  a backslash, and `##[` (the runner's legacy form, parsed anywhere in a line) becomes `#\\#[`.
  Every character Python, the runner or a log viewer may take as a line break (CR, VT, FF, the
  file/group/record separators, NEL, U+2028, U+2029) starts a line for this rule.

On GitHub Actions (`--github`, or GITHUB_ACTIONS=true) each newly registered secret is also sent
to the runner as `::add-mask::VALUE` on stderr before anything else is written, so the runner
masks it in this step's log and the next steps'. stderr, not stdout: stdout carries the result,
which workflows redirect into files (the action's `output-file`, a comment body), and a file
must not hold the secret an add-mask line carries.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from gridsync import atomicfile, redact
from gridsync.escapes import escape_data

_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines' line breaks
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_BLANK = rf"[^\S{_BREAKS}]|[{_ZERO_WIDTH}]"  # blanks a reader may skip
_LEGACY = "##["


def neutralise_legacy(text: str) -> str:
    """No `##[` (the runner's legacy command form, which it finds anywhere in a line)."""
    return text.replace(_LEGACY, "#\\#[")


def neutralise(text: str, *, at_line_start: bool = True) -> str:
    """`text` with no line that starts a workflow command (see the module docstring).

    `at_line_start`: whether `text` starts a line (False when it continues one written before).
    A line is escaped when its first character that is not blank begins `::`; only the places
    where `::` occurs are looked at (a regex tried at every line start took 60 ms on a 2 MB plan).
    """
    text = neutralise_legacy(text)
    cuts: list[int] = []
    at = text.find("::")
    while at >= 0:
        start = at
        while start and _is_blank(text[start - 1]):
            start -= 1
        if (start and text[start - 1] in _BREAKS) or (not start and at_line_start):
            cuts.append(at)
        at = text.find("::", at + 2 if cuts and cuts[-1] == at else at + 1)
    if not cuts:
        return text
    pieces = [text[: cuts[0]]]
    pieces += [f"\\{text[a:b]}" for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True)]
    return "".join(pieces)


def _is_blank(char: str) -> bool:
    """A blank a reader may skip before a command: whitespace that breaks no line, or a zero-width
    character."""
    return (char.isspace() and char not in _BREAKS) or char in _ZERO_WIDTH


def _ends_blank_line(text: str, before: bool) -> bool:
    """Whether, after writing `text`, the current line holds only blanks (`before`: it did)."""
    last = _last_line(text)
    continues = len(last) == len(text)
    return (before or not continues) and re.fullmatch(rf"(?:{_BLANK})*", last) is not None


def _last_line(text: str) -> str:
    """What follows the last line break (all of `text` when it has none): a scan from the end,
    costing the last line's length (a regex search from the start scanned every line: 10% of a
    large plan's time)."""
    for index in range(len(text) - 1, -1, -1):
        if text[index] in _BREAKS:
            return text[index + 1 :]
    return text


def announce_lines(values: list[str]) -> str:
    """`::add-mask::` lines for secrets, escaped as GitHub's toolkit escapes a command's data."""
    lines = dict.fromkeys(line for value in values for line in value.splitlines() if line.strip())
    return "".join(f"::add-mask::{escape_data(line)}\n" for line in lines)


PIECE = 1 << 16  # characters masked and handed to the underlying stream at a time (console too)


class SafeStream(io.TextIOBase):
    """A text stream that masks secrets and neutralises workflow commands before writing.

    `announcer` is the stream that writes `::add-mask::` lines (stderr's, on GitHub Actions), or
    None; `announce_here()` makes a stream its own announcer.
    """

    def __init__(self, raw: TextIO, announcer: SafeStream | None = None) -> None:
        super().__init__()
        self.raw = raw
        self.announcer = announcer
        self._blank_line = True  # the current line holds only blanks so far
        self._lock = threading.RLock()

    def announce_here(self) -> SafeStream:
        self.announcer = self
        return self

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._emit(text, command=False)
        return len(text)

    def write_command(self, text: str, *, masked: bool = True) -> None:
        """Workflow commands gridsync made itself (annotations): masked, not neutralised, and
        always on a line of their own. `masked=False` only for `::add-mask::` itself."""
        with self._lock:
            self._emit(text if self._blank_line else "\n" + text, command=True, masked=masked)

    def _emit(self, text: str, *, command: bool, masked: bool = True) -> None:
        with self._lock:
            self._announce()
            safe = neutralise_legacy(redact.mask(text)) if masked else text
            if not command:
                safe = neutralise(safe, at_line_start=self._blank_line)
            self._blank_line = _ends_blank_line(safe, self._blank_line)
            # In pieces: the stream encodes what it is given at once (a whole plan, in memory).
            for start in range(0, len(safe), PIECE):
                self.raw.write(safe[start : start + PIECE])

    def _announce(self) -> None:
        if self.announcer is None:
            return
        pending = redact.SECRETS.take_unannounced()
        if pending:
            self.announcer.write_command(announce_lines(pending), masked=False)
            self.announcer.flush()

    def flush(self) -> None:
        with self._lock:
            self.raw.flush()

    def isatty(self) -> bool:
        try:
            return self.raw.isatty()
        except (AttributeError, ValueError):
            return False

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.raw, "errors", None)


def safe_stream(stream: TextIO) -> SafeStream:
    return stream if isinstance(stream, SafeStream) else SafeStream(stream)


def install(*, github: bool) -> tuple[SafeStream, SafeStream]:
    """Route sys.stdout and sys.stderr through the layer, for the whole process (`main`)."""
    import sys

    err = safe_stream(sys.stderr)
    out = safe_stream(sys.stdout)
    if github:
        out.announcer = err.announce_here()
    sys.stdout, sys.stderr = out, err
    return out, err


def safe_text(text: str) -> str:
    """Text for a file people or CI read (summary, outputs): masked and neutralised."""
    return neutralise(redact.mask(text))


def append_text(path: Path, text: str) -> None:
    """Append to a file GitHub reads (`$GITHUB_STEP_SUMMARY`, `$GITHUB_OUTPUT`), masked."""
    with path.open("a", encoding="utf-8", newline="\n") as out:
        out.write(redact.mask(text))


def write_atomic(path: Path, text: str) -> None:
    """Write masked text atomically (gridsync.atomicfile), so a crash never leaves half a file."""

    path.parent.mkdir(parents=True, exist_ok=True)
    atomicfile.write_atomic(path, redact.mask(text).encode("utf-8"))


def create_files(files: Mapping[Path, str]) -> None:
    """Create every file (masked text) or none, never replacing one that exists
    (gridsync.atomicfile.create_new)."""

    atomicfile.create_new({path: redact.mask(text).encode("utf-8") for path, text in files.items()})
