"""Reading YAML files with positions: libyaml composes nodes, gridsync builds the values.

Why not ``yaml.safe_load``: it forgets where values were written, silently keeps the last of two
duplicate keys, expands alias bombs without limit and reads YAML 1.1 (``yes``/``no``/``on`` become
booleans, ``2022-01-01`` a date). Here ``yaml.CSafeLoader`` only composes the node tree, and plain
values are built from the nodes within a node budget (aliases counted every time they are reached)
and a depth limit, which stop the building as soon as they are exceeded, with YAML 1.2 core
scalars (only ``true``/``false`` are booleans), every duplicate key reported, and every value's and
key's position kept by YAML path.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml._yaml import CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gridsync.config import textpos
from gridsync.config.nodepos import NodeTree, Positions
from gridsync.errors import Diagnostic

YamlPath = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based (line, col)

MAX_NODES = 100_000  # per document, counting every node reached through an alias again
MAX_DEPTH = 64
MAX_FILE_BYTES = 4 * 1024 * 1024

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _MAP, _SEQ, _MERGE = (_TAG + t for t in ("str", "null", "map", "seq", "merge"))
_PLAIN_TAGS = frozenset(
    _TAG + t for t in ("str", "null", "bool", "int", "float", "timestamp", "value", "merge")
)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_LEADING_ZERO = re.compile(r"[-+]?0[0-7]+")  # an octal number to YAML 1.1, decimal to 1.2
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_DASHES = re.compile(r"---(?:[ \t]|$)")
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# The escapes of a double-quoted scalar that make U+0000 (libyaml refuses the character itself).
_NUL_ESCAPE = re.compile(r"\\(?:0|x00|u0000|U00000000)")
# An untagged plain scalar is typed (not a string) when YAML 1.1's resolver (PyYAML's, which
# composing used to run for every scalar) gives it a number tag and YAML 1.2 core reads it as a
# number: "12" and "1.5" are numbers, "1e5", "0o17" and "-.5" stay strings, as they always have.
_NUMBER_START = frozenset("-+.0123456789")
_NUMBER_11 = re.compile(
    r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)
    |[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+""",
    re.VERBOSE,
)
_NUMBER_12 = re.compile(
    r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
)
_NUMBER = _TAG + "float"  # the tag of a typed number: _resolve_plain reads which number it is
# The tag of a plain scalar that is a string to YAML 1.2 and something else to YAML 1.1 (PyYAML,
# the grid CLI, which reads run configs): a boolean (yes, off), an integer (1_000, 1:30), a date
# (2022-01-01), or `=`, which PyYAML's safe loader refuses. Built as the string, its path kept
# (YamlDocument.yaml11) for the checks of files Grid reads. Not a tag a file can mean.
_STR_11 = "tag:gridsync.invalid,2026:str-yaml11"
_KEY_TAGS = _PLAIN_TAGS | {_STR_11}  # the tags a key may have: resolved, or none written
# A plain key gridsync reads as its text and Grid's loader as something else (True, 16, None).
_TYPED_KEY_TAGS = frozenset({_STR_11, _NULL, _TAG + "bool", _NUMBER})
_WORDS_11 = ("yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "=")
_TIMESTAMP_11 = re.compile(
    r"""[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]
    (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?""",
    re.VERBOSE,
)
_WORD_TAGS = {
    **dict.fromkeys(_NULLS, _NULL),
    **dict.fromkeys(_BOOLS, _TAG + "bool"),
    **dict.fromkeys(_WORDS_11, _STR_11),
    "<<": _MERGE,
}


class Problem(NamedTuple):
    """A diagnostic before it knows its file: 1-based position, message, YAML path, severity."""

    line: int
    col: int
    message: str
    path: YamlPath = ()
    severity: str = "error"


class YamlDocument(NamedTuple):
    """One non-empty document: its plain value and where each part of it was written.

    As read, `values` and `keys` look positions up in the document's nodes (config/nodepos.py):
    keep a document only while it is checked, or keep `only(key)` of it."""

    number: int  # 1-based position of the document in its file
    value: Any
    start: Position
    values: Mapping[YamlPath, Position]
    keys: Mapping[YamlPath, Position]
    # Values already reported and read as null (an unsupported tag): checks of them say nothing new.
    unbuilt: frozenset[YamlPath] = frozenset()
    # Plain scalars read as NaN or infinity (.nan, .inf, 1e999): JSON and Grid have no such number.
    non_finite: frozenset[YamlPath] = frozenset()
    # Plain scalars read as a float with no fraction (200.0): JSON Schema counts one as an
    # integer, but Grid's integer fields and gridsync's spec do not (schemas.check refuses it).
    whole_floats: frozenset[YamlPath] = frozenset()
    # Plain scalars read as strings that YAML 1.1 reads as something else (see _STR_11); and
    # plain keys, read as their text, that Grid's loader reads otherwise (_TYPED_KEY_TAGS).
    yaml11: frozenset[YamlPath] = frozenset()
    yaml11_keys: frozenset[YamlPath] = frozenset()

    def where(self, path: YamlPath, *, key: bool = False) -> Position:
        """Position of the key (or value) at `path`, else of its nearest written ancestor."""
        if isinstance(self.values, Positions):  # one walk of the nodes, not one per ancestor
            return self.values.where(path, key=key)
        if key and path in self.keys:
            return self.keys[path]
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return self.start

    def top_keys(self, names: Iterable[str]) -> dict[str, Position]:
        """where((name,), key=True) of each of `names`, with one look at the nodes."""
        if isinstance(self.keys, Positions):
            written = self.keys.top()
            return {name: written.get(name) or self.start for name in names}
        return {name: self.where((name,), key=True) for name in names}

    def only(self, key: str) -> YamlDocument:
        """This document with only its top-level `key`, positions in plain dicts: it holds no node
        tree, and says the same as this document about `key` and everything in it."""
        value = self.value if isinstance(self.value, dict) else {}
        path: YamlPath = (key,)
        values = {(): self.start, **_subtree(self.values, path)}
        return YamlDocument(
            self.number,
            {key: value[key]} if key in value else {},
            self.start,
            values,
            _subtree(self.keys, path),
            frozenset(p for p in self.unbuilt if p[:1] == path),
            frozenset(p for p in self.non_finite if p[:1] == path),
            frozenset(p for p in self.whole_floats if p[:1] == path),
            frozenset(p for p in self.yaml11 if p[:1] == path),
            frozenset(p for p in self.yaml11_keys if p[:1] == path),
        )


def _subtree(positions: Mapping[YamlPath, Position], path: YamlPath) -> dict[YamlPath, Position]:
    subtree = getattr(positions, "subtree", None)
    if subtree is not None:
        found: dict[YamlPath, Position] = subtree(path)
        return found
    return {p: at for p, at in positions.items() if p[: len(path)] == path}


class YamlFile(NamedTuple):
    path: str  # relative to the project root, "/" separators
    documents: tuple[YamlDocument, ...]
    problems: tuple[tuple[int, Problem], ...]  # (document index or 0, problem)
    multi_document: bool
    text: str = ""  # the file as read (newlines and a BOM kept), "" when it could not be decoded
    # Where each document that holds nothing (`---` and comments at most) starts: not in
    # `documents`, but a YAML 1.1 reader's single-document load (Grid's) still counts it.
    empty_starts: tuple[Position, ...] = ()

    def diagnostic(self, doc_index: int, problem: Problem) -> Diagnostic:
        """Turn a problem of document `doc_index` into a Diagnostic with this file's path."""
        yaml_path = format_path(problem.path)
        if self.multi_document and doc_index:
            yaml_path = f"[doc {doc_index}] {yaml_path}".rstrip()
        return Diagnostic(
            self.path, problem.line, problem.col, problem.message, yaml_path, problem.severity
        )

    def diagnostics(self) -> list[Diagnostic]:
        return [self.diagnostic(index, problem) for index, problem in self.problems]


def format_path(path: YamlPath) -> str:
    """("instance_types", 2, "name") -> "instance_types[2].name"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _SIMPLE_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


def read_yaml_file(path: str | Path, rel: str) -> YamlFile:
    """Read every document of `path`; problems of any kind are collected, never raised."""
    text, problem = _read_text(path)
    if text is None:
        return YamlFile(rel, (), ((0, problem),) if problem else (), False)
    documents, problems, count, empty = _compose_all(text.removeprefix("\ufeff"))
    return YamlFile(rel, tuple(documents), tuple(problems), count > 1, text, tuple(empty))


def _read_text(path: str | Path) -> tuple[str | None, Problem | None]:
    try:  # open, fstat, read, close: every further system call costs as much as the read
        # O_NONBLOCK: opening a FIFO waits for a writer, and reading one or a device (a symlink
        # to /dev/zero, /dev/stdin) never ends; neither is a YAML file of the project.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(path)
            if not stat.S_ISREG(info.st_mode):
                return None, Problem(1, 1, "is not a regular file (a FIFO, socket or device)")
            size = info.st_size
            data = b"" if size > MAX_FILE_BYTES else os.read(fd, size + 1)
            while size < len(data) <= MAX_FILE_BYTES:  # it grew since fstat: read on to the end
                more = os.read(fd, MAX_FILE_BYTES + 1 - len(data))
                if not more:
                    break
                data += more
        finally:
            os.close(fd)
        if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
            return None, Problem(1, 1, f"file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB")
    except IsADirectoryError:
        return None, Problem(1, 1, "is a directory, not a YAML file")
    except PermissionError:
        return None, Problem(1, 1, "cannot read the file: permission denied")
    except OSError as exc:
        return None, Problem(1, 1, f"cannot read the file: {exc.strerror or exc}")
    return _decode(data)


# The byte order marks of the encodings an editor may save a file in instead (UTF-32 first: its
# little-endian mark starts with UTF-16's).
_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _decode(raw: bytes) -> tuple[str | None, Problem | None]:
    data = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return ("\ufeff" if len(data) < len(raw) else "") + data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")
        encoding = next((name for bom, name in _OTHER_BOMS if raw.startswith(bom)), "")
        what = f"UTF-8: it is {encoding}" if encoding else "valid UTF-8"
        message = f"the file is not {what} (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        return None, Problem(*textpos.position(before, len(before)), message)


def _odd_break_problems(text: str) -> list[tuple[int, Problem]]:
    found, total = textpos.odd_breaks(text)
    problems = [(0, Problem(line, col, textpos.odd_break_message(c))) for line, col, c in found]
    if total > len(found):
        line, col, char = found[-1]
        more = f"{textpos.odd_break_message(char)} ({total - len(found)} more in this file)"
        problems[-1] = (0, Problem(line, col, more))
    return problems


# A byte order mark where a line starts, past the file's start (files joined with `cat` keep one
# each): libyaml skips it, PyYAML's pure loader (Grid's, for run configs) reads it as part of the
# key that follows, or refuses the file; the two would read different configs.
_LATE_BOM = re.compile("(?<![^\n\r])\ufeff")


def _late_bom_problems(text: str) -> list[tuple[int, Problem]]:
    found = [m.start() for m in _LATE_BOM.finditer(text)]
    if not found:
        return []
    more = f" ({len(found) - 1} more in this file)" if len(found) > 1 else ""
    message = (
        "a byte order mark (U+FEFF) starts this line: only the start of a file may hold one "
        "(libyaml skips it, Grid's loader reads it into the key that follows); delete it"
    )
    return [(0, Problem(*textpos.position(text, found[0]), message + more))]


def _compose_all(
    text: str,
) -> tuple[list[YamlDocument], list[tuple[int, Problem]], int, list[Position]]:
    """Every document of `text` (no BOM), every problem, and how many documents are not empty.

    U+2028, U+2029 and U+0085 are reported and read as spaces (see textpos), so the rest of the
    file is still checked and every position is the one an editor shows."""
    odd: list[tuple[int, Problem]] = []
    if "\ufeff" in text:
        odd = _late_bom_problems(text)
    if textpos.has_odd_breaks(text):
        odd += _odd_break_problems(text)
        text = textpos.without_odd_breaks(text)
    documents, problems, count, empty = _compose(text)
    return documents, odd + problems, count + (1 if odd and not count else 0), empty


_NO_PATHS: dict[object, None] = {}  # see _Loader.descend_resolver


class _Loader(CParser):
    """libyaml's parser and composer (yaml.CSafeLoader without its constructor and resolver,
    which composing never uses), with tags resolved here.

    CSafeLoader runs PyYAML's YAML 1.1 resolver (regular expressions in Python) on every scalar,
    which takes longer than libyaml's parsing; the values built from the nodes are the same.
    """

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        """A mapping's, a sequence's or a quoted scalar's tag; for an untagged plain scalar, a
        string's unless _resolve_plain reads it as null, a boolean or a number (see _NUMBER_11),
        it is the merge key `<<`, or YAML 1.1 reads it as something else (_STR_11). Called for
        every scalar: one call, no helper."""
        if kind is not ScalarNode:
            return _MAP if kind is MappingNode else _SEQ
        if not implicit[0] or value is None:
            return _STR
        tag = _WORD_TAGS.get(value)
        if tag is not None:
            return tag
        if value[0] in _NUMBER_START:
            if _NUMBER_11.fullmatch(value):
                return _NUMBER if _NUMBER_12.fullmatch(value) else _STR_11
            if _TIMESTAMP_11.fullmatch(value):
                return _STR_11
        return _STR

    # gridsync has no path resolvers: the composer's two calls per node around `resolve` need no
    # bookkeeping, and C callables that ignore their arguments spare it two Python frames a node
    # (6% of composing a fleet's run configs, callgrind): `_NO_PATHS.get(parent, index)` looks up
    # the parent node (hashable) and returns `index`, `tuple()` returns ().
    descend_resolver = _NO_PATHS.get
    ascend_resolver = tuple


def _compose(
    text: str,
) -> tuple[list[YamlDocument], list[tuple[int, Problem]], int, list[Position]]:
    loader = _Loader(text)
    builder = _NulRefusingBuilder if _NUL_ESCAPE.search(text) else _Builder
    documents: list[YamlDocument] = []
    empty: list[Position] = []
    lines: list[str] | None = None  # split once, at the first empty document
    problems: list[tuple[int, Problem]] = []
    count = 0
    try:
        while loader.check_node():
            count += 1
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                break
            document, found = _document(node, count, builder)
            problems.extend((count, problem) for problem in found)
            if document is not None:
                documents.append(document)
            elif not found:
                lines = text.splitlines() if lines is None else lines
                empty.append(_empty_start(lines, node))
    except yaml.YAMLError as exc:
        problems.append((0, _syntax_problem(exc, text)))
    finally:
        loader.dispose()
    non_empty = {d.number for d in documents} | {index for index, _ in problems if index}
    return documents, problems, len(non_empty), empty


def _empty_start(lines: list[str], node: Node) -> Position:
    """Where the `---` of an empty document is: libyaml puts its null node where the next token
    starts (the next document's `---`, or the end of the stream). `lines`: the text's, split
    once per file (a file of 50,000 `---` split them once each, and took a minute)."""
    line, col = node.start_mark.line, node.start_mark.column
    if col == 0 and line < len(lines) and _DASHES.match(lines[line]):
        line -= 1  # the node sits on the next document's `---`
    for number in range(min(line, len(lines) - 1), -1, -1):
        if _DASHES.match(lines[number]):
            return number + 1, 1
    return _pos(node)


def _syntax_problem(exc: yaml.YAMLError, text: str) -> Problem:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        line, col = exc.problem_mark.line, exc.problem_mark.column
        message = " ".join(filter(None, [exc.problem, f"({exc.context})" if exc.context else ""]))
        lines = text.splitlines()
        indent = (
            lines[line][: len(lines[line]) - len(lines[line].lstrip())] if line < len(lines) else ""
        )
        if "\t" in indent or "tab" in (exc.problem or ""):
            message = "tabs are not allowed for indentation; use spaces"
        return Problem(line + 1, col + 1, f"YAML syntax error: {message}")
    if isinstance(exc, yaml.reader.ReaderError):  # libyaml gives a byte offset here
        offset = textpos.char_offset(text, exc.position)
        message = f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason})"
        return Problem(*textpos.position(text, offset), message)
    return Problem(1, 1, f"YAML error: {exc}")


def _pos(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _document(
    node: Node, index: int, kind: type[_Builder]
) -> tuple[YamlDocument | None, list[Problem]]:
    if isinstance(node, ScalarNode) and node.tag == _NULL and node.value == "":
        return None, []  # only comments, or nothing, between the separators
    builder = kind(_pos(node))
    try:
        value = builder.build(node, ())
    except _Oversized as exc:
        return None, [exc.problem]
    values, keys = NodeTree(node).positions()
    document = YamlDocument(
        index,
        value,
        _pos(node),
        values,
        keys,
        frozenset(builder.unbuilt),
        frozenset(builder.non_finite),
        frozenset(builder.whole_floats),
        frozenset(builder.yaml11),
        frozenset(builder.yaml11_keys),
    )
    return document, builder.problems


class _Oversized(Exception):
    """The document reaches past MAX_NODES or MAX_DEPTH: building stops at once."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Builder:
    """Builds plain values from a node tree, recording problems (positions: see nodepos).

    Construction reaches an alias's nodes again each time, so every node reached (keys and merge
    sources included) counts against MAX_NODES, and nesting against MAX_DEPTH: an alias bomb or a
    recursive alias stops after at most MAX_NODES steps, with bounded memory.
    """

    def __init__(self, root: Position) -> None:
        self.problems: list[Problem] = []
        self.unbuilt: set[YamlPath] = set()
        self.non_finite: set[YamlPath] = set()
        self.whole_floats: set[YamlPath] = set()
        self.yaml11: set[YamlPath] = set()
        self.yaml11_keys: set[YamlPath] = set()
        self.root = root
        self.budget = MAX_NODES

    def _spend(self, nodes: int, node: Node, depth: int) -> None:
        self.budget -= nodes
        if self.budget < 0:
            message = f"document expands to more than {MAX_NODES} nodes (YAML alias bomb?)"
            raise _Oversized(Problem(*self.root, message))
        if depth > MAX_DEPTH:
            raise _Oversized(Problem(*_pos(node), f"nesting deeper than {MAX_DEPTH} levels"))

    def build(self, node: Node, path: YamlPath) -> Any:
        self.budget -= 1
        if self.budget < 0 or len(path) > MAX_DEPTH:
            self._spend(0, node, len(path))
        if type(node) is ScalarNode:
            return node.value if node.tag == _STR else self._scalar(node, path)
        if type(node) is MappingNode:
            return self._mapping(node, path) if self._tag_ok(node, _MAP, path) else None
        if type(node) is SequenceNode:
            return self._sequence(node, path) if self._tag_ok(node, _SEQ, path) else None
        return None  # pragma: no cover - composed nodes are scalars, sequences or mappings

    def _child(self, node: Node, path: YamlPath, part: str | int) -> Any:
        """build(node, (*path, part)), a string without a call or a new path: the hot loop of
        reading a project (most values are strings)."""
        if type(node) is ScalarNode and node.tag == _STR:
            self.budget -= 1
            if self.budget < 0 or len(path) >= MAX_DEPTH:
                self._spend(0, node, len(path) + 1)
            return node.value
        return self.build(node, (*path, part))

    def _sequence(self, node: SequenceNode, path: YamlPath) -> list[Any]:
        child = self._child
        return [child(item, path, i) for i, item in enumerate(node.value)]

    def _tag_ok(self, node: Node, expected: str, path: YamlPath) -> bool:
        if node.tag == expected:
            return True
        self.problems.append(Problem(*_pos(node), f"unsupported YAML tag {node.tag!r}", path))
        self.unbuilt.add(path)
        return False

    def _scalar(self, node: ScalarNode, path: YamlPath) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag == _STR_11:
            self.yaml11.add(path)
            return node.value
        if not node.style and node.tag in _PLAIN_TAGS:  # plain: style is "" (libyaml) or None
            value, error = _resolve_plain(node.value)
            if error:  # reported here, not built: nothing else reports on it
                self.problems.append(Problem(*_pos(node), error, path))
                self.unbuilt.add(path)
            elif type(value) is float:
                if not math.isfinite(value):
                    self.non_finite.add(path)
                elif value.is_integer():
                    self.whole_floats.add(path)
            return value
        self.problems.append(Problem(*_pos(node), f"unsupported YAML tag {node.tag!r}", path))
        self.unbuilt.add(path)
        return None

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[tuple[Node, Node]] = []
        self._spend(len(node.value), node, len(path))  # the keys
        child = self._child
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, path, len(path) + 1))
                continue
            tag = key_node.tag
            if tag != _STR and tag not in _KEY_TAGS:
                self._key_tag(key_node, path)
            key = key_node.value if type(key_node) is ScalarNode else self._key(key_node, path)
            if key is None:
                continue
            if tag != _STR and tag in _TYPED_KEY_TAGS:
                self.yaml11_keys.add((*path, key))
            if key in result:
                self._duplicate(node, key_node, key, path)
                continue
            result[key] = child(value_node, path, key)
        for key_node, value_node in merged:  # `<<: *defaults`: explicit keys win, first source wins
            key = self._key(key_node, path)
            if key is not None and key not in result:
                result[key] = self.build(value_node, (*path, key))
        return result

    def _duplicate(self, node: MappingNode, key_node: Node, key: str, path: YamlPath) -> None:
        first = next(
            k for k, _ in node.value if type(k) is ScalarNode and k.tag != _MERGE and k.value == key
        )
        message = f"duplicate key '{key}' (first written at line {_pos(first)[0]})"
        self.problems.append(Problem(*_pos(key_node), message, (*path, key)))

    def _key_tag(self, node: Node, path: YamlPath) -> None:
        """A key under an unsupported tag (`!custom region:`, `!!binary name:`): reported, as a
        value's is (Grid's safe loader refuses the file), and read as its text, so that the rest
        of the mapping is checked as written."""
        message = f"unsupported YAML tag {node.tag!r} on a key"
        self.problems.append(Problem(*_pos(node), message, path))

    def _key(self, node: Node, path: YamlPath) -> str | None:
        if isinstance(node, ScalarNode):
            return str(node.value)
        self.problems.append(Problem(*_pos(node), "mapping keys must be plain strings", path))
        return None

    def _merge_sources(self, node: Node, path: YamlPath, depth: int) -> list[tuple[Node, Node]]:
        sources = node.value if isinstance(node, SequenceNode) else [node]
        pairs: list[tuple[Node, Node]] = []
        for source in sources:
            if not isinstance(source, MappingNode):
                message = "a '<<' merge takes a mapping or a list of mappings"
                self.problems.append(Problem(*_pos(source), message, path))
                continue
            self._spend(1 + len(source.value), source, depth)
            for key_node, value_node in source.value:
                if key_node.tag == _MERGE:
                    pairs.extend(self._merge_sources(value_node, path, depth + 1))
                else:
                    pairs.append((key_node, value_node))
        return pairs


