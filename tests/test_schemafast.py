"""The compiled schema predicates agree with jsonschema, and check() uses them without changing a
message. The differential test is the heart: every document in the repository, and every
systematic mutation of the valid ones, is judged by both."""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from gridsync.config import schemas
from gridsync.config.schemafast import compile_schema
from gridsync.config.schemas import CLUSTER_SCHEMA, check, load_schema
from gridsync.config.yamlsrc import read_yaml_file

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_NAMES = (
    "cluster.schema.json",
    "gridsync.schema.json",
    "runconfig.schema.json",
    "plan.schema.json",
)
REPLACEMENTS: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 1.0, 1.5, float("inf"), float("nan"), "", "x", "ml-a",
    [], ["a"], ["a", "a"], {}, {"zz": 1}, {"name": "m5.large"},
)  # fmt: skip
MAX_NODES = 3000  # alias bombs and self-containing anchors are left out of the corpus
MAX_MUTATIONS = 600

VALID_CLUSTER = {
    "apiVersion": "gridsync/v1",
    "kind": "Cluster",
    "name": "ml-a",
    "provider": "aws",
    "region": "us-east-1",
    "role_arn": "arn:aws:iam::123456789012:role/grid",
    "external_id": "secret",
    "instance_types": ["t3.large", {"name": "g4dn.xlarge", "root_volume_size": 200}],
}

# Keys no file in the repository uses (projects, lock, terraform, infrastructure, session keys).
SEEDS: list[Any] = [
    {
        "runs": [],
        "lock": "s3://bucket/gridsync.lock",
        "terraform_bin": "terraform",
        "terraform_timeout": "60m",
        "projects": {
            "team-a": {"clusters": ["a/*.yaml"], "lock": "file", "max_deletes": None},
            "team_b": {"backend": {"type": "local", "local": {"queued_seconds": 0}}},
        },
    },
    {
        **{k: v for k, v in VALID_CLUSTER.items() if k not in ("role_arn", "external_id")},
        "infrastructure": {
            "terraform": {
                "module": "infra/grid",
                "vars": {"size": 3},
                "outputs": {"role_arn": "role_arn", "external_id": "external_id"},
            }
        },
        "aws": {"account_id": "123456789012", "profile": "ml"},
        "protect": True,
        "runs": ["runs/team/*.yaml"],
    },
    {
        "compute": {
            "provider": {"cluster": None},
            "train": {
                "instance_type": "t3.large",
                "disk_size": 200,
                "datastore_name": None,
                "datastore_version": None,
                "dependency_file_info": {"path": None, "package_manager": "pip"},
                "dockerfile": "Dockerfile",
                "localdir": True,
                "auto_resume": False,
                "framework": "julia:1.6",
            },
        },
        "hyper_params": {"settings": {"strategy_options": {"num_trials": 2, "seed": 7}}},
    },
]


# --- the corpus -----------------------------------------------------------------------------------


def _yaml_files() -> list[Path]:
    found = [ROOT / "gridsync.yaml"]
    for top in ("clusters", "runs", "tests/data"):
        found += [p for p in sorted((ROOT / top).rglob("*.y*ml")) if p.is_file()]
    return found


def _nodes(value: Any, depth: int = 0) -> int:
    if depth > 40:
        return MAX_NODES + 1
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    )
    total = 1
    for child in children:
        total += _nodes(child, depth + 1)
        if total > MAX_NODES:
            break
    return total


def _repository_documents() -> list[Any]:
    """Every document as yaml.safe_load_all reads it and as gridsync's own builder does, and the
    golden plan JSON files."""
    documents: list[Any] = []
    for path in _yaml_files():
        with contextlib.suppress(yaml.YAMLError, UnicodeDecodeError):  # files that do not parse
            documents += yaml.safe_load_all(path.read_text(encoding="utf-8"))
        documents += [doc.value for doc in read_yaml_file(path, path.name).documents]
    documents += [json.loads(p.read_text()) for p in (ROOT / "tests/render/golden").glob("*.json")]
    documents += SEEDS
    unique = {repr(doc): doc for doc in documents if _nodes(doc) <= MAX_NODES}
    return list(unique.values())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        yield from _paths(child, (*prefix, key))


def _edit(value: Any, path: tuple[Any, ...], change: Any) -> Any:
    """A copy of `value` (copied only along `path`) where `change(container)` edited the node."""
    if not path:
        return change(value)
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _edit(value[path[0]], path[1:], change)
    return copy


