"""Walking a mapping path in a parsed run config for gridsync.yamledit, and the refusals.

Package-internal: only gridsync.yamledit and gridsync.yamledit.splice import this. Finds
each key of the path (through ``<<`` merges when only reading), and refuses with EditError what
cannot be edited safely: a document that is not a mapping, duplicate keys, a parent that is not a
mapping, a key that exists only through a merge, an alias on the path, a node that an alias or merge
elsewhere reuses. Imports from gridsync.yamledit.source only.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.tokens import AliasToken, AnchorToken, ScalarToken, TagToken, ValueToken

from gridsync.yamledit.source import EditError, Source, pos, where

_TAG = "tag:yaml.org,2002:"
STR, _NULL, _MERGE = _TAG + "str", _TAG + "null", _TAG + "merge"


def root_mapping(src: Source) -> MappingNode:
    root = src.root
    if root is None or is_empty(root):
        message = "the file is empty or holds only comments; a run config is a mapping: add 'compute:' by hand"
        raise EditError(message)
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        raise EditError(
            f"the document is {kind}, not a mapping as a run config must be",
            *where(root.start_mark),
        )
    return root


class Pair(NamedTuple):
    """A key, its value and the mapping holding them (the merge source for a merged key)."""

    key: Node
    value: Node
    parent: MappingNode


class Walk(NamedTuple):
    """path[:found] exists; `mapping` is the deepest mapping reached (None when `pair` holds a null)."""

    mapping: MappingNode | None
    found: int
    pair: Pair | None


def walk_path(src: Source, root: MappingNode, path: tuple[str, ...], *, editing: bool) -> Walk:
    shared = _shared_nodes(root) if editing else set()
    mapping, pair = root, None
    for depth, name in enumerate(path):
        found = _lookup(mapping, name, path[: depth + 1], editing=editing)
        if found is None:
            return Walk(mapping, depth, pair)
        pair = found
        if editing:
            _check_own(src, pair, path[: depth + 1], shared)
        if depth + 1 == len(path):
            return Walk(mapping, len(path), pair)
        if is_null(pair.value):
            return Walk(None, depth + 1, pair)
        if not isinstance(pair.value, MappingNode):
            kind = (
                "a list"
                if isinstance(pair.value, SequenceNode)
                else f"the value {pair.value.value!r}"
            )
            message = f"{dotted(path[: depth + 1])} is {kind}, not a mapping; make it a mapping holding '{path[depth + 1]}'"
            raise EditError(message, *where(pair.value.start_mark))
        mapping = pair.value
    raise AssertionError("unreachable: the loop returns")  # pragma: no cover


def _lookup(
    mapping: MappingNode, name: str, path: tuple[str, ...], *, editing: bool
) -> Pair | None:
    matches = [(k, v) for k, v in mapping.value if _is_key(k, name)]
    if len(matches) > 1:
        first = matches[0][0].start_mark.line + 1
        message = f"duplicate key {dotted(path)} (first at line {first}); remove one of them"
        raise EditError(message, *where(matches[1][0].start_mark))
    if matches:
        return Pair(matches[0][0], matches[0][1], mapping)
    merged = _merged(mapping, name)
    if merged is not None and editing:
        merge_key = next(k for k, _ in mapping.value if k.tag == _MERGE)
        message = f"{dotted(path)} comes from a merge key ('<<'); the file must set '{name}' explicitly in this mapping"
        raise EditError(message, *where(merge_key.start_mark))
    return merged


def _merged(mapping: MappingNode, name: str) -> Pair | None:
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
                return Pair(found[0], found[1], source)
            deeper = _merged(source, name)
            if deeper is not None:
                return deeper
    return None


def _check_own(src: Source, pair: Pair, path: tuple[str, ...], shared: set[int]) -> None:
    """Refuse a value written elsewhere (an alias) or also used elsewhere (anchored and reused)."""
    token = src.tokens[value_slot(src, pair).token]
    if isinstance(token, AliasToken):
        message = f"{dotted(path)} is an alias (*{token.value}); editing it would change every place that uses the anchor: write the value here instead"
        raise EditError(message, *where(token.start_mark))
    if id(pair.value) in shared:
        message = f"{dotted(path)} is anchored and reused elsewhere by an alias or merge; editing it would change those places too: stop reusing it"
        raise EditError(message, *where(pair.value.start_mark))


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


class Slot(NamedTuple):
    """Where a pair's value is written: its first token after ':' and any anchor or tag."""

    token: int  # that token's index in the token stream
    before: Any  # end mark of what precedes it (the ':' or the last anchor/tag)
    colon: bool  # False for a flow entry written without ':' (`{cluster}`)
    tag: str  # the explicit tag, "" when none


def value_slot(src: Source, pair: Pair) -> Slot:
    end = pos(pair.key.end_mark)
    tokens = src.tokens
    index = next(
        i for i, t in enumerate(tokens) if isinstance(t, ScalarToken) and pos(t.end_mark) == end
    )
    colon = isinstance(tokens[index + 1], ValueToken)
    index += 1 if colon else 0
    tag = ""
    while colon and isinstance(tokens[index + 1], AnchorToken | TagToken):
        index += 1
        token = tokens[index]
        tag = "".join(token.value) if isinstance(token, TagToken) else tag
    return Slot(index + 1, tokens[index].end_mark, colon, tag)


def _is_key(node: Node, name: str) -> bool:
    return isinstance(node, ScalarNode) and node.tag == STR and node.value == name


def is_empty(node: Node) -> bool:
    """An empty document: nothing, comments only, or a bare '---'."""
    return (
        isinstance(node, ScalarNode) and node.tag == _NULL and node.value == "" and not node.style
    )


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def not_scalar(pair: Pair, path: tuple[str, ...]) -> EditError:
    kind = "a list" if isinstance(pair.value, SequenceNode) else "a mapping"
    message = f"{dotted(path)} is {kind}, not a single value; replace it by hand with the value"
    return EditError(message, *where(pair.value.start_mark))