class _NulRefusingBuilder(_Builder):
    """The builder of a file whose text holds an escape that can make U+0000 (`"\\0"`,
    `"\\x00"`, `"\\u0000"`): a string with it is reported and read as null. No name, path or value
    gridsync, Grid or the file system takes can hold it, and a path with it made every check of
    the path raise (ValueError: embedded null byte). Only such files pay for the check."""

    _NUL = (
        "the string holds U+0000 (written as an escape such as \\0): no name, path or value "
        "can hold it; remove the escape"
    )

    def _child(self, node: Node, path: YamlPath, part: str | int) -> Any:
        if type(node) is ScalarNode and "\0" in node.value:
            return self._refused(node, (*path, part))
        return super()._child(node, path, part)

    def build(self, node: Node, path: YamlPath) -> Any:
        if type(node) is ScalarNode and "\0" in node.value:
            return self._refused(node, path)
        return super().build(node, path)

    def _refused(self, node: Node, path: YamlPath) -> None:
        self._spend(1, node, len(path))
        self.problems.append(Problem(*_pos(node), self._NUL, path))
        self.unbuilt.add(path)
        return None


def _resolve_plain(text: str) -> tuple[Any, str]:
    """YAML 1.2 core schema for plain scalars: (value, error message or "")."""
    if text in _NULLS:
        return None, ""
    if text in _BOOLS:
        return _BOOLS[text], ""
    try:
        if _INT.fullmatch(text):
            number = int(text)
            if _LEADING_ZERO.fullmatch(text) and int(text, 8) != number:
                return None, (
                    f"number {text} has a leading zero: YAML 1.1 (the grid CLI, PyYAML) reads "
                    f"it as the octal {int(text, 8)}, YAML 1.2 (gridsync) as {number}; write "
                    f"{number} without the zero, or quote it for a string"
                )
            return number, ""
        if _OCT.fullmatch(text) or _HEX.fullmatch(text):
            return int(text, 0), ""
    except ValueError:
        return None, f"number {text[:20]}... is too large"
    if _FLOAT.fullmatch(text) and any(c.isdigit() for c in text):
        return float(text), ""
    if _INF.fullmatch(text):
        return float("-inf" if text.startswith("-") else "inf"), ""
    if _NAN.fullmatch(text):
        return float("nan"), ""
    return text, ""
