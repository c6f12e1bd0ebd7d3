"""One `kind: Cluster` document -> DesiredCluster, or every problem found in it.

Order: `${env:}` substitution, the JSON Schema (types, required and unknown fields), then Grid's own
rules with messages that say how to fix them (name, region, role ARN, instance types). Format rules
apply only to values that are resolved; an unset variable is a note, except in `name`, which must be
known for the plan to match the cluster to anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from gridsync import redact
from gridsync.config.desired import AwsSettings, DesiredCluster, TerraformSettings
from gridsync.config.envsubst import SubstitutedTree, has_control, substitute_tree
from gridsync.config.project import project_path_message
from gridsync.config.schemas import CLUSTER_SCHEMA, check, quoted
from gridsync.config.yamlsrc import Problem, YamlDocument, YamlPath
from gridsync.spec import (
    ARM_PREFIXES,
    FIELDS,
    SECRET_FIELDS,
    TERRAFORM_FIELDS,
    ClusterSpec,
    Source,
    is_arm_instance_type,
    is_valid_name,
)

REGION_RE = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}")
# IAM's own rule for role paths and names: letters, digits and +=,.@_- (and / in the path).
ROLE_ARN_RE = re.compile(r"arn:aws[-a-z]*:iam::[0-9]{12}:role/[\w+=,.@/-]+", re.ASCII)
INSTANCE_TYPE_RE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9-]+")
NAME_RULE = (
    "Grid cluster names use lowercase letters, digits and '-', 1-63 characters, with no leading or "
    "trailing '-' (Grid's docs also allow '.', but the grid CLI refuses it, so gridsync does too)"
)


class CheckedDocument(NamedTuple):
    cluster: DesiredCluster | None  # None when the document has errors
    problems: tuple[Problem, ...]
    name: str | None = None  # a resolved string name, even when the document has other errors
    name_source: Source | None = None
    context_source: Source | None = None  # set when `context: true`


def check_document(document: YamlDocument, rel: str, env: Mapping[str, str]) -> CheckedDocument:
    """Validate one document and build its DesiredCluster when nothing is wrong."""
    if not isinstance(document.value, dict):
        kind = "a list" if isinstance(document.value, list) else "a single value"
        message = f"a cluster document must be a mapping (apiVersion, kind, name, ...), got {kind}"
        return CheckedDocument(None, (Problem(*document.start, message),))
    tree = substitute_tree(document.value, env)
    _register_secrets(tree)
    sensitive = _sensitive(tree)
    problems = _env_problems(document, tree)
    found_problems = check(
        CLUSTER_SCHEMA,
        tree.value,
        lambda path: bool(path) and path[0] in sensitive,
        document.unbuilt,
        non_finite=document.non_finite,
        whole_floats=document.whole_floats,
    )
    for found in found_problems:
        problems.append(
            Problem(*document.where(found.path, key=found.at_key), found.message, found.path)
        )
    problems.extend(_rule_problems(document, tree))
    value: dict[str, Any] = tree.value
    name = value.get("name") if isinstance(value.get("name"), str) else None
    name_ok = name is not None and ("name",) not in _unresolved_paths(tree)
    name_source = Source(rel, *document.where(("name",))) if name_ok else None
    context_source = (
        Source(rel, *document.where(("context",))) if value.get("context") is True else None
    )
    cluster = None
    # A value under an unsupported tag was reported by the YAML reader and read as null: the
    # schema skips it, so the document has an error even when `problems` holds none.
    if not document.unbuilt and not any(p.severity == "error" for p in problems):
        cluster = _build(document, rel, tree, sensitive)
    return CheckedDocument(
        cluster, tuple(problems), name if name_ok else None, name_source, context_source
    )


def _unresolved_paths(tree: SubstitutedTree) -> dict[YamlPath, tuple[str, ...]]:
    return {path: sub.unresolved for path, sub in tree.strings.items() if sub.unresolved}


def _register_secrets(tree: SubstitutedTree) -> None:
    """Values from the environment and the external id are masked by value in every output."""
    for sub in tree.strings.values():
        redact.register_all(sub.secrets)
    for field in SECRET_FIELDS:
        secret = tree.value.get(field) if isinstance(tree.value, dict) else None
        substituted = tree.strings.get((field,))
        if substituted is not None and (substituted.unresolved or substituted.errors):
            continue  # the text as written (`${env:...}`), not a value
        redact.register(secret if isinstance(secret, str) else None)


def _sensitive(tree: SubstitutedTree) -> frozenset[str]:
    fields = {str(path[0]) for path, sub in tree.strings.items() if path and sub.references}
    return frozenset(fields | (SECRET_FIELDS & set(tree.value)))


def _env_problems(document: YamlDocument, tree: SubstitutedTree) -> list[Problem]:
    problems: list[Problem] = []
    for path, sub in tree.strings.items():
        if not (sub.errors or sub.unresolved):
            continue
        where = document.where(path)
        problems.extend(Problem(*where, message, path) for message in sub.errors)
        for name in sub.unresolved:
            if path == ("name",):
                message = f"${{env:{name}}} is not set: the cluster name must be known to plan"
                problems.append(Problem(*where, message, path))
                continue
            message = (
                f"${{env:{name}}} is not set: plan cannot compare {path[0]}; "
                "apply will refuse until it is set"
            )
            problems.append(Problem(*where, message, path, "note"))
    return problems


def _rule_problems(document: YamlDocument, tree: SubstitutedTree) -> list[Problem]:
    """Grid's rules on resolved values of the right type (the schema reports wrong types)."""
    value: dict[str, Any] = tree.value
    unresolved = _unresolved_paths(tree)
    checks = [
        (("name",), _name_message),
        (("region",), _region_message),
        (("role_arn",), _role_arn_message),
        (("external_id",), _external_id_message),
    ]
    problems = []
    for path, rule in checks:
        field_value = value.get(str(path[0]))
        if isinstance(field_value, str) and field_value and path not in unresolved:
            substituted = tree.strings.get(path)
            message = rule(field_value, substituted is not None and bool(substituted.references))
            if message:
                problems.append(Problem(*document.where(path), message, path))
    items = value.get("instance_types")
    if isinstance(items, list):
        problems.extend(_instance_type_problems(document, items, unresolved))
    problems.extend(_terraform_path_problems(document, value))
    return problems


