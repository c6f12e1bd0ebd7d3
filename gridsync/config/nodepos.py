"""Where each value and key of a composed YAML document was written, found in its nodes on demand.

Reading a document records no position: nearly every value is never reported, and a dict of
every path's position cost more time and memory than composing the document. Instead the
document keeps its node tree while it is checked, and a position is looked up by walking the
nodes along the YAML path, with the rules the values were built by (yamlsrc._Builder): the
first of duplicate keys, explicit keys before `<<` merges, the first merge source first, nothing
below a node whose tag is not read (an unsupported tag is read as null). Once the document is
checked, nothing refers to the tree and it is freed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

YamlPath = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based (line, col)

_TAG = "tag:yaml.org,2002:"
MAP, SEQ, MERGE = _TAG + "map", _TAG + "seq", _TAG + "merge"


def pos(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def merged_pairs(node: Node) -> Iterator[tuple[Node, Node]]:
    """The (key, value) nodes a `<<` value merges in, in order, nested merges flattened;
    sources that are not mappings are skipped (the builder reports them)."""
    for source in node.value if isinstance(node, SequenceNode) else [node]:
        if not isinstance(source, MappingNode):
            continue
        for key_node, value_node in source.value:
            if key_node.tag == MERGE:
                yield from merged_pairs(value_node)
            else:
                yield key_node, value_node


class NodeTree:
    """Positions in one document's node tree; each mapping's keys are indexed when first asked.

    The tree refers to nothing that refers back to it (`positions` makes views of it, the tree
    does not keep them): a document's nodes are freed the moment the document is, by reference
    counting, not when the cycle collector next runs."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self._entries: dict[int, dict[str, tuple[Node, Node]]] = {}

    def positions(self) -> tuple[Positions, Positions]:
        """Views of the values' and of the keys' positions."""
        return Positions(self, key=False), Positions(self, key=True)

    def entries(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        """Key -> (key node, value node) of the value built at that key."""
        found = self._entries.get(id(node))
        if found is None:
            found = {}
            merged: list[tuple[Node, Node]] = []
            for key_node, value_node in node.value:
                if key_node.tag == MERGE:
                    merged.extend(merged_pairs(value_node))
                elif type(key_node) is ScalarNode:
                    found.setdefault(key_node.value, (key_node, value_node))
            for key_node, value_node in merged:
                if isinstance(key_node, ScalarNode):
                    found.setdefault(str(key_node.value), (key_node, value_node))
            self._entries[id(node)] = found
        return found

    def walk(self, path: YamlPath) -> tuple[int, Node, Node | None]:
        """How many parts of `path` were built, the node reached and its key node (if any)."""
        node: Node = self.root
        key_node: Node | None = None
        for depth, part in enumerate(path):
            child = None
            if type(node) is MappingNode and node.tag == MAP and isinstance(part, str):
                entry = self.entries(node).get(part)
                if entry is not None:
                    key_node, child = entry
            elif type(node) is SequenceNode and node.tag == SEQ and isinstance(part, int):
                items = node.value
                key_node, child = None, items[part] if 0 <= part < len(items) else None
            if child is None:
                return depth, node, None
            node = child
        return len(path), node, key_node

    def where(self, path: YamlPath, *, key: bool) -> Position:
        """Position of the key (or value) at `path`, else of its nearest built ancestor."""
        _, node, key_node = self.walk(path)
        return pos(key_node) if key and key_node is not None else pos(node)

    def paths(self, node: Node, path: YamlPath) -> Iterator[tuple[YamlPath, Node, Node | None]]:
        """(path, value node, key node) of `node` at `path` and of everything built below it."""
        stack: list[tuple[YamlPath, Node, Node | None]] = [(path, node, None)]
        while stack:
            here, current, key_node = stack.pop()
            yield here, current, key_node
            children: list[tuple[YamlPath, Node, Node | None]] = []
            if type(current) is MappingNode and current.tag == MAP:
                for name, (k, v) in self.entries(current).items():
                    children.append(((*here, name), v, k))
            elif type(current) is SequenceNode and current.tag == SEQ:
                children = [((*here, i), item, None) for i, item in enumerate(current.value)]
            stack.extend(reversed(children))


class Positions(Mapping[YamlPath, Position]):
    """The positions of values (or of keys) by YAML path, as a read-only mapping."""

    def __init__(self, tree: NodeTree, *, key: bool) -> None:
        self._tree = tree
        self._key = key

    def _find(self, path: Any) -> Node | None:
        if not isinstance(path, tuple):
            return None
        depth, node, key_node = self._tree.walk(path)
        if depth < len(path):
            return None
        return key_node if self._key else node

    def where(self, path: YamlPath, *, key: bool) -> Position:
        return self._tree.where(path, key=key)

    def top(self) -> dict[str, Position]:
        """The positions of the root mapping's keys (or their values), in one look."""
        root = self._tree.root
        if type(root) is not MappingNode or root.tag != MAP:
            return {}
        return {
            name: pos(key_node if self._key else value_node)
            for name, (key_node, value_node) in self._tree.entries(root).items()
        }

    def __contains__(self, path: object) -> bool:
        return self._find(path) is not None

    def __getitem__(self, path: YamlPath) -> Position:
        node = self._find(path)
        if node is None:
            raise KeyError(path)
        return pos(node)

    def __iter__(self) -> Iterator[YamlPath]:
        for path, _, key_node in self._tree.paths(self._tree.root, ()):
            if not self._key or key_node is not None:
                yield path

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def subtree(self, path: YamlPath) -> dict[YamlPath, Position]:
        """Plain positions of `path` and below, and of every ancestor (for nearest lookups)."""
        depth, node, key_node = self._tree.walk(path)
        found: dict[YamlPath, Position] = {}
        if not self._key:
            for end in range(depth):
                found[path[:end]] = self[path[:end]]
        if depth < len(path):
            return found
        for here, value_node, here_key in self._tree.paths(node, path):
            if here == path:
                here_key = key_node
            target = here_key if self._key else value_node
            if target is not None:
                found[here] = pos(target)
        return found
