"""render.common.once_per_field: computed once per distinct field, without the cache for a value
that cannot be hashed, and a TypeError of the function itself passes through, raised once."""

from __future__ import annotations

import pytest

from gridsync.plan.changes import FieldChange
from gridsync.render.common import once_per_field


def test_equal_fields_are_computed_once_and_booleans_are_not_ones() -> None:
    calls: list[FieldChange] = []

    @once_per_field
    def shown(field: FieldChange, width: int) -> str:
        calls.append(field)
        return f"{field.field}={field.after!r}:{width}"

    assert shown(FieldChange("region", None, "us-east-1"), 10) == "region='us-east-1':10"
    assert shown(FieldChange("region", None, "us-east-1"), 10) == "region='us-east-1':10"
    assert shown(FieldChange("flag", None, True), 10) == "flag=True:10"
    assert shown(FieldChange("flag", None, 1), 10) == "flag=1:10"  # True == 1, shown apart
    assert len(calls) == 3


def test_an_unhashable_value_is_computed_without_the_cache() -> None:
    calls: list[FieldChange] = []

    @once_per_field
    def shown(field: FieldChange) -> str:
        calls.append(field)
        return str(field.after)

    field = FieldChange("tags", None, ["a", "b"])  # type: ignore[arg-type]  # a hand-edited plan
    assert shown(field) == "['a', 'b']"
    assert shown(field) == "['a', 'b']"
    assert len(calls) == 2


def test_a_type_error_of_the_function_is_raised_once_not_retried() -> None:
    calls: list[FieldChange] = []

    @once_per_field
    def shown(field: FieldChange) -> str:
        calls.append(field)
        raise TypeError("a bug in the renderer")

    with pytest.raises(TypeError, match="a bug in the renderer"):
        shown(FieldChange("region", None, "us-east-1"))
    assert len(calls) == 1
