"""Positions are looked up in the node tree on demand (config/nodepos.py): the same as recording
every built value's and key's position while building, and no node outlives loading (freed by
reference counting: a cycle among the nodes kept every document's tree until the collector ran,
which cost a third of validate's time)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gridsync.config import load, yamlsrc
from gridsync.config.desired import ProjectSettings

_TAG = "tag:yaml.org,2002:"

TEXTS = [
    "a: 1\nb: [x, {c: 2, d: [3, 4]}]\nc: {e: f}\n",
    "a: 1\na: 2\nb: {x: 1, x: {y: 2}}\n",
    "base: &b {k: 1, m: {n: 2}}\nother: &o {k: 9, z: 3}\nuse:\n  <<: [*b, *o]\n  k: 5\n  q: *b\n",
    "d: &d {a: 1}\nm:\n  <<: {<<: *d, b: 2}\n  c: 3\n",
    "t: !!set {a, b}\nu: !foo [1, 2]\nv: !!omap [a: 1]\nw: !bar x\n",
    "? [a, b]\n: 1\n? {k: v}\n: 2\nok: 3\n",
    "<<: [1, {a: 2}]\nb: 3\n",
    "- a\n- - b\n  - {c: d}\n- ~\n",
    "k: |\n  text\n  more\nl: >-\n  folded\n'quoted key': 1\n\"dq\": {x: 2}\n",
    "a:\n  b:\n    c:\n      d: [1, [2, [3, {e: 4}]]]\n",
]


def _recorded(node: Node, path: yamlsrc.YamlPath, values: dict, keys: dict) -> None:
    """The positions as building used to record them: every built value, every built key."""
    values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, SequenceNode) and node.tag == _TAG + "seq":
        for index, item in enumerate(node.value):
            _recorded(item, (*path, index), values, keys)
    if not isinstance(node, MappingNode) or node.tag != _TAG + "map":
        return
    built: set[str] = set()
    merged: list[tuple[Node, Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag == _TAG + "merge":
            merged.extend(_flattened(value_node))
        elif isinstance(key_node, ScalarNode) and key_node.value not in built:
            built.add(key_node.value)
            keys[(*path, key_node.value)] = _at(key_node)
            _recorded(value_node, (*path, key_node.value), values, keys)
    for key_node, value_node in merged:
        if isinstance(key_node, ScalarNode) and key_node.value not in built:
            built.add(key_node.value)
            keys[(*path, key_node.value)] = _at(key_node)
            _recorded(value_node, (*path, key_node.value), values, keys)


def _flattened(node: Node) -> list[tuple[Node, Node]]:
    pairs: list[tuple[Node, Node]] = []
    for source in node.value if isinstance(node, SequenceNode) else [node]:
        if isinstance(source, MappingNode):
            for key_node, value_node in source.value:
                if key_node.tag == _TAG + "merge":
                    pairs.extend(_flattened(value_node))
                else:
                    pairs.append((key_node, value_node))
    return pairs


def _at(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


@pytest.mark.parametrize("text", TEXTS)
def test_positions_are_those_building_recorded(text: str) -> None:
    (document,), _, _, _ = yamlsrc._compose_all(text)
    values: dict = {}
    keys: dict = {}
    _recorded(yaml.compose(text, Loader=yaml.CSafeLoader), (), values, keys)
    assert dict(document.values) == values
    assert dict(document.keys) == keys
    assert len(document.values) == len(values)
    for path in [*values, ("nope",), ("a", 99), ("a", "b", "c", "d", 1, 1, 0, "zz")]:
        for end in range(len(path) + 1):
            assert (path[:end] in document.values) == (path[:end] in values)
            expected = next(values[path[:e]] for e in range(end, -1, -1) if path[:e] in values)
            assert document.where(path[:end]) == expected
            if path[:end] in keys:
                assert document.where(path[:end], key=True) == keys[path[:end]]


@pytest.mark.parametrize("text", TEXTS)
def test_top_keys_are_where_each_top_key_is(text: str) -> None:
    (document,), _, _, _ = yamlsrc._compose_all(text)
    names = [*(document.value if isinstance(document.value, dict) else ()), "nope", "<<"]
    expected = {name: document.where((name,), key=True) for name in names}
    assert document.top_keys(names) == expected
    for key in names:  # the plain-dict positions of `only` give the same
        assert document.only(key).top_keys([key]) == {key: expected[key]}


def test_only_keeps_one_key_and_says_the_same_about_it() -> None:
    text = "name: a\nruns:\n  - x/*.yaml\n  - {bad: 1}\n  - 3\nother: [1]\n"
    (document,), _, _, _ = yamlsrc._compose_all(text)
    only = document.only("runs")
    assert only.value == {"runs": document.value["runs"]}
    assert type(only.values) is dict and type(only.keys) is dict
    for path in [("runs",), ("runs", 0), ("runs", 1, "bad"), ("runs", 7), ("runs", 2, 0)]:
        assert only.where(path) == document.where(path)
        assert only.where(path, key=True) == document.where(path, key=True)
    assert ("other",) not in only.values
    assert document.only("missing").value == {}


def test_no_node_outlives_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "runs" / "a").mkdir(parents=True)
    cluster = (
        "apiVersion: gridsync/v1\nkind: Cluster\nname: {name}\nprovider: aws\n"
        "region: us-east-1\nrole_arn: arn:aws:iam::123456789012:role/grid\n"
        "external_id: x\nruns: ['runs/a/*.yaml']\n"
    )
    text = cluster.format(name="a") + "---\n" + cluster.format(name="b").replace("runs/a", "runs/b")
    (tmp_path / "clusters" / "c.yaml").write_text(text, encoding="utf-8")
    run = "compute:\n  provider:\n    cluster: a\n  train:\n    instance: t3.large\n"
    (tmp_path / "runs" / "a" / "r.yaml").write_text(run, encoding="utf-8")
    alive: list[int] = []

    def load_runs(*args: Any) -> Any:  # what is alive once every cluster file is read
        alive.append(sum(isinstance(o, Node) for o in gc.get_objects()))
        return real_load_runs(*args)

    real_load_runs = load.load_runs
    monkeypatch.setattr(load, "load_runs", load_runs)
    gc.collect()  # what earlier tests left; from here on, only reference counting frees nodes
    gc.disable()
    try:
        desired = load.load_desired(ProjectSettings(root=tmp_path), {})
        gc.unfreeze()  # what the read froze (gridsync.collector), back in gc.get_objects()
        assert [o for o in gc.get_objects() if isinstance(o, Node)] == []
    finally:
        gc.enable()
    assert [c.name for c in desired.clusters] == ["a", "b"]
    assert [r.bound_to for r in desired.runs] == ["a"]
    assert alive == [0]