def _terraform_path_problems(document: YamlDocument, value: dict[str, Any]) -> list[Problem]:
    """module and var_file stay inside the project, like every glob (a module is code)."""
    infrastructure = value.get("infrastructure")
    terraform = infrastructure.get("terraform") if isinstance(infrastructure, dict) else None
    if not isinstance(terraform, dict):
        return []
    problems = []
    for key in ("module", "var_file"):
        written = terraform.get(key)
        message = project_path_message(written, key) if isinstance(written, str) else ""
        if message:
            path: YamlPath = ("infrastructure", "terraform", key)
            problems.append(Problem(*document.where(path), message, path))
    return problems


def _external_id_message(external_id: str, from_env: bool) -> str:
    """A secret is never quoted; a line break or control character in it could smuggle text
    into a command or a log line."""
    if has_control(external_id):
        return (
            "external_id contains a newline or control character (not shown: it is a secret); "
            "write it on one line"
        )
    return ""


def _name_message(name: str, from_env: bool) -> str:
    if is_valid_name(name):
        return ""
    shown = "from the environment" if from_env else quoted(name, limit=80)
    message = f"invalid cluster name {shown}: {NAME_RULE}"
    if len(name) > 63:
        message += f"; this one has {len(name)} characters"
    suggestion = suggest_name(name)
    if suggestion and suggestion != name and not from_env:
        message += f"; did you mean '{suggestion}'?"
    return message


