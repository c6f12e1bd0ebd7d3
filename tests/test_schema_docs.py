"""The schemas as editors read them: every property documented with a description and valid
examples, defaults that are the code's own, and `$id`s a user can reference per release.

The defaults are checked against the code by loading a file that writes every default out: it
must mean exactly what the same file with nothing in it means.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.config.schemas import check

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
DOCUMENTED = ("cluster.schema.json", "gridsync.schema.json", "runconfig.schema.json")


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return loaded


def properties(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property schema under `node` (in $defs, if/then and items too), with its path."""
    if isinstance(node, dict):
        for key, child in node.get("properties", {}).items():
            yield f"{path}/{key}", child
        for key, child in node.items():
            yield from properties(child, f"{path}/{key}" if key != "properties" else path)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from properties(child, f"{path}/{index}")


def test_every_property_of_the_plan_json_has_a_description() -> None:
    found = list(properties(schema("plan.schema.json")))
    assert len(found) > 30
    assert [path for path, prop in found if not prop.get("description")] == []


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_property_has_a_description_and_examples(name: str) -> None:
    found = list(properties(schema(name)))
    assert len(found) > 10
    undocumented = [path for path, prop in found if not prop.get("description")]
    without_examples = [path for path, prop in found if not prop.get("examples")]
    assert undocumented == []
    assert without_examples == []


def test_the_schema_ids_are_raw_urls_of_the_release_tag_of_the_source_repository() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    owner_repo = urls["Source"].removeprefix("https://github.com/")
    release = f"v{version('gridsync')}"
    for path in sorted(SCHEMAS.glob("*.json")):
        expected = f"https://raw.githubusercontent.com/{owner_repo}/{release}/schemas/{path.name}"
        assert schema(path.name)["$id"] == expected


def _defaults(node: dict[str, Any]) -> dict[str, Any]:
    """A document holding the default of every property of `node` that has one (nested)."""
    out: dict[str, Any] = {}
    for key, prop in node.get("properties", {}).items():
        if "default" in prop:
            out[key] = prop["default"]
        elif "properties" in prop and (inner := _defaults(prop)):
            out[key] = inner
    return out


def test_the_gridsync_yaml_defaults_are_the_codes(tmp_path: Path) -> None:
    defaults = _defaults(schema("gridsync.schema.json"))
    assert {"parallelism", "prune", "wait", "backend", "lock", "terraform_timeout"} <= set(defaults)
    empty = load_project(tmp_path)
    (tmp_path / "gridsync.yaml").write_text(json.dumps(defaults))
    written = load_project(tmp_path)
    # `lock: file` and no lock are the same file lock (gridsync/commands/apply.py: open the lock).
    assert written.lock == "file"
    # Where the file is and where backend.url would be (for messages) differ, nothing else.
    backend = written.backend._replace(url_source=empty.backend.url_source)
    assert written._replace(lock=None, source=None, backend=backend) == empty


CLUSTER = {
    "apiVersion": "gridsync/v1",
    "kind": "Cluster",
    "name": "docs",
    "provider": "aws",
    "region": "us-east-1",
    "role_arn": "arn:aws:iam::123456789012:role/grid",
    "external_id": "ext-docs",
    "infrastructure": {"terraform": {"module": "infra"}},
}


def test_the_cluster_defaults_are_the_codes(tmp_path: Path) -> None:
    cluster_schema = schema("cluster.schema.json")
    defaults = _defaults(cluster_schema)
    terraform = cluster_schema["properties"]["infrastructure"]["properties"]["terraform"]
    assert {"instance_types", "cost_savings", "protect", "context", "runs"} <= set(defaults)
    with_defaults = {**CLUSTER, **defaults}
    with_defaults["infrastructure"] = {"terraform": {"module": "infra", **_defaults(terraform)}}
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text("")
    loaded = []
    for document in (CLUSTER, with_defaults):
        (tmp_path / "clusters").mkdir(exist_ok=True)
        (tmp_path / "clusters" / "docs.yaml").write_text(json.dumps(document))
        desired = load_desired(load_project(tmp_path), {})
        (cluster,) = desired.clusters
        loaded.append(replace(cluster, field_sources={}))
    assert loaded[1] == loaded[0]
    assert loaded[0].terraform == loaded[1].terraform


# A valid document of each schema, for placing an example into (a run config's datastore needs
# its name and version together, so both are there already).
VALID = {
    "cluster.schema.json": CLUSTER,
    "gridsync.schema.json": {},
    "runconfig.schema.json": {
        "compute": {"train": {"datastore_name": "mnist", "datastore_version": 1}}
    },
}


def _placed(document: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    """`document` with `value` at the mapping path `keys` (intermediate mappings created)."""
    placed = json.loads(json.dumps(document))
    node = placed
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return placed


def _examples(node: dict[str, Any], keys: list[str]) -> Iterator[tuple[list[str], Any]]:
    """Each example of each property reachable through `properties` alone, with its key path."""
    for key, prop in node.get("properties", {}).items():
        for example in prop.get("examples", []):
            yield [*keys, key], example
        yield from _examples(prop, [*keys, key])


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_example_is_valid_where_it_stands(name: str) -> None:
    root = schema(name)
    placed = [(keys, example) for keys, example in _examples(root, [])]
    if name == "cluster.schema.json":  # instance types are items of instance_types
        options = root["$defs"]["instanceType"]["then"]["properties"]
        placed += [(["instance_types"], [e]) for e in root["$defs"]["instanceType"]["examples"]]
        placed += [
            (["instance_types"], [{"name": "t3.large", key: example}])
            for key, option in options.items()
            for example in option["examples"]
        ]
    if name == "gridsync.schema.json":  # a project entry takes the examples of $defs/project
        project = root["$defs"]["project"]
        placed += [(["projects", "p", *keys], e) for keys, e in _examples(project, [])]
    assert len(placed) > 20
    invalid = [
        (
            keys,
            example,
            [p.message for p in check(name, _placed(VALID[name], keys, example), non_finite=())],
        )
        for keys, example in placed
        if check(name, _placed(VALID[name], keys, example), non_finite=())
    ]
    assert invalid == []
