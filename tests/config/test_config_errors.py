"""One small cluster file per case -> the error at its line and column, through load_desired."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import pytest
from builders import Project
from config_helpers import BASE, find

from gridsync.config.envsubst import has_control
from gridsync.errors import ConfigError


@dataclass
class Case:
    id: str
    text: str | bytes
    line: int
    col: int | None
    fragment: str
    env: dict[str, str] = field(default_factory=dict)
    yaml_path: str | None = None


def replace(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


def bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def merge_bomb() -> str:
    """A bomb made of `<<` merges only: each level merges the previous one four times."""
    lines = ["a: &a {x: 1, y: 2}"]
    for prev, name in zip("abcdefghijklmnopqrs", "bcdefghijklmnopqrst", strict=True):
        lines.append(f"{name}: &{name} {{<<: [*{prev}, *{prev}, *{prev}, *{prev}]}}")
    return "\n".join(lines) + "\n"


CASES = [
    # YAML itself
    Case("syntax error", BASE + "instance_types: [t3.large\n", 9, 1, "YAML syntax error"),
    Case(
        "tab indentation",
        "apiVersion: gridsync/v1\n\tkind: Cluster\n",
        2,
        1,
        "tabs are not allowed for indentation; use spaces",
    ),
    Case(
        "non-utf8 byte",
        b"apiVersion: gridsync/v1\nkind: Cluster\nname: caf\xe9\n",
        3,
        10,
        "not valid UTF-8",
    ),
    Case("control character", BASE + "protect: \x01\n", 8, 10, "U+0001 is not allowed"),
    Case(
        "duplicate key",
        BASE + "region: us-west-2\n",
        8,
        1,
        "duplicate key 'region' (first written at line 5)",
        yaml_path="region",
    ),
    Case("list document", "- ml-a\n- ml-b\n", 1, 1, "must be a mapping"),
    Case("scalar document", "just some text\n", 1, 1, "got a single value"),
    Case(
        "unknown tag",
        replace("external_id: ext-1", "external_id: !vault secret/x"),
        7,
        14,
        "unsupported YAML tag '!vault'",
    ),
    Case(
        "alias bomb", bomb(), 1, 1, "document expands to more than 100000 nodes (YAML alias bomb?)"
    ),
    Case(
        "deep nesting",
        BASE + "instance_types: " + "[" * 70 + "]" * 70 + "\n",
        8,
        None,
        "nesting deeper than 64 levels",
    ),
    Case("recursive alias", "&a [*a]\n", 1, None, "nesting deeper than 64 levels"),
    Case("merge bomb", merge_bomb(), 1, 1, "document expands to more than 100000 nodes"),
    Case("recursive merge", "a: &a\n  <<: *a\n", 1, None, "nesting deeper than 64 levels"),
    # the schema
    Case(
        "missing field",
        replace("region: us-east-1\n", ""),
        1,
        1,
        "missing required field 'region'",
        yaml_path="",
    ),
    Case(
        "wrong type",
        BASE + "protect: yes\n",
        8,
        10,
        "expected a boolean, got the string 'yes' (gridsync reads YAML 1.2, where only true and "
        "false are booleans)",
        yaml_path="protect",
    ),
    Case(
        "unknown field",
        BASE + "instance_type: [t3.large]\n",
        8,
        1,
        "unknown field 'instance_type'; did you mean 'instance_types'?",
        yaml_path="instance_type",
    ),
    Case(
        "wrong apiVersion",
        replace("gridsync/v1", "gridsync/v2"),
        1,
        13,
        "apiVersion must be 'gridsync/v1'",
    ),
    Case("wrong kind", replace("kind: Cluster", "kind: Clusters"), 2, 7, "kind must be 'Cluster'"),
    Case(
        "wrong provider", replace("provider: aws", "provider: gcp"), 4, 11, "provider must be 'aws'"
    ),
    Case(
        "volume too small",
        BASE + "instance_types:\n  - name: p3.2xlarge\n    root_volume_size: 0\n",
        10,
        23,
        "root_volume_size must be at least 1",
        yaml_path="instance_types[0].root_volume_size",
    ),
    Case(
        "negative count",
        BASE + "instance_types:\n  - {name: p3.2xlarge, overprovisioned_ondemand_count: -1}\n",
        9,
        56,
        "must be at least 0",
    ),
    Case(
        "unknown instance field",
        BASE + "instance_types:\n  - {name: p3.2xlarge, disk: 10}\n",
        9,
        24,
        "unknown field 'disk'",
    ),
    Case(
        "item of wrong type",
        BASE + "instance_types: [5]\n",
        8,
        18,
        "expected a string or a mapping, got the integer 5",
    ),
    Case(
        "empty instance list",
        BASE + "instance_types: []\n",
        8,
        17,
        "instance_types must not be empty",
    ),
    Case(
        "secret not echoed",
        replace("external_id: ext-1", "external_id: 987654"),
        7,
        14,
        "expected a string, got an integer",
    ),
    # Grid's rules
    Case("uppercase name", replace("name: ml-a", "name: ML_Prod"), 3, 7, "did you mean 'ml-prod'?"),
    Case(
        "name rule explained",
        replace("name: ml-a", "name: ml.a"),
        3,
        7,
        "lowercase letters, digits and '-', 1-63 characters",
    ),
    Case(
        "dot refused like the CLI",
        replace("name: ml-a", "name: ml.a"),
        3,
        7,
        "the grid CLI refuses it",
    ),
    Case("leading dash", replace("name: ml-a", "name: -ml"), 3, 7, "no leading or trailing '-'"),
    Case(
        "too long", replace("name: ml-a", "name: " + "a" * 64), 3, 7, "this one has 64 characters"
    ),
    Case(
        "trailing newline",
        replace("name: ml-a\n", "name: |\n  ml-a\n"),
        3,
        7,
        "invalid cluster name 'ml-a\\n'",
    ),
    Case(
        "ARM type",
        BASE + "instance_types: [t3.large, m6g.large]\n",
        8,
        28,
        "'m6g.large' is an ARM (Graviton) instance type; Grid refuses ARM types (a1, t4g, m6g, c6g, g5g, r6g)",
    ),
    Case(
        "ARM in object", BASE + "instance_types:\n  - name: t4g.medium\n", 9, 11, "ARM (Graviton)"
    ),
    Case(
        "duplicate type",
        BASE + "instance_types:\n  - t3.large\n  - name: t3.large\n",
        10,
        11,
        "'t3.large' is listed twice (first at line 9)",
    ),
    Case(
        "not a type",
        BASE + "instance_types: [t3large]\n",
        8,
        18,
        "does not look like an EC2 instance type",
    ),
    Case(
        "bad region",
        replace("us-east-1", "us-east"),
        5,
        9,
        "region 'us-east' is not an AWS region name",
    ),
    Case(
        "date is not a region",
        replace("us-east-1", "2022-01-01"),
        5,
        9,
        "region '2022-01-01' is not an AWS region name",
    ),
    Case(
        "bad role arn", replace("123456789012:role", "1234:role"), 6, 11, "is not an IAM role ARN"
    ),
    Case("user arn", replace(":role/grid", ":user/grid"), 6, 11, "is not an IAM role ARN"),
    # ${env:}
    Case(
        "env with newline",
        replace("external_id: ext-1", "external_id: ${env:EXT}"),
        7,
        14,
        "EXT contains a newline or control character",
        env={"EXT": "a\nb"},
    ),
    Case(
        "env with control char",
        replace("region: us-east-1", "region: ${env:R}"),
        5,
        9,
        "R contains a newline or control character",
        env={"R": "us-east-1\x1b"},
    ),
    Case(
        "bad reference",
        replace("external_id: ext-1", "external_id: ${EXT}"),
        7,
        14,
        "'${EXT}' is not a valid reference",
    ),
    Case(
        "unclosed reference",
        replace("external_id: ext-1", "external_id: ${env:EXT"),
        7,
        14,
        "without a closing '}'",
    ),
    Case(
        "bad env arn",
        replace("role_arn: arn:aws:iam::123456789012:role/grid", "role_arn: ${env:ARN}"),
        6,
        11,
        "role_arn from the environment is not an IAM role ARN",
        env={"ARN": "nope"},
    ),
    Case(
        "unresolved name",
        replace("name: ml-a", "name: ${env:NAME}"),
        3,
        7,
        "${env:NAME} is not set: the cluster name must be known",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_error_at_its_place(project: Project, case: Case) -> None:
    project.write("clusters/c.yaml", case.text)
    diagnostics = project.errors(case.env)
    found = find(diagnostics, case.line, case.col, case.fragment)
    assert found.path == "clusters/c.yaml"
    assert found.severity == "error"
    if case.yaml_path is not None:
        assert found.yaml_path == case.yaml_path


def test_sensitive_values_are_never_quoted(project: Project) -> None:
    text = replace("external_id: ext-1", "external_id: 987654") + "region: ${env:R}\n"
    project.write("clusters/c.yaml", text.replace("region: us-east-1\n", ""))
    diagnostics = project.errors({"R": "secret-region-value"})
    assert diagnostics, "expected errors"
    assert not any("987654" in d.message or "secret-region-value" in d.message for d in diagnostics)
    find(diagnostics, 7, 9, "the region from the environment is not an AWS region name")


def test_many_errors_in_one_document_are_all_reported(project: Project) -> None:
    text = (
        replace("name: ml-a", "name: ML") + "protect: yes\ninstance_types: [a1.large]\nregion: x\n"
    )
    project.write("clusters/c.yaml", text)
    diagnostics = project.errors()
    find(diagnostics, 3, 7, "did you mean 'ml'?")
    find(diagnostics, 8, 10, "expected a boolean")
    find(diagnostics, 9, 18, "ARM (Graviton)")
    find(diagnostics, 10, 1, "duplicate key 'region'")
    assert [(d.line, d.col) for d in diagnostics] == sorted((d.line, d.col) for d in diagnostics)


def test_doc_prefix_only_in_multi_document_files(project: Project) -> None:
    project.write("clusters/one.yaml", BASE + "protect: yes\n")
    project.write(
        "clusters/two.yaml",
        BASE.replace("ml-a", "ml-b") + "---\n" + BASE.replace("ml-a", "ml-c") + "protect: 1\n",
    )
    diagnostics = project.errors()
    one = find(diagnostics, 8, 10, "expected a boolean")
    two = find(diagnostics, 16, 10, "expected a boolean, got the integer 1")
    assert (one.path, one.yaml_path) == ("clusters/one.yaml", "protect")
    assert (two.path, two.yaml_path) == ("clusters/two.yaml", "[doc 2] protect")


def test_config_error_counts_only_errors(project: Project) -> None:
    project.write(
        "clusters/c.yaml",
        replace("external_id: ext-1", "external_id: ${env:UNSET}") + "protect: yes\n",
    )
    with pytest.raises(ConfigError) as caught:
        project.load()
    severities = sorted(d.severity for d in caught.value.diagnostics)
    assert severities == ["error", "note"]
    assert "1 error(s)" in str(caught.value)


def test_a_huge_value_is_quoted_only_in_part(project: Project) -> None:
    project.write("clusters/c.yaml", replace("region: us-east-1", "region: " + "x" * 5000))
    region = find(project.errors(), 5, 9, "(5000 characters) is not an AWS region name")
    assert len(region.message) < 200


def test_an_unsupported_tag_is_one_error_not_also_a_wrong_type(project: Project) -> None:
    project.write("clusters/c.yaml", replace("region: us-east-1", "region: !vault secret/r"))
    diagnostics = project.errors()
    assert [(d.line, d.message) for d in diagnostics] == [(5, "unsupported YAML tag '!vault'")]


def test_the_yaml_1_2_hint_is_only_for_yaml_1_1_booleans(project: Project) -> None:
    project.write("clusters/c.yaml", BASE + "protect: maybe\n")
    (found,) = project.errors()
    assert found.message == "expected a boolean, got the string 'maybe'"


def test_an_external_id_with_a_line_break_is_refused_without_being_shown(project: Project) -> None:
    project.write(
        "clusters/c.yaml", replace("external_id: ext-1", 'external_id: "ext-2\\ntouch PWNED #"')
    )
    diagnostics = project.errors()
    found = find(diagnostics, 7, 14, "external_id contains a newline or control character")
    assert "PWNED" not in found.message and "ext-2" not in found.message


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/$(touch x)",
        "arn:aws:iam::123456789012:role/a`id`",
        "arn:aws:iam::123456789012:role/a b",
        "arn:aws:iam::123456789012:role/it's",
    ],
)
def test_a_role_arn_outside_iams_characters_is_refused(project: Project, arn: str) -> None:
    project.write(
        "clusters/c.yaml",
        replace("role_arn: arn:aws:iam::123456789012:role/grid", f'role_arn: "{arn}"'),
    )
    find(project.errors(), 6, 11, "is not an IAM role ARN")


def test_a_file_name_with_a_newline_is_shown_on_one_line(project: Project) -> None:
    project.write("clusters/c\n::warning::x.yaml", replace("name: ml-a", "name: Bad_Name"))
    (line,) = [d.format() for d in project.errors()]
    assert line.startswith(
        "clusters/c\\x0a::warning::x.yaml:3:7: error: name: invalid cluster name"
    )


def test_control_characters_are_the_unicode_controls_and_separators() -> None:
    """has_control (external ids, environment values) answers as the Unicode categories say, for
    every code point of the first planes (ASCII is answered without looking them up)."""
    for code in range(0x3000):
        value = f"ab{chr(code)}"
        expected = unicodedata.category(chr(code)) in ("Cc", "Zl", "Zp")
        assert has_control(value) is expected, hex(code)