def suggest_name(name: str) -> str:
    """A valid name close to `name` (lowercased, other characters turned into '-'), or ""."""
    candidate = re.sub(r"[^a-z0-9-]+", "-", name.strip().lower()).strip("-")[:63].strip("-")
    return candidate if is_valid_name(candidate) else ""


def _region_message(region: str, from_env: bool) -> str:
    if REGION_RE.fullmatch(region):
        return ""
    shown = "the region from the environment" if from_env else f"region {quoted(region)}"
    return f"{shown} is not an AWS region name like 'us-east-1', 'eu-west-2' or 'us-gov-west-1'"


def _role_arn_message(arn: str, from_env: bool) -> str:
    if ROLE_ARN_RE.fullmatch(arn):
        return ""
    shown = "role_arn from the environment" if from_env else f"role_arn {quoted(arn)}"
    return f"{shown} is not an IAM role ARN like 'arn:aws:iam::123456789012:role/grid'"


def _instance_type_problems(
    document: YamlDocument, items: list[Any], unresolved: Mapping[YamlPath, tuple[str, ...]]
) -> list[Problem]:
    problems = []
    first: dict[str, YamlPath] = {}
    for index, item in enumerate(items):
        path: YamlPath = (
            ("instance_types", index)
            if isinstance(item, str)
            else ("instance_types", index, "name")
        )
        name = (
            item if isinstance(item, str) else item.get("name") if isinstance(item, dict) else None
        )
        if not isinstance(name, str) or not name or path in unresolved:
            continue
        message = _instance_type_message(name)
        if not message and name in first:
            line = document.where(first[name])[0]
            message = f"instance type {quoted(name)} is listed twice (first at line {line})"
        first.setdefault(name, path)
        if message:
            problems.append(Problem(*document.where(path), message, path))
    return problems


def _instance_type_message(name: str) -> str:
    if is_arm_instance_type(name):
        families = ", ".join(ARM_PREFIXES)
        return f"{quoted(name)} is an ARM (Graviton) instance type; Grid refuses ARM types ({families})"
    if not INSTANCE_TYPE_RE.fullmatch(name):
        return (
            f"{quoted(name)} does not look like an EC2 instance type (family.size, e.g. 't3.large')"
        )
    return ""


def _build(
    document: YamlDocument, rel: str, tree: SubstitutedTree, sensitive: frozenset[str]
) -> DesiredCluster:
    value: dict[str, Any] = tree.value
    terraform = _terraform(value.get("infrastructure"))
    from_terraform = frozenset(f for f in TERRAFORM_FIELDS if terraform and f not in value)
    # A field left out takes ClusterSpec's default (instance_types: Grid's default list).
    spec = ClusterSpec(**{f.name: f.from_yaml(value[f.name]) for f in FIELDS if f.name in value})
    unresolved: dict[str, str] = {}
    for path, names in _unresolved_paths(tree).items():
        unresolved.setdefault(str(path[0]), names[0])
    return DesiredCluster(
        name=value["name"],
        spec=spec,
        source=Source(rel, *document.start),
        protect=value.get("protect", False),
        context=value.get("context", False),
        sensitive=sensitive,
        unresolved=unresolved,
        templates={
            str(path[0]): document.value[path[0]]
            for path, sub in tree.strings.items()
            if len(path) == 1 and sub.references
        },
        field_sources={key: Source(rel, *at) for key, at in document.top_keys(value).items()},
        runs=tuple(value.get("runs", ())),
        terraform=terraform,
        aws=AwsSettings(**value["aws"]) if "aws" in value else None,
        from_terraform=from_terraform,
    )


def _terraform(infrastructure: dict[str, Any] | None) -> TerraformSettings | None:
    if infrastructure is None:
        return None
    raw: dict[str, Any] = infrastructure["terraform"]
    return TerraformSettings(
        module=raw["module"].rstrip("/"),
        var_file=raw.get("var_file"),
        vars=dict(raw.get("vars", {})),
        output=raw.get("output", "gridv1_cluster"),
        outputs=dict(raw.get("outputs", {})),
    )
