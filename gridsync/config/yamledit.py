"""Byte-preserving edits of one scalar in a YAML file (a Grid run config's compute.provider.cluster).

libyaml (``yaml.CSafeLoader``) composes the node tree and scans the token stream; every edit is a
single splice of the text at offsets taken from those marks, so every other character (comments,
anchors, flow style, quoting, tabs, CRLF line endings, a leading BOM) stays exactly as it was.

Positions: libyaml counts ``mark.column`` in characters (Unicode code points, ``é`` and ``😀`` are one
each); ``mark.index`` is also in code points but does not count a leading BOM, while
``ReaderError.position`` is a UTF-8 *byte* offset. To depend on none of that, offsets are computed
from ``(line, column)`` alone, with lines split exactly as libyaml splits them (CRLF, CR, LF, NEL,
U+2028, U+2029), on the text after the BOM.

Rules (see the tests for each case):
- An existing scalar keeps its style: plain stays plain when the new value reads back as the same
  string in both YAML 1.1 (PyYAML, what Grid uses) and YAML 1.2, else it is single-quoted; quoted
  values keep their quotes (double quotes when single quotes cannot hold the value). Anchors, tags
  and a trailing comment on the line are kept, because only the scalar's own token is replaced.
- Missing keys go at the end of the deepest existing mapping. Block mapping: at the indentation of
  its keys (new nested levels use the file's indentation step, default 2), with the file's newline,
  on the line after the mapping's last entry and after any comment lines that directly follow it
  (blank lines in between allowed) indented at least as deep as the mapping's keys; the first
  comment indented less, or the first content line, ends the mapping. Flow mapping: a ``k: v``
  entry before the closing brace (``{}`` -> ``{k: v}``, ``{a: 1}`` -> ``{a: 1, k: v}``).
- A null parent: ``provider: ~`` / ``provider: null`` -> ``provider: {cluster: x}`` (the token is
  replaced in place); ``provider:`` with nothing -> a nested block mapping on the next line (in a
  flow mapping: `` {cluster: x}`` after the colon).
- Refused with EditError (1-based line and col): invalid YAML, several documents, a document that
  is not a mapping (empty or comments only included), duplicate keys on the path, a parent that is
  not a mapping, a key that exists only through a merge key (``<<``), an alias on the path, a node
  on the path that an alias or merge elsewhere reuses (editing it would change that place too), a
  value that is a collection, a block scalar or a multi-line scalar.
- Grid reads run configs with ``yaml.safe_load`` (pure Python, stricter than libyaml in places: a
  tab before a comment, for one), so a file that it cannot load is refused too, and every edit is
  checked before it is returned: the new text must ``yaml.safe_load`` to exactly the old document
  with only the path set (else EditError "internal error", never a wrong file).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.tokens import (
    AliasToken,
    AnchorToken,
    BlockEndToken,
    BlockMappingStartToken,
    BlockSequenceStartToken,
    DocumentStartToken,
    FlowEntryToken,
    FlowMappingEndToken,
    FlowMappingStartToken,
    ScalarToken,
    TagToken,
    Token,
    ValueToken,
)

from gridsync.errors import GridsyncError

_Pos = tuple[int, int]  # 0-based (line, column) as libyaml counts them

_BOM = "\ufeff"
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_BREAK_CHARS = "\r\n\x85\u2028\u2029"
_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _MERGE = _TAG + "str", _TAG + "null", _TAG + "merge"
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


class EditError(GridsyncError):
    """A YAML file cannot be edited safely; `line` and `col` (1-based) point at the problem."""

    def __init__(self, message: str, line: int = 1, col: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


def set_scalar(text: str, path: tuple[str, ...], value: str) -> str:
    """`text` with the scalar at mapping path `path` (e.g. ("compute", "provider", "cluster")) set to
    `value`; every other character unchanged. Missing mappings along the path, and the key itself, are
    inserted. Returns `text` unchanged when the value is already equal (as a string)."""
    if not path:
        raise ValueError("path must name at least one key")
    src = _parse(text)
    root = _root_mapping(src)
    original = _load(
        text, "Grid reads run configs with a safe YAML loader, which cannot read this file"
    )
    walk = _walk(src, root, path, editing=True)
    splice = _plan(src, walk, path, value)
    if splice is None:
        return text
    start, end, insert = splice
    new_text = src.bom + src.body[:start] + insert + src.body[end:]
    _verify(new_text, _expected(original, path, value))
    return new_text


def get_scalar(text: str, path: tuple[str, ...]) -> tuple[str | None, int, int]:
    """The string value at `path` (None when absent) and its 1-based line and column (of the value when
    present; of the deepest existing mapping's key, or 1,1, when absent)."""
    src = _parse(text)
    if src.root is None or _is_empty(src.root) or not path:
        return None, 1, 1
    walk = _walk(src, _root_mapping(src), path, editing=False)
    pair = walk.pair
    if pair is None:
        return None, 1, 1
    if walk.found < len(path) or _is_null(pair.value):
        return None, *_where(pair.key.start_mark)
    if not isinstance(pair.value, ScalarNode):
        raise _not_scalar(pair, path)
    token = src.tokens[_slot(src, pair).index]
    at = token.start_mark if isinstance(token, ScalarToken | AliasToken) else pair.value.start_mark
    return str(pair.value.value), *_where(at)


# ---------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Source:
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
        found = _BREAK.search(self.body)
        return found.group() if found else "\n"


def _parse(text: str) -> _Source:
    bom = _BOM if text.startswith(_BOM) else ""
    body = text[len(bom) :]
    starts = (0, *(m.end() for m in _BREAK.finditer(body)))
    try:
        tokens = tuple(yaml.scan(body, Loader=yaml.CSafeLoader))
        root = _compose_single(body, tokens)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, body) from exc
    return _Source(bom, body, root, tokens, starts)


