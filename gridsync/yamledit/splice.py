"""Deciding and rendering the one splice that sets a scalar, for gridsync.yamledit.

Package-internal: only gridsync.yamledit imports this. Given a parsed source and the end of
a walk (gridsync.yamledit.walk), ``plan_splice`` returns ``(start, end, text)``: replace
``body[start:end]`` by ``text``. It replaces the value's own token (keeping its quoting style), fills
a null or empty value, or inserts the missing keys into a flow or block mapping, following the rules
in the yamledit docstring. Scalars are rendered plain only when YAML 1.1 and 1.2 both read them back
as the same string.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.tokens import (
    BlockEndToken,
    BlockMappingStartToken,
    BlockSequenceStartToken,
    FlowEntryToken,
    FlowMappingEndToken,
    FlowMappingStartToken,
    ScalarToken,
)

from gridsync.yamledit.source import (
    BREAK,
    EditError,
    Source,
    Written,
    line_start,
    load_as_grid,
    may_differ,
    pos,
    where,
)
from gridsync.yamledit.walk import STR, Pair, Slot, Walk, dotted, not_scalar, value_slot

_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")
# Plain scalars that YAML 1.2 (core schema) or YAML 1.1 (y/n) reads as something else than a string;
# PyYAML's own YAML 1.1 resolver catches the rest (yes/on/0x1f/1_000/2022-01-01, ...).
_NOT_A_STRING = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|(?:true|True|TRUE|false|False|FALSE)"
    r"|(?:null|Null|NULL|~)|[yYnN]"
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\0": "\\0", "\a": "\\a", "\b": "\\b", "\t": "\\t"}
_ESCAPES |= {"\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r", "\x1b": "\\e"}

_Splice = tuple[int, int, str]  # replace body[start:end] with the string
_RESOLVER = yaml.resolver.Resolver()  # PyYAML's YAML 1.1 implicit tags, as Grid's loader reads
# What a load's values (YAML 1.2, nodes only) do not show but Grid's constructor refuses or reads
# otherwise: a merge key, a lone `=` (PyYAML's value tag has no constructor), a date (an invalid
# one fails to construct). A text holding one takes the full way (parse, walk, check).
_LONE_EQUALS = re.compile(r"(?:^|(?<=[\s\[{,]))=(?=[\s,\]}:]|$)", re.MULTILINE)
# Four digits, a dash, a digit; written from the dash, a literal the regex engine finds by a fast
# scan, and only there looks behind (a class first is tried at every position: 3 us a run config).
_DATE = re.compile("-(?<=[0-9]{4}-)[0-9]")
_NO_BLANK = re.compile(r"\S+")  # a plain scalar's value without a blank is one line as written
_PLAIN_END = frozenset(" \r\n,]}")  # what can follow a plain scalar's last character


def splice_at(text: str, key: str, at: Written, value: str) -> str | None:
    """`text` with the scalar that a load read at `at` set to `value`, by one splice at its place,
    without parsing the file again; None when the file or the scalar is one this way cannot be
    sure of (the caller then parses, walks and checks the whole edit).

    Sure means: the file holds none of PARSERS_MAY_DIFFER (so no anchor, alias, tag, block scalar,
    escape or tab: the node is the file's only use of those characters and Grid's loader reads what
    libyaml read) nor what _unsure looks for; the characters at `at` are exactly the single-line token of
    `at.value` (plain, or quoted without escapes), right after `key:` on its line. Replacing one
    such token by another single-line scalar leaves every other token as it was, so the file then
    loads as before with only that value changed; the new token is checked to read back as `value`
    in YAML 1.1 and 1.2 (else EditError, never a wrong file)."""
    body = text.removeprefix("\ufeff")
    if may_differ(body) or _unsure(body):
        return None
    found = _written_token(body, key, at)
    if found is None:
        return None
    start, end, style = found
    if at.value == value and (style or _plain_str(value)):
        return text  # already that string
    token = _render(value, style)
    if not _reads_back(token, value):
        raise EditError(
            "internal error: the edit would change more than the value; please report this"
        )
    return text[: len(text) - len(body)] + body[:start] + token + body[end:]


def _written_token(body: str, key: str, at: Written) -> tuple[int, int, str] | None:
    """(start, end, style) of the token of `at.value` at `at`, if it is exactly there."""
    line = line_start(body, at.line)
    if line is None:
        return None
    start = line + at.col - 1
    head = body[line:start]
    if (
        "\n" in head
        or not head.rstrip().endswith(":")
        or head.rstrip()[:-1].rstrip().lstrip("{, ") != key
    ):
        return None
    old = at.value
    style = body[start : start + 1]
    if style == "'":
        token = "'" + old.replace("'", "''") + "'"
    elif style == '"' and '"' not in old:
        token = '"' + old + '"'
    elif style not in ("'", '"') and _NO_BLANK.fullmatch(old):
        token, style = old, ""
    else:
        return None
    end = start + len(token)
    if BREAK.search(token) or not body.startswith(token, start):
        return None
    after = body[end : end + 1]
    if (style == "'" and after == "'") or (not style and after and after not in _PLAIN_END):
        return None
    return start, end, style


def _unsure(body: str) -> bool:
    """Whether the text may hold a merge key, a lone `=` or a date (see the comment above _LONE_EQUALS)."""
    if "<<" in body or ("=" in body and _LONE_EQUALS.search(body)):
        return True
    return _DATE.search(body) is not None


@lru_cache(maxsize=4096)
def _reads_back(token: str, value: str) -> bool:
    """Whether the scalar token reads as the string `value` in YAML 1.1 (Grid) and 1.2."""
    if token[:1] not in ("'", '"'):
        return token == value and _plain_ok(token)
    loaded = load_as_grid(token, "internal error")
    return isinstance(loaded, str) and loaded == value


def plan_splice(src: Source, walk: Walk, path: tuple[str, ...], value: str) -> _Splice | None:
    if walk.pair is not None and walk.found == len(path):
        return _replace(src, walk.pair, path, value)
    rest = path[walk.found :]
    if walk.pair is not None and walk.mapping is None:
        return _fill_null(src, walk.pair, path[: walk.found], rest, value)
    if walk.mapping is None:  # pragma: no cover - walk_path sets a mapping or a pair
        raise AssertionError("a walk ends at a mapping or at a null")
    if walk.mapping.flow_style:
        return _flow_insert(src, walk.mapping, rest, value)
    return _block_insert(src, walk.mapping, rest, value)


def _replace(src: Source, pair: Pair, path: tuple[str, ...], value: str) -> _Splice | None:
    node = pair.value
    if not isinstance(node, ScalarNode):
        raise not_scalar(pair, path)
    if node.style in ("|", ">"):
        message = f"{dotted(path)} is a block scalar ('{node.style}'); write it as a single-line value first"
        raise EditError(message, *where(node.start_mark))
    token = _own_scalar(src, pair)
    if token is not None and token.start_mark.line != token.end_mark.line:
        message = f"{dotted(path)} is written over several lines; write it on one line first"
        raise EditError(message, *where(token.start_mark))
    slot = value_slot(src, pair)
    if slot.tag and node.tag != STR:
        raise _tagged(slot, path, pair)
    if node.tag == STR and node.value == value:
        return None
    if token is not None:
        return (
            src.offset(token.start_mark),
            src.offset(token.end_mark),
            _render(value, node.style or ""),
        )
    return _after_colon(src, pair, _render(value, ""))


def _after_colon(src: Source, pair: Pair, text: str) -> _Splice:
    """Fill an empty value: ' text' after the ':' (and any anchor or tag); adds the ':' if missing."""
    slot = value_slot(src, pair)
    at = src.offset(slot.before)
    return at, at, f" {text}" if slot.colon else f": {text}"


def _own_scalar(src: Source, pair: Pair) -> ScalarToken | None:
    """The scalar token written for the pair's value, None when the value is empty."""
    token = src.tokens[value_slot(src, pair).token]
    if isinstance(token, ScalarToken) and pos(token.end_mark) == pos(pair.value.end_mark):
        return token
    return None


