"""substitute_tree: every string below a document, substituted by copy on write; substitute: what
one string may not read."""

from __future__ import annotations

import copy

import pytest

from gridsync.config.envsubst import substitute, substitute_tree


def test_nested_references_are_substituted_and_the_document_is_left_as_it_was() -> None:
    document = {
        "name": "a",
        "role_arn": "${env:ROLE}",
        "instance_types": [{"name": "t3.large"}, {"name": "${env:TYPE:-m5.xlarge}"}],
        "infrastructure": {"terraform": {"module": "infra", "vars": {"x": "${env:UNSET}"}}},
        "aws": {"account_id": "123456789012"},
        "cost_savings": True,
    }
    before = copy.deepcopy(document)
    tree = substitute_tree(document, {"ROLE": "arn:aws:iam::123456789012:role/r"})
    assert document == before
    assert tree.value["role_arn"] == "arn:aws:iam::123456789012:role/r"
    assert tree.value["instance_types"] == [{"name": "t3.large"}, {"name": "m5.xlarge"}]
    assert tree.value["infrastructure"] == before["infrastructure"]  # unresolved: as written
    assert sorted(tree.strings) == [
        ("infrastructure", "terraform", "vars", "x"),
        ("instance_types", 1, "name"),
        ("role_arn",),
    ]
    assert tree.strings[("infrastructure", "terraform", "vars", "x")].unresolved == ("UNSET",)
    # Copy on write: what holds no substituted string is the very object given.
    assert tree.value["aws"] is document["aws"]
    assert tree.value["infrastructure"] is document["infrastructure"]
    assert tree.value["instance_types"][0] is document["instance_types"][0]
    assert tree.value["instance_types"] is not document["instance_types"]


def test_a_document_without_references_is_not_rebuilt() -> None:
    document = {"name": "a", "instance_types": ["t3.large", {"name": "p3.2xlarge"}], "n": 3}
    tree = substitute_tree(document, {})
    assert tree.value is document and tree.strings == {}
    assert substitute_tree("${env:A}", {"A": "x"}).value == "x"
    assert substitute_tree(7, {}).value == 7


@pytest.mark.parametrize(
    "text",
    [
        "${env:GRID_API_KEY}",
        "arn:aws:iam::1:role/${env:GITHUB_TOKEN}",
        "${env:AWS_SECRET_ACCESS_KEY:-default}",
        "${env:ACTIONS_RUNTIME_TOKEN}",
    ],
)
def test_a_credential_is_never_read_set_or_not(text: str) -> None:
    env = {"GRID_API_KEY": "k-1234", "GITHUB_TOKEN": "t-1234", "ACTIONS_RUNTIME_TOKEN": "r-1234"}
    for given in (env, {}):
        result = substitute(text, given)
        assert result.value == text  # as written: the value is never taken
        [error] = result.errors
        assert "reads a credential" in error and "a variable of its own" in error