def _compose_single(body: str, tokens: tuple[Token, ...]) -> Node | None:
    loader = yaml.CSafeLoader(body)
    try:
        if not loader.check_node():
            return None
        root = loader.get_node()
        if root is not None and loader.check_node():
            after = _pos(root.end_mark)
            marks = (t.start_mark for t in tokens if isinstance(t, DocumentStartToken))
            mark = next((m for m in marks if _pos(m) >= after), root.end_mark)  # the next '---'
            message = "the file holds several YAML documents; a run config has exactly one: move the others to files of their own"
            raise EditError(message, *_where(mark))
        return root
    finally:
        loader.dispose()


def _syntax_error(exc: yaml.YAMLError, body: str) -> EditError:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        detail = " ".join(filter(None, [exc.problem, f"({exc.context})" if exc.context else ""]))
        return EditError(
            f"not valid YAML: {detail}; fix the syntax first", *_where(exc.problem_mark)
        )
    if isinstance(exc, yaml.reader.ReaderError):  # libyaml reports a UTF-8 byte offset here
        before = body.encode("utf-8")[: exc.position].decode("utf-8", errors="ignore")
        line_start = max(before.rfind(c) for c in _BREAK_CHARS) + 1
        line = len(_BREAK.findall(before)) + 1
        message = f"not valid YAML: character U+{exc.character:04X} is not allowed ({exc.reason})"
        return EditError(message, line, len(before) - line_start + 1)
    return EditError(f"not valid YAML: {exc}")


