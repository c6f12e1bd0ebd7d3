"""schemas.check on jsonschema-rs: the traps the switch from jsonschema brought (NaN and infinity
read as null, integers past 64 bits, the order errors come in), each against a real schema."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest

from gridsync.config.schemas import CLUSTER_SCHEMA, PROJECT_SCHEMA, check
from gridsync.config.yamlsrc import read_yaml_file

RUN_SCHEMA = "runconfig.schema.json"
FINITE = "must be a finite number, got NaN or infinity"
CLUSTER = {
    "apiVersion": "gridsync/v1",
    "kind": "Cluster",
    "name": "ml-a",
    "provider": "aws",
    "region": "us-east-1",
    "role_arn": "arn:aws:iam::123456789012:role/grid",
    "external_id": "secret",
    "instance_types": ["t3.large", {"name": "g4dn.xlarge", "root_volume_size": 200}],
}


def messages(name: str, instance: Any, *non_finite: tuple[Any, ...]) -> list[str]:
    return [f"{p.path}: {p.message}" for p in check(name, instance, non_finite=set(non_finite))]


def test_a_valid_document_has_no_problems() -> None:
    assert check(CLUSTER_SCHEMA, CLUSTER, non_finite=()) == []


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_number_gets_the_finite_message_not_null(value: float) -> None:
    doc = {"backend": {"local": {"provision_seconds": value}}}
    path = ("backend", "local", "provision_seconds")
    (message,) = messages(PROJECT_SCHEMA, doc, path)
    assert message.startswith(f"{path}: provision_seconds {FINITE}")
    assert "null" not in message


def test_non_finite_where_an_integer_or_string_belongs_is_a_type_or_const_error() -> None:
    doc = {
        **CLUSTER,
        "kind": math.nan,
        "instance_types": [{"name": "g4dn.xlarge", "root_volume_size": math.inf}],
    }
    volume = ("instance_types", 0, "root_volume_size")
    assert messages(CLUSTER_SCHEMA, doc, ("kind",), volume) == [
        "('kind',): kind must be 'Cluster', got the number nan",
        f"{volume}: expected an integer, got the number inf",
    ]


def test_non_finite_in_a_run_config_is_refused_too() -> None:
    doc = {"hyper_params": {"params": {"--lr": math.nan}}}
    path = ("hyper_params", "params", "--lr")
    assert messages(RUN_SCHEMA, doc, path) == [
        f"{path}: --lr {FINITE} (.nan, .inf or a number too large); write a plain number"
    ]


def test_the_loader_finds_the_non_finite_values_check_needs(tmp_path: Any) -> None:
    path = tmp_path / "gridsync.yaml"
    path.write_text("wait: {poll_max: 1.0e+400}\nbackend: {local: {delete_seconds: .nan}}\n")
    (document,) = read_yaml_file(path, "gridsync.yaml").documents
    found = check(PROJECT_SCHEMA, document.value, non_finite=document.non_finite)
    assert [(p.path, FINITE in p.message) for p in found] == [
        (("backend", "local", "delete_seconds"), True),
        (("wait", "poll_max"), True),
    ]


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        (2**63 - 1, []),
        (-(2**63), []),
        (2**63, ["seed must be at most 9223372036854775807 (the largest 64-bit integer"]),
        (-(2**63) - 1, ["seed must be at least -9223372036854775808, got the integer"]),
        (10**29, ["seed must be at most 9223372036854775807"]),
        (-(10**400), ["seed must be at least -9223372036854775808"]),
    ],
)
def test_integers_at_and_past_64_bits(seed: int, expected: list[str]) -> None:
    doc = {"hyper_params": {"settings": {"seed": seed}}}
    found = [p.message for p in check(RUN_SCHEMA, doc, non_finite=())]
    assert [m[: len(e)] for m, e in zip(found, expected, strict=True)] == expected


def test_a_30_digit_integer_past_int32_is_quoted_in_full() -> None:
    count = 123456789012345678901234567890
    doc = {**CLUSTER, "instance_types": [{"name": "t3.large", "root_volume_size": count}]}
    (found,) = check(CLUSTER_SCHEMA, doc, non_finite=())
    assert found.message == (
        "root_volume_size must be at most 2147483647 (the largest 32-bit integer: Grid's API "
        f"holds no more), got the integer {count}"
    )


def test_problems_come_in_schema_order_then_document_order() -> None:
    """As jsonschema gave them (checked against jsonschema 4.26 when it was replaced)."""
    doc = {"zz": 1, "name": 3, "instance_types": [{"name": ""}, 1.5], "region": ""}
    assert messages(CLUSTER_SCHEMA, doc) == [
        "(): missing required field 'apiVersion'",
        "(): missing required field 'kind'",
        "(): missing required field 'provider'",
        "('zz',): unknown field 'zz'; known fields: apiVersion, kind, name, provider, region, "
        "role_arn, external_id, instance_types, cost_savings, protect, context, runs, "
        "infrastructure, aws",
        "('name',): expected a string, got the integer 3",
        "('region',): region must not be empty",
        "('instance_types', 0, 'name'): name must not be empty",
        "('instance_types', 1): expected a string or a mapping, got the number 1.5",
        "(): missing required field 'role_arn'",  # the schema's if/then comes last
        "(): missing required field 'external_id'",
    ]


def test_an_empty_outputs_mapping_says_so() -> None:
    terraform = {"module": "infra", "outputs": {}}
    doc = {**CLUSTER, "infrastructure": {"terraform": terraform}}
    assert "('infrastructure', 'terraform', 'outputs'): outputs must not be empty" in messages(
        CLUSTER_SCHEMA, doc
    )


def test_a_bad_project_name_quotes_the_key() -> None:
    assert messages(PROJECT_SCHEMA, {"projects": {"Team A": {}}}) == [
        "('projects',): projects must match '^[a-z0-9][a-z0-9_-]{0,62}$', got the string 'Team A'"
    ]


def test_jsonschema_itself_is_never_imported() -> None:
    """Every message comes from jsonschema-rs: the jsonschema package is not a dependency."""
    code = (
        "import sys; from gridsync.config.schemas import CLUSTER_SCHEMA, check; "
        "assert check(CLUSTER_SCHEMA, {'zone': 1}, non_finite=()); "
        "print('jsonschema' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
