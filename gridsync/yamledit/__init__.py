"""Byte-preserving edits of one scalar in a YAML file (a Grid run config's compute.provider.cluster).

libyaml (``yaml.CSafeLoader``) composes the node tree and scans the token stream; every edit is a
single splice of the text at offsets taken from those marks, so every other character (comments,
anchors, flow style, quoting, tabs, CRLF line endings, a leading BOM) stays exactly as it was.

Layout (the other modules are package-internal; import only from this one):
- gridsync.yamledit.source: the source text, its tokens and node tree, EditError, positions
  (line and column to offset, BOM and line breaks as libyaml counts them).
- gridsync.yamledit.walk: walking the path, and the refusals on the way.
- gridsync.yamledit.splice: deciding and rendering the single splice.
- here: the public API and the final check that the edit loads as intended.
Imports go one way: source <- walk <- splice <- this package.

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
  checked before it is returned: the new text must load to exactly the old document with only the
  path set (else EditError "internal error", never a wrong file).
- Loading, for both checks: libyaml (``yaml.CSafeLoader``: the C parser with PyYAML's own safe
  constructor and YAML 1.1 resolver, so the same values as ``yaml.safe_load``), about 15 times
  faster than the pure-Python parser. Where the two parsers accept different texts (tabs: the pure
  parser refuses a tab outside quotes and indentation in places where libyaml skips it), a text
  that holds a tab is loaded by ``yaml.safe_load`` as Grid loads it, before and after the edit.
- Given where a load read the value (``at``, from the run config load), the edit of an existing
  single-line scalar is one splice there with no parse at all, when the file leaves no doubt
  (``yamlsplice.splice_at`` says which files and why the result is then the same); the new token
  is checked to read back as the value. tests/yamledit/test_splice_at.py compares both ways.
"""

from __future__ import annotations

import copy
from typing import Any

from yaml.nodes import ScalarNode
from yaml.tokens import AliasToken, ScalarToken

from gridsync.yamledit.source import EditError, Written, load_as_grid, parse, where
from gridsync.yamledit.splice import plan_splice, splice_at
from gridsync.yamledit.walk import (
    is_empty,
    is_null,
    not_scalar,
    root_mapping,
    value_slot,
    walk_path,
)

__all__ = ["EditError", "Written", "get_scalar", "set_scalar"]


def set_scalar(text: str, path: tuple[str, ...], value: str, at: Written | None = None) -> str:
    """`text` with the scalar at mapping path `path` (e.g. ("compute", "provider", "cluster")) set to
    `value`; every other character unchanged. Missing mappings along the path, and the key itself, are
    inserted. Returns `text` unchanged when the value is already equal (as a string).

    `at`: what a load of this text read at `path` (the string and where it is written). Where the
    file allows, the edit is then one splice there, checked in place (yamlsplice.splice_at),
    without parsing the file again; otherwise, or without `at`, the whole way below."""
    if not path:
        raise ValueError("path must name at least one key")
    if at is not None:
        spliced = splice_at(text, path[-1], at, value)
        if spliced is not None:
            return spliced
    src = parse(text)
    root = root_mapping(src)
    original = load_as_grid(
        text, "Grid reads run configs with a safe YAML loader, which cannot read this file"
    )
    walk = walk_path(src, root, path, editing=True)
    splice = plan_splice(src, walk, path, value)
    if splice is None:
        return text
    start, end, insert = splice
    new_text = src.bom + src.body[:start] + insert + src.body[end:]
    _verify(new_text, _expected(original, path, value))
    return new_text


def get_scalar(text: str, path: tuple[str, ...]) -> tuple[str | None, int, int]:
    """The string value at `path` (None when absent) and its 1-based line and column (of the value when
    present; of the deepest existing mapping's key, or 1,1, when absent)."""
    src = parse(text)
    if src.root is None or is_empty(src.root) or not path:
        return None, 1, 1
    walk = walk_path(src, root_mapping(src), path, editing=False)
    pair = walk.pair
    if pair is None:
        return None, 1, 1
    if walk.found < len(path) or is_null(pair.value):
        return None, *where(pair.key.start_mark)
    if not isinstance(pair.value, ScalarNode):
        raise not_scalar(pair, path)
    token = src.tokens[value_slot(src, pair).token]
    at = token.start_mark if isinstance(token, ScalarToken | AliasToken) else pair.value.start_mark
    return str(pair.value.value), *where(at)


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
    if load_as_grid(new_text, why) != expected:
        raise EditError(
            "internal error: the edit would change more than the value; please report this"
        )