def _tagged(slot: Slot, path: tuple[str, ...], pair: Pair) -> EditError:
    message = f"{dotted(path)} carries the tag {slot.tag}, which does not fit the new value; remove the tag first"
    return EditError(message, *where(pair.value.start_mark))


def _fill_null(
    src: Source, pair: Pair, path: tuple[str, ...], rest: tuple[str, ...], value: str
) -> _Splice:
    slot, token = value_slot(src, pair), _own_scalar(src, pair)
    if slot.tag:
        raise _tagged(slot, path, pair)
    flow = "{" + _flow_entry(rest, value) + "}"
    if token is not None:  # `~` or `null`: the token becomes a flow mapping
        return src.offset(token.start_mark), src.offset(token.end_mark), flow
    if pair.parent.flow_style or not slot.colon:
        return _after_colon(src, pair, flow)
    found = BREAK.search(src.body, src.offset(slot.before))
    at = found.start() if found else len(src.body)
    step = _indent_step(src)
    lines = _block_lines(rest, value, int(pair.key.start_mark.column) + step, step)
    return at, at, "".join(src.newline() + line for line in lines)


def _flow_insert(src: Source, mapping: MappingNode, rest: tuple[str, ...], value: str) -> _Splice:
    end = pos(mapping.end_mark)
    close = next(
        i
        for i, t in enumerate(src.tokens)
        if isinstance(t, FlowMappingEndToken) and pos(t.end_mark) == end
    )
    last = close - 1
    while isinstance(src.tokens[last], FlowEntryToken):
        last -= 1
    at = src.offset(src.tokens[last].end_mark)
    sep = "" if isinstance(src.tokens[last], FlowMappingStartToken) else ", "
    return at, at, sep + _flow_entry(rest, value)