def _load(text: str, why: str) -> Any:
    """yaml.safe_load, as Grid reads run configs: pure Python, stricter than libyaml in places."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
            raise EditError(f"{why}: {exc.problem}", *_where(exc.problem_mark)) from exc
        raise EditError(f"{why}: {exc}") from exc


def _root_mapping(src: _Source) -> MappingNode:
    root = src.root
    if root is None or _is_empty(root):
        message = "the file is empty or holds only comments; a run config is a mapping: add 'compute:' by hand"
        raise EditError(message)
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        raise EditError(
            f"the document is {kind}, not a mapping as a run config must be",
            *_where(root.start_mark),
        )
    return root


def _pos(mark: Any) -> _Pos:
    return int(mark.line), int(mark.column)


def _where(mark: Any) -> tuple[int, int]:
    return int(mark.line) + 1, int(mark.column) + 1


# ---------------------------------------------------------------------------- walking the path


@dataclass(frozen=True)
class _Pair:
    key: Node
    value: Node
    parent: MappingNode


@dataclass(frozen=True)
class _Walk:
    """path[:found] exists; `mapping` is the deepest mapping reached (None when `pair` holds a null)."""

    mapping: MappingNode | None
    found: int
    pair: _Pair | None


def _walk(src: _Source, root: MappingNode, path: tuple[str, ...], *, editing: bool) -> _Walk:
    shared = _shared_nodes(root) if editing else set()
    mapping, pair = root, None
    for depth, name in enumerate(path):
        found = _lookup(mapping, name, path[: depth + 1], editing=editing)
        if found is None:
            return _Walk(mapping, depth, pair)
        pair = found
        if editing:
            _check_own(src, pair, path[: depth + 1], shared)
        if depth + 1 == len(path):
            return _Walk(mapping, len(path), pair)
        if _is_null(pair.value):
            return _Walk(None, depth + 1, pair)
        if not isinstance(pair.value, MappingNode):
            kind = (
                "a list"
                if isinstance(pair.value, SequenceNode)
                else f"the value {pair.value.value!r}"
            )
            message = f"{_dotted(path[: depth + 1])} is {kind}, not a mapping; make it a mapping holding '{path[depth + 1]}'"
            raise EditError(message, *_where(pair.value.start_mark))
        mapping = pair.value
    raise AssertionError("unreachable: the loop returns")  # pragma: no cover


def _lookup(
    mapping: MappingNode, name: str, path: tuple[str, ...], *, editing: bool
) -> _Pair | None:
    matches = [(k, v) for k, v in mapping.value if _is_key(k, name)]
    if len(matches) > 1:
        first = matches[0][0].start_mark.line + 1
        message = f"duplicate key {_dotted(path)} (first at line {first}); remove one of them"
        raise EditError(message, *_where(matches[1][0].start_mark))
    if matches:
        return _Pair(matches[0][0], matches[0][1], mapping)
    merged = _merged(mapping, name)
    if merged is not None and editing:
        merge_key = next(k for k, _ in mapping.value if k.tag == _MERGE)
        message = f"{_dotted(path)} comes from a merge key ('<<'); the file must set '{name}' explicitly in this mapping"
        raise EditError(message, *_where(merge_key.start_mark))
    return merged


def _merged(mapping: MappingNode, name: str) -> _Pair | None:
    """The pair a `<<` merge provides for `name` (explicit keys win, the first source wins)."""
    for key, value in mapping.value:
        if key.tag != _MERGE:
            continue
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for source in sources:
            if not isinstance(source, MappingNode):
                continue
            found = next(((k, v) for k, v in source.value if _is_key(k, name)), None)
            if found is not None:
                return _Pair(found[0], found[1], source)
            deeper = _merged(source, name)
            if deeper is not None:
                return deeper
    return None


def _check_own(src: _Source, pair: _Pair, path: tuple[str, ...], shared: set[int]) -> None:
    """Refuse a value written elsewhere (an alias) or also used elsewhere (anchored and reused)."""
    token = src.tokens[_slot(src, pair).index]
    if isinstance(token, AliasToken):
        message = f"{_dotted(path)} is an alias (*{token.value}); editing it would change every place that uses the anchor: write the value here instead"
        raise EditError(message, *_where(token.start_mark))
    if id(pair.value) in shared:
        message = f"{_dotted(path)} is anchored and reused elsewhere by an alias or merge; editing it would change those places too: stop reusing it"
        raise EditError(message, *_where(pair.value.start_mark))


def _shared_nodes(root: Node) -> set[int]:
    """Ids of nodes reached more than once (through aliases or merges)."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        else:
            continue
        for child in children:
            if id(child) in seen:
                shared.add(id(child))
            else:
                seen.add(id(child))
                stack.append(child)
    return shared


