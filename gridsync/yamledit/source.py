"""Parsing a run config for gridsync.yamledit: the source text, its tokens and node tree.

Package-internal: only gridsync.yamledit and its helper modules (walk, splice) import
this; the public API is ``gridsync.yamledit`` (``EditError`` is defined here and re-exported
there). Imports nothing from its siblings.

Positions: libyaml counts ``mark.column`` in characters (Unicode code points, ``é`` and ``😀`` are one
each); ``mark.index`` is also in code points but does not count a leading BOM, while
``ReaderError.position`` is a UTF-8 *byte* offset. To depend on none of that, offsets are computed
from ``(line, column)`` alone, with lines split exactly as libyaml splits them (CRLF, CR, LF, NEL,
U+2028, U+2029), on the text after the BOM.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import yaml
from yaml.nodes import Node
from yaml.tokens import DocumentStartToken, Token

from gridsync.errors import GridsyncError

_Pos = tuple[int, int]  # 0-based (line, column) as libyaml counts them

_BOM = "\ufeff"
BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_BREAK_CHARS = "\r\n\x85\u2028\u2029"
# Characters without which libyaml and PyYAML's pure-Python parser accept the same texts and build
# the same values: tabs, tags, block scalars, directives, escapes, odd breaks, BOMs, anchors, aliases,
# complex keys and reserved indicators. Deliberately broad: a false alarm only costs speed.
PARSERS_MAY_DIFFER = "\t!|>%\\\x85\u2028\u2029\ufeff&*?@`"


def may_differ(body: str) -> bool:
    """Whether `body` holds one of PARSERS_MAY_DIFFER: one substring test per character (each a
    memchr-like scan in C), several times faster than a regex of the class, which tries the class
    at every position."""
    for char in PARSERS_MAY_DIFFER:  # noqa: SIM110 - any() over a generator takes twice as long
        if char in body:
            return True
    return False


class Written(NamedTuple):
    """What a load of the file read at a path: the string value and where it is written (1-based
    line and column of its first character, as libyaml counts them after a leading BOM)."""

    line: int
    col: int
    value: str


class EditError(GridsyncError):
    """A YAML file cannot be edited safely; `line` and `col` (1-based) point at the problem."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


class Source(NamedTuple):
    """A run config as libyaml saw it: the text, its tokens, its node tree and line offsets."""

    bom: str
    body: str  # the text after the BOM, which is what libyaml saw
    root: Node | None
    tokens: tuple[Token, ...]
    starts: tuple[int, ...]  # offset of each line (a final break opens an empty last line)

    def offset(self, mark: Any) -> int:
        return self.starts[int(mark.line)] + int(mark.column)

    def line_text(self, line: int) -> str:
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.body)
        return self.body[self.starts[line] : end].rstrip(_BREAK_CHARS)

    def newline(self) -> str:
        found = BREAK.search(self.body)
        return found.group() if found else "\n"


def line_start(body: str, line: int) -> int | None:
    """Offset of 1-based `line` in `body` (no BOM) with libyaml's line breaks; None when the line
    does not exist or the text has breaks other than LF and CRLF (the caller takes another way)."""
    if "\r" in body and body.count("\r") != body.count("\r\n"):
        return None
    at = 0
    for _ in range(line - 1):
        found = body.find("\n", at)
        if found < 0:
            return None
        at = found + 1
    return at


def parse(text: str) -> Source:
    bom = _BOM if text.startswith(_BOM) else ""
    body = text[len(bom) :]
    starts = (0, *(m.end() for m in BREAK.finditer(body)))
    try:
        tokens = tuple(yaml.scan(body, Loader=yaml.CSafeLoader))
        root = _compose_single(body, tokens)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, body) from exc
    return Source(bom, body, root, tokens, starts)


def _compose_single(body: str, tokens: tuple[Token, ...]) -> Node | None:
    loader = yaml.CSafeLoader(body)
    try:
        if not loader.check_node():
            return None
        root = loader.get_node()
        if root is not None and loader.check_node():
            after = pos(root.end_mark)
            marks = (t.start_mark for t in tokens if isinstance(t, DocumentStartToken))
            mark = next((m for m in marks if pos(m) >= after), root.end_mark)  # the next '---'
            message = "the file holds several YAML documents; a run config has exactly one: move the others to files of their own"
            raise EditError(message, *where(mark))
        return root
    finally:
        loader.dispose()


def _syntax_error(exc: yaml.YAMLError, body: str) -> EditError:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        detail = " ".join(filter(None, [exc.problem, f"({exc.context})" if exc.context else ""]))
        return EditError(
            f"not valid YAML: {detail}; fix the syntax first", *where(exc.problem_mark)
        )
    if isinstance(exc, yaml.reader.ReaderError):  # libyaml reports a UTF-8 byte offset here
        before = body.encode("utf-8")[: exc.position].decode("utf-8", errors="ignore")
        line_start = max(before.rfind(c) for c in _BREAK_CHARS) + 1
        line = len(BREAK.findall(before)) + 1
        message = f"not valid YAML: character U+{exc.character:04X} is not allowed ({exc.reason})"
        return EditError(message, line, len(before) - line_start + 1)
    return EditError(f"not valid YAML: {exc}")


def load(text: str, why: str) -> Any:
    """yaml.safe_load, as Grid reads run configs: pure Python, stricter than libyaml in places."""
    return _load(text, why, yaml.SafeLoader)


def load_as_grid(text: str, why: str) -> Any:
    """What `load` returns, or its EditError, at libyaml's speed where the two parsers agree.

    CSafeLoader is libyaml's parser with the same safe constructor and YAML 1.1 resolver, so the
    values are equal whenever both parse; but the parsers accept different texts in places (a tab
    before a comment, ``|#``, a BOM inside the text, tags like ``!``). A text with none of the
    characters those places need (PARSERS_MAY_DIFFER; a leading BOM is fine) is loaded by libyaml;
    any other by the pure parser, exactly as Grid loads it (tests/yamledit/test_yamledit.py compares
    the two on generated texts)."""
    body = text.removeprefix(_BOM)
    loader = yaml.SafeLoader if may_differ(body) else yaml.CSafeLoader
    return _load(text, why, loader)


def _load(text: str, why: str, loader: Any) -> Any:
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader either way
    except yaml.YAMLError as exc:
        if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
            raise EditError(f"{why}: {exc.problem}", *where(exc.problem_mark)) from exc
        raise EditError(f"{why}: {exc}") from exc


def pos(mark: Any) -> _Pos:
    return int(mark.line), int(mark.column)


def where(mark: Any) -> tuple[int, int]:
    return int(mark.line) + 1, int(mark.column) + 1
