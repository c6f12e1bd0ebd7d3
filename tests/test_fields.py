"""The table of managed fields (gridsync.spec.FIELDS) agrees with ClusterSpec, the schemas and
Grid's wire mapping, and the digests saved in apply records and plans stay what they were."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from gridsync.config.schemas import load_schema
from gridsync.live import wire
from gridsync.spec import (
    FIELD_NAMES,
    FIELDS,
    ClusterSpec,
    Compare,
    InstanceType,
    default_of,
    public_fields,
    spec_digest,
)

# A spec where every field differs from its default, so a mapping that drops one is seen.
FULL = ClusterSpec(
    region="us-east-1",
    role_arn="arn:aws:iam::123456789012:role/grid",
    external_id="ext-1",
    instance_types=(InstanceType("t3.large"), InstanceType("g4dn.xlarge", 2, 100)),
    cost_savings=True,
)


def test_the_table_and_cluster_spec_hold_the_same_fields_in_the_same_order() -> None:
    assert tuple(f.name for f in dataclasses.fields(ClusterSpec)) == FIELD_NAMES


def test_every_field_is_in_the_cluster_schema_and_required_there_when_it_has_no_default() -> None:
    schema = load_schema("cluster.schema.json")
    assert set(FIELD_NAMES) <= set(schema["properties"])
    required = {f for f in FIELD_NAMES if default_of(f) is dataclasses.MISSING}
    assert required == set(FIELD_NAMES) & set(schema["required"])


def test_the_plan_schema_names_exactly_the_fields_of_the_table() -> None:
    schema = load_schema("plan.schema.json")
    pattern = schema["$defs"]["field"]["properties"]["field"]["pattern"]
    values = [f.name for f in FIELDS if f.compare == Compare.VALUE]
    entries = [rf"{f.name}\[[^\]]+\]" for f in FIELDS if f.compare == Compare.ENTRIES]
    assert pattern == f"^({'|'.join([*values, *entries])})$"


def test_secrets_are_never_public() -> None:
    assert all(not f.public for f in FIELDS if f.secret)


def test_grids_wire_mapping_covers_the_table_and_round_trips_every_field() -> None:
    assert {g.name for g in wire.GRID_FIELDS} == set(FIELD_NAMES)
    written = wire.spec_to_wire(FULL)
    assert all(wire.has_wire_value(written, name) for name in FIELD_NAMES)
    assert wire.spec_from_wire(written) == FULL


def test_yaml_values_are_read_as_the_table_says() -> None:
    written: dict[str, Any] = {
        "region": "us-east-1",
        "role_arn": FULL.role_arn,
        "external_id": "ext-1",
        "instance_types": [
            "t3.large",
            {"name": "g4dn.xlarge", "overprovisioned_ondemand_count": 2, "root_volume_size": 100},
        ],
        "cost_savings": True,
    }
    assert ClusterSpec(**{f.name: f.from_yaml(written[f.name]) for f in FIELDS}) == FULL


def test_the_digest_of_a_known_spec_is_pinned() -> None:
    """Apply records and saved plans hold these digests: a change here breaks every one of them."""
    assert spec_digest(FULL) == "cb53067e3f08855ce53cdd9dd1069ea2630f5fd0b1ff76971bec4a54753a8254"
    bare = ClusterSpec("eu-west-2", instance_types=())
    assert spec_digest(bare) == "2b8e4f20e1247a41728bf63b199504a9fcde5f178249e41b66e18ed84f614a6c"


def test_public_fields_leave_the_role_out() -> None:
    assert public_fields(FULL) == {
        "region": "us-east-1",
        "instance_types": [
            "g4dn.xlarge (overprovisioned_ondemand_count=2, root_volume_size=100)",
            "t3.large",
        ],
        "cost_savings": True,
    }
    assert not re.search("arn:|ext-1", repr(public_fields(FULL)))