@dataclass(frozen=True)
class _Slot:
    """Where a pair's value is written: its first token after ':' and any anchor or tag."""

    index: int  # that token's index in the token stream
    before: Any  # end mark of what precedes it (the ':' or the last anchor/tag)
    colon: bool  # False for a flow entry written without ':' (`{cluster}`)
    tag: str  # the explicit tag, "" when none


def _slot(src: _Source, pair: _Pair) -> _Slot:
    end = _pos(pair.key.end_mark)
    tokens = src.tokens
    index = next(
        i for i, t in enumerate(tokens) if isinstance(t, ScalarToken) and _pos(t.end_mark) == end
    )
    colon = isinstance(tokens[index + 1], ValueToken)
    index += 1 if colon else 0
    tag = ""
    while colon and isinstance(tokens[index + 1], AnchorToken | TagToken):
        index += 1
        token = tokens[index]
        tag = "".join(token.value) if isinstance(token, TagToken) else tag
    return _Slot(index + 1, tokens[index].end_mark, colon, tag)


def _own_scalar(src: _Source, pair: _Pair) -> ScalarToken | None:
    """The scalar token written for the pair's value, None when the value is empty."""
    token = src.tokens[_slot(src, pair).index]
    if isinstance(token, ScalarToken) and _pos(token.end_mark) == _pos(pair.value.end_mark):
        return token
    return None


def _tagged(slot: _Slot, path: tuple[str, ...], pair: _Pair) -> EditError:
    message = f"{_dotted(path)} carries the tag {slot.tag}, which does not fit the new value; remove the tag first"
    return EditError(message, *_where(pair.value.start_mark))


def _is_key(node: Node, name: str) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _STR and node.value == name


def _is_empty(node: Node) -> bool:
    """An empty document: nothing, comments only, or a bare '---'."""
    return (
        isinstance(node, ScalarNode) and node.tag == _NULL and node.value == "" and not node.style
    )


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _not_scalar(pair: _Pair, path: tuple[str, ...]) -> EditError:
    kind = "a list" if isinstance(pair.value, SequenceNode) else "a mapping"
    message = f"{_dotted(path)} is {kind}, not a single value; replace it by hand with the value"
    return EditError(message, *_where(pair.value.start_mark))


# ---------------------------------------------------------------------------- planning the splice

_Splice = tuple[int, int, str]  # replace body[start:end] with the string


def _plan(src: _Source, walk: _Walk, path: tuple[str, ...], value: str) -> _Splice | None:
    if walk.pair is not None and walk.found == len(path):
        return _replace(src, walk.pair, path, value)
    rest = path[walk.found :]
    if walk.pair is not None and walk.mapping is None:
        return _fill_null(src, walk.pair, path[: walk.found], rest, value)
    if walk.mapping is None:  # pragma: no cover - _walk sets a mapping or a pair
        raise AssertionError("a walk ends at a mapping or at a null")
    if walk.mapping.flow_style:
        return _flow_insert(src, walk.mapping, rest, value)
    return _block_insert(src, walk.mapping, rest, value)


def _replace(src: _Source, pair: _Pair, path: tuple[str, ...], value: str) -> _Splice | None:
    node = pair.value
    if not isinstance(node, ScalarNode):
        raise _not_scalar(pair, path)
    if node.style in ("|", ">"):
        message = f"{_dotted(path)} is a block scalar ('{node.style}'); write it as a single-line value first"
        raise EditError(message, *_where(node.start_mark))
    token = _own_scalar(src, pair)
    if token is not None and token.start_mark.line != token.end_mark.line:
        message = f"{_dotted(path)} is written over several lines; write it on one line first"
        raise EditError(message, *_where(token.start_mark))
    slot = _slot(src, pair)
    if slot.tag and node.tag != _STR:
        raise _tagged(slot, path, pair)
    if node.tag == _STR and node.value == value:
        return None
    if token is not None:
        return (
            src.offset(token.start_mark),
            src.offset(token.end_mark),
            _render(value, node.style or ""),
        )
    return _after_colon(src, pair, _render(value, ""))