def _block_insert(src: Source, mapping: MappingNode, rest: tuple[str, ...], value: str) -> _Splice:
    indent = int(mapping.value[0][0].start_mark.column)
    line = _after_block(src, mapping)
    line = _absorb_comments(src, line, indent)
    nl = src.newline()
    lines = "".join(text + nl for text in _block_lines(rest, value, indent, _indent_step(src)))
    if line < len(src.starts):
        return src.starts[line], src.starts[line], lines
    return len(src.body), len(src.body), nl + lines  # the last line has no line break yet


def _after_block(src: Source, mapping: MappingNode) -> int:
    """The first line after the last token of a block mapping."""
    start = pos(mapping.start_mark)
    first = next(
        i
        for i, t in enumerate(src.tokens)
        if isinstance(t, BlockMappingStartToken) and pos(t.start_mark) >= start
    )
    depth, index = 0, first
    for index in range(first, len(src.tokens)):
        token = src.tokens[index]
        depth += isinstance(token, BlockMappingStartToken | BlockSequenceStartToken)
        depth -= isinstance(token, BlockEndToken)
        if depth == 0:
            break
    last = index - 1
    while isinstance(src.tokens[last], BlockEndToken):
        last -= 1
    end = src.tokens[last].end_mark  # a block scalar (|, >) ends at column 0, past its last break
    return int(end.line) if end.column == 0 else int(end.line) + 1


def _absorb_comments(src: Source, line: int, indent: int) -> int:
    """Skip blank lines and comments indented at least `indent` that end the mapping."""
    after = line
    for number in range(line, len(src.starts)):
        text = src.line_text(number)
        stripped = text.lstrip(" \t")
        if not stripped:
            continue
        if not stripped.startswith("#") or len(text) - len(stripped) < indent:
            break
        after = number + 1
    return after


def _indent_step(src: Source) -> int:
    """The file's indentation step: the first nested block mapping's offset from its key, else 2."""
    seen: set[int] = set()
    stack: list[Node] = [src.root] if src.root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen or not isinstance(node, MappingNode | SequenceNode):
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
            continue
        for key, value in node.value:
            if (
                isinstance(value, MappingNode)
                and not value.flow_style
                and value.value
                and id(value) not in seen
            ):
                step = int(value.value[0][0].start_mark.column) - int(key.start_mark.column)
                if step > 0 and not node.flow_style:
                    return step
        stack.extend(reversed([value for _, value in node.value]))
    return 2


def _block_lines(rest: tuple[str, ...], value: str, indent: int, step: int) -> list[str]:
    lines = [" " * (indent + i * step) + _render(key, "") + ":" for i, key in enumerate(rest[:-1])]
    last = " " * (indent + (len(rest) - 1) * step)
    return [*lines, f"{last}{_render(rest[-1], '')}: {_render(value, '')}"]


def _flow_entry(rest: tuple[str, ...], value: str) -> str:
    text = _render(value, "")
    for key in reversed(rest[1:]):
        text = "{" + f"{_render(key, '')}: {text}" + "}"
    return f"{_render(rest[0], '')}: {text}"


# ---------------------------------------------------------------------------- scalars and checks


def _render(value: str, style: str) -> str:
    """`value` as a one-line YAML scalar: plain if that reads back as the same string, else quoted."""
    if style == "" and _plain_ok(value):
        return value
    if style != '"' and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    return '"' + "".join(_escape(c) for c in value) + '"'


@lru_cache(maxsize=4096)  # a plan sets the same few cluster ids in many files
def _plain_ok(value: str) -> bool:
    if not _PLAIN_SAFE.fullmatch(value) or _NOT_A_STRING.fullmatch(value):
        return False
    return _plain_str(value)  # for these characters, loading it alone gives `value` exactly then


@lru_cache(maxsize=4096)
def _plain_str(value: str) -> bool:
    """Whether PyYAML's YAML 1.1 resolvers (Grid's loader) tag this plain scalar a string."""
    tag = _RESOLVER.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return bool(tag == STR)


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