def _without(container: Any, key: Any) -> Any:
    copy = dict(container) if isinstance(container, dict) else list(container)
    del copy[key]
    return copy


def _mutations(document: Any) -> Iterator[Any]:
    """Each value replaced by each of REPLACEMENTS, each key and item deleted, an unknown key (not
    a valid name either) added to each mapping."""
    for path in _paths(document):
        for new in REPLACEMENTS:
            yield _edit(document, path, lambda _old, new=new: new)
        node = _lookup(document, path)
        if isinstance(node, dict | list):
            for key in node if isinstance(node, dict) else range(len(node)):
                yield _edit(document, path, lambda old, key=key: _without(old, key))
        if isinstance(node, dict):
            for extra in (1, {}):  # {} is a valid value where every key is a project
                yield _edit(document, path, lambda old, extra=extra: {**old, "Zz unknown": extra})


def _some_mutations(document: Any) -> list[Any]:
    """The mutations of `document`, a fixed random sample of MAX_MUTATIONS for big ones (plan JSON:
    jsonschema takes most of a millisecond for each)."""
    every = list(_mutations(document))
    if len(every) <= MAX_MUTATIONS:
        return every
    return random.Random(len(every)).sample(every, MAX_MUTATIONS)  # noqa: S311  (not crypto)