def _after_colon(src: _Source, pair: _Pair, text: str) -> _Splice:
    """Fill an empty value: ' text' after the ':' (and any anchor or tag); adds the ':' if missing."""
    slot = _slot(src, pair)
    at = src.offset(slot.before)
    return at, at, f" {text}" if slot.colon else f": {text}"


def _fill_null(
    src: _Source, pair: _Pair, path: tuple[str, ...], rest: tuple[str, ...], value: str
) -> _Splice:
    slot, token = _slot(src, pair), _own_scalar(src, pair)
    if slot.tag:
        raise _tagged(slot, path, pair)
    flow = "{" + _flow_entry(rest, value) + "}"
    if token is not None:  # `~` or `null`: the token becomes a flow mapping
        return src.offset(token.start_mark), src.offset(token.end_mark), flow
    if pair.parent.flow_style or not slot.colon:
        return _after_colon(src, pair, flow)
    found = _BREAK.search(src.body, src.offset(slot.before))
    at = found.start() if found else len(src.body)
    step = _indent_step(src)
    lines = _block_lines(rest, value, int(pair.key.start_mark.column) + step, step)
    return at, at, "".join(src.newline() + line for line in lines)


def _flow_insert(src: _Source, mapping: MappingNode, rest: tuple[str, ...], value: str) -> _Splice:
    end = _pos(mapping.end_mark)
    close = next(
        i
        for i, t in enumerate(src.tokens)
        if isinstance(t, FlowMappingEndToken) and _pos(t.end_mark) == end
    )
    last = close - 1
    while isinstance(src.tokens[last], FlowEntryToken):
        last -= 1
    at = src.offset(src.tokens[last].end_mark)
    sep = "" if isinstance(src.tokens[last], FlowMappingStartToken) else ", "
    return at, at, sep + _flow_entry(rest, value)


def _block_insert(src: _Source, mapping: MappingNode, rest: tuple[str, ...], value: str) -> _Splice:
    indent = int(mapping.value[0][0].start_mark.column)
    line = _after_block(src, mapping)
    line = _absorb_comments(src, line, indent)
    nl = src.newline()
    lines = "".join(text + nl for text in _block_lines(rest, value, indent, _indent_step(src)))
    if line < len(src.starts):
        return src.starts[line], src.starts[line], lines
    return len(src.body), len(src.body), nl + lines  # the last line has no line break yet


def _after_block(src: _Source, mapping: MappingNode) -> int:
    """The first line after the last token of a block mapping."""
    start = _pos(mapping.start_mark)
    first = next(
        i
        for i, t in enumerate(src.tokens)
        if isinstance(t, BlockMappingStartToken) and _pos(t.start_mark) >= start
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


def _absorb_comments(src: _Source, line: int, indent: int) -> int:
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


def _indent_step(src: _Source) -> int:
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


def _plain_ok(value: str) -> bool:
    if not _PLAIN_SAFE.fullmatch(value) or _NOT_A_STRING.fullmatch(value):
        return False
    return bool(_load(value, "internal error") == value)  # PyYAML's YAML 1.1 resolvers


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _expected(original: Any, path: tuple[str, ...], value: str) -> Any:
    document = copy.deepcopy(original)
    here = document
    for key in path[:-1]:
        if here.get(key) is None:
            here[key] = {}
        here = here[key]
    here[path[-1]] = value
    return document


def _verify(new_text: str, expected: Any) -> None:
    """The edit must load as the old document with only the path set; anything else is a bug."""
    why = "internal error: the edited file would not load; please report this"
    if _load(new_text, why) != expected:
        raise EditError(
            "internal error: the edit would change more than the value; please report this"
        )