def _lookup(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@pytest.fixture(scope="module")
def documents() -> list[Any]:
    return _repository_documents()


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_compiled_schema_agrees_with_jsonschema(name: str, documents: list[Any]) -> None:
    schema = load_schema(name)
    reference = Draft202012Validator(schema)
    compiled = compile_schema(schema)
    assert compiled is not None, f"{name} should compile: the fast path would be unused"
    corpus = list(documents)
    for document in documents:
        if reference.is_valid(document):
            corpus += _some_mutations(document)
    verdicts = [reference.is_valid(instance) for instance in corpus]
    disagree = [i for i, ok in zip(corpus, verdicts, strict=True) if compiled(i) != ok]
    checked = f"{len(corpus)} instances checked against {name}"
    assert disagree == [], f"{checked}; compiled predicate disagrees on {disagree[:3]!r}"
    assert verdicts.count(True) >= 5, f"{checked}: too few valid ones to mean anything"
    assert verdicts.count(False) >= 100, f"{checked}: too few invalid ones to mean anything"


# --- focused cases: each trap, each keyword ---------------------------------------------------------

TREE = {
    "$defs": {
        "node": {
            "type": "object",
            "required": ["v"],
            "properties": {
                "v": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
        }
    },
    "$ref": "#/$defs/node",
}
DEEP_OK = {"v": 1, "children": [{"v": 2, "children": [{"v": 3, "children": []}]}]}
DEEP_BAD = {"v": 1, "children": [{"v": 2, "children": [{"v": "three"}]}]}
ONE_OF = {"oneOf": [{"type": "integer"}, {"minimum": 0}]}
IF_THEN = {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"minimum": 0}}
EXTRA_SCHEMA = {"properties": {"a": {}}, "additionalProperties": {"type": "integer"}}
PATTERNED = {"patternProperties": {"^x": {"type": "string"}}, "additionalProperties": False}

CASES: list[tuple[str, dict[str, Any], Any, bool]] = [
    ("bool is not an integer", {"type": "integer"}, True, False),
    ("bool is not a number", {"type": "number"}, False, False),
    ("1.0 is an integer", {"type": "integer"}, 1.0, True),
    ("1.5 is not an integer", {"type": "integer"}, 1.5, False),
    ("inf is not an integer", {"type": "integer"}, float("inf"), False),
    ("inf is a number", {"type": "number"}, float("inf"), True),
    ("type list", {"type": ["string", "null"]}, None, True),
    ("type list rejects", {"type": ["string", "null"]}, 0, False),
    ("type list with integer", {"type": ["integer", "null"]}, 2.0, True),
    ("type list with integer rejects bool", {"type": ["integer", "null"]}, True, False),
    ("enum tells True from 1", {"enum": [1]}, True, False),
    ("enum tells 1 from True", {"enum": [True]}, 1, False),
    ("enum 1.0 equals 1", {"enum": [1]}, 1.0, True),
    ("const tells False from 0", {"const": 0}, False, False),
    ("const inside a list", {"const": [1]}, [True], False),
    ("const inside a dict", {"const": {"a": 0}}, {"a": False}, False),
    ("const dict equal", {"const": {"a": [1, "x"]}}, {"a": [1.0, "x"]}, True),
    ("const string", {"const": "gridsync/v1"}, "gridsync/v1", True),
    ("const string vs other", {"const": "1"}, 1, False),
    ("string enum", {"enum": ["pip", "conda"]}, "pip", True),
    ("string enum rejects a list", {"enum": ["pip"]}, ["pip"], False),
    ("minLength counts code points", {"minLength": 2}, "\U0001f600", False),
    ("maxLength counts code points", {"maxLength": 1}, "\U0001f600", True),
    ("minLength ignores non-strings", {"minLength": 2}, 5, True),
    ("string keywords together", {"type": "string", "minLength": 1, "pattern": "^a"}, "ab", True),
    ("string keywords together reject", {"type": "string", "maxLength": 1, "pattern": "^a"}, "ab", False),
    ("pattern is a search", {"pattern": "b"}, "abc", True),
    ("minimum ignores strings", {"minimum": 5}, "a", True),
    ("minimum ignores bools", {"minimum": 5}, True, True),
    ("maximum ignores bools", {"maximum": 0}, True, True),
    ("minimum lets NaN through", {"minimum": 0}, float("nan"), True),
    ("minimum rejects -inf", {"minimum": 0}, float("-inf"), False),
    ("maximum", {"maximum": 64}, 65, False),
    ("required ignores non-objects", {"required": ["a"]}, ["a"], True),
    ("properties ignore non-objects", {"properties": {"a": {"type": "string"}}}, 3, True),
    ("type object fused rejects a list", {"type": "object", "required": ["a"]}, [], False),
    ("required", {"type": "object", "required": ["a"]}, {"b": 1}, False),
    ("items ignore non-arrays", {"items": {"type": "string"}}, {"a": 1}, True),
    ("items", {"items": {"type": "string"}}, ["a", 1], False),
    ("minItems", {"minItems": 1}, [], False),
    ("maxItems", {"maxItems": 1}, [1, 2], False),
    ("minProperties", {"minProperties": 1}, {}, False),
    ("maxProperties", {"maxProperties": 1}, {"a": 1, "b": 2}, False),
    ("ref recursion valid", TREE, DEEP_OK, True),
    ("ref recursion invalid deep down", TREE, DEEP_BAD, False),
    ("ref to the root", {"items": {"$ref": "#"}, "type": "array"}, [[[]], []], True),
    ("ref to the root rejects", {"items": {"$ref": "#"}, "type": "array"}, [[["x"]]], False),
    (
        "ref siblings still apply",
        {"$ref": "#/$defs/s", "maxLength": 3, "$defs": {"s": {"type": "string"}}},
        "abcd",
        False,
    ),
    ("oneOf with no match", ONE_OF, -1.5, False),
    ("oneOf with one match", ONE_OF, -1, True),
    ("oneOf with two matches", ONE_OF, 1, False),
    ("anyOf", {"anyOf": [{"type": "string"}, {"type": "null"}]}, 1, False),
    ("allOf", {"allOf": [{"minimum": 0}, {"maximum": 2}]}, 3, False),
    ("not", {"not": {"required": ["a"]}}, {"a": 1}, False),
    ("if then rejects", IF_THEN, "a", False),
    ("if then accepts", IF_THEN, "ab", True),
    ("if else rejects", IF_THEN, -1, False),
    ("if else accepts", IF_THEN, 1, True),
    ("then without if is ignored", {"then": False}, 1, True),
    ("dependentRequired missing", {"dependentRequired": {"a": ["b"]}}, {"a": 1}, False),
    ("dependentRequired met", {"dependentRequired": {"a": ["b"]}}, {"a": 1, "b": 2}, True),
    ("dependentRequired not triggered", {"dependentRequired": {"a": ["b"]}}, {"b": 1}, True),
    ("additionalProperties schema accepts", EXTRA_SCHEMA, {"a": "x", "b": 1}, True),
    ("additionalProperties schema rejects", EXTRA_SCHEMA, {"b": "x"}, False),
    ("additionalProperties false", {"properties": {"a": {}}, "additionalProperties": False}, {"b": 1}, False),
    ("patternProperties cover extras", PATTERNED, {"xa": "s"}, True),
    ("patternProperties check values", PATTERNED, {"xa": 1}, False),
    ("patternProperties leave others extra", PATTERNED, {"y": "s"}, False),
    ("propertyNames", {"propertyNames": {"pattern": "^[a-z]+$"}}, {"A": 1}, False),
    ("uniqueItems tells True from 1", {"uniqueItems": True}, [1, True], True),
    ("uniqueItems 1 and 1.0", {"uniqueItems": True}, [1, 1.0], False),
    ("uniqueItems nested", {"uniqueItems": True}, [[1], [True]], True),
    ("uniqueItems dicts", {"uniqueItems": True}, [{"a": 1}, {"a": 1}], False),
    ("uniqueItems false is no check", {"uniqueItems": False}, [1, 1], True),
    ("annotations and format are no-ops", {"format": "date-time", "title": "t", "$comment": "c"}, "no", True),
    ("false schema", {"properties": {"a": False}}, {"a": None}, False),
    ("true schema", {"properties": {"a": True}}, {"a": None}, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "schema", "instance", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_compiled_case(label: str, schema: dict[str, Any], instance: Any, expected: bool) -> None:
    compiled = compile_schema(schema)
    assert compiled is not None
    assert Draft202012Validator(schema).is_valid(instance) is expected, "the case itself is wrong"
    assert compiled(instance) is expected


@pytest.mark.parametrize(
    "schema",
    [
        {"multipleOf": 2},
        {"prefixItems": [{"type": "string"}]},
        {"unevaluatedProperties": False},
        {"x-vendor": 1},
        {"$ref": "other.schema.json#/$defs/a"},
        {"$ref": "#/$defs/missing"},
        {"properties": {"a": {"$id": "urn:nested", "type": "string"}}},
        {"$defs": {"a": {"$anchor": "a"}}, "$ref": "#a"},
        {"type": "decimal"},
        {"pattern": "("},
    ],
)
def test_unsupported_schema_is_not_compiled(schema: dict[str, Any]) -> None:
    assert compile_schema(schema) is None


def test_root_id_and_defs_are_fine() -> None:
    schema = {"$id": "urn:x", "$defs": {"n": {"type": "integer"}}, "items": {"$ref": "#/$defs/n"}}
    compiled = compile_schema(schema)
    assert compiled is not None
    assert compiled([1, 2]) is True
    assert compiled([1, "2"]) is False


def test_predicate_reads_no_schema_at_run_time() -> None:
    schema = json.loads(json.dumps(load_schema(CLUSTER_SCHEMA)))
    compiled = compile_schema(schema)
    assert compiled is not None
    schema.clear()
    assert compiled(VALID_CLUSTER) is True
    assert compiled({**VALID_CLUSTER, "region": ""}) is False


# --- check() --------------------------------------------------------------------------------------

PROBE = """
import sys
from gridsync.config.schemas import CLUSTER_SCHEMA, check
print(check(CLUSTER_SCHEMA, {cluster!r}), 'jsonschema' in sys.modules)
print(bool(check(CLUSTER_SCHEMA, {{}})), 'jsonschema' in sys.modules)
"""


def test_check_of_a_valid_document_does_not_import_jsonschema() -> None:
    code = PROBE.format(cluster=VALID_CLUSTER)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines() == ["[] False", "True True"]


def _invalid_samples(name: str, documents: list[Any], limit: int) -> list[Any]:
    validator = Draft202012Validator(load_schema(name))
    valid = [doc for doc in documents if validator.is_valid(doc)]
    candidates = [m for doc in valid for m in _mutations(doc)]
    return [m for m in candidates if not validator.is_valid(m)][:limit]


@pytest.mark.parametrize(
    ("name"), ["cluster.schema.json", "gridsync.schema.json", "runconfig.schema.json"]
)
def test_invalid_documents_get_the_same_problems(
    name: str, documents: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _invalid_samples(name, documents, limit=400)
    assert len(samples) >= 100

    def redact(path: tuple[Any, ...]) -> bool:
        return bool(path) and path[0] == "external_id"

    now = [check(name, sample, redact) for sample in samples]
    monkeypatch.setattr(schemas, "_fast", lambda _name: None)  # the jsonschema-only path
    before = [check(name, sample, redact) for sample in samples]
    assert now == before
    assert all(before), "every sample is invalid, so each has at least one problem"


def test_jsonschema_wins_when_the_fast_path_wrongly_rejects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schemas, "_fast", lambda _name: lambda _instance: False)
    assert check(CLUSTER_SCHEMA, VALID_CLUSTER) == []
    assert check(CLUSTER_SCHEMA, {**VALID_CLUSTER, "zone": "a"}) != []
