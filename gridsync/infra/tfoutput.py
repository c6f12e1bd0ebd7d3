"""Terraform outputs as Grid needs them: the cluster request document, or a role and external id.

Output values are often sensitive (the external id, the whole `gridv1_cluster` document): errors
here name keys and outputs, never values.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any

from gridsync import redact
from gridsync.infra.tfprocess import TerraformError

_DOCUMENT = "the Terraform cluster document"
_AWS_PATH = ("spec", "driver", "kubernetes", "aws")
_REQUIRED_AWS = ("region", "role_arn", "external_id")
ROLE_FIELDS = ("role_arn", "external_id")
# Map-valued fields of Grid's cluster model (`dict(str, str)` in the CLI's generated client): their
# keys are the user's (environment variable names), sent as they are, never re-cased.
MAP_FIELDS = frozenset({("spec", "driver", "kubernetes", "extraGridletEnvVar")})

# In a structured sensitive output (the cluster document), the keys whose values are secrets; the
# rest (name, region, instance types) is what the plan shows anyway.
_SECRET_KEY = re.compile(r"external_?id|secret|token|password|credential|api_?key", re.IGNORECASE)


def register_outputs(raw: Mapping[str, Any]) -> None:
    """Register the secrets of `terraform output -json` with the redaction layer: every string of
    a sensitive scalar or list output, and of every output or key (in a document) named like a
    secret (external_id, token, password...), sensitive or not."""
    for name, item in raw.items():
        if not isinstance(item, dict):
            continue
        value = item.get("value")
        if isinstance(value, str) and value.lstrip().startswith("{"):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        secret_name = _SECRET_KEY.search(str(name)) is not None
        if secret_name or (item.get("sensitive") is True and not isinstance(value, dict)):
            redact.register_strings(value)
        _register_secret_keys(value)


def _register_secret_keys(value: Any) -> None:
    if isinstance(value, list):
        for entry in value:
            _register_secret_keys(entry)
    elif isinstance(value, dict):
        for key, entry in value.items():
            if _SECRET_KEY.search(str(key)):
                redact.register_strings(entry)
            else:
                _register_secret_keys(entry)


def output_value(outputs: Mapping[str, Any], name: str) -> Any:
    """outputs[name], or a TerraformError naming the missing output and the ones there are."""
    if name not in outputs:
        have = ", ".join(sorted(outputs)) or "none"
        raise TerraformError(
            f"Terraform output {name!r} not found (the module's outputs: {have})",
            hint="check the output name in infrastructure.terraform of the cluster document",
        )
    return outputs[name]


def cluster_request_from_output(value: Any) -> dict[str, Any]:
    """Grid's wire create body {"name", "spec"} (camelCase) from a `gridv1_cluster` output.

    The value is a JSON string or an object, in the snake_case `--edit-before-creation` shape or
    already camelCase. Every field name is converted (grpc-gateway takes both; gridsync sends
    camelCase); the keys inside a map-valued field (MAP_FIELDS) are data and stay as written.
    """
    request: dict[str, Any] = _camel_keys(_parse(value))
    _require(request, ("name",))
    _require(request, ("spec",))
    aws = _require(request, _AWS_PATH)
    if not isinstance(aws, dict):
        raise TerraformError(f"{_DOCUMENT}: {'.'.join(_AWS_PATH)} is not an object")
    for key in _REQUIRED_AWS:
        _require(request, (*_AWS_PATH, snake_to_camel(key)))
    if not isinstance(request["name"], str) or not request["name"]:
        raise TerraformError(f"{_DOCUMENT}: name is not a non-empty string")
    _check_instance_types(aws.get("instanceTypes"))
    return request


def role_from_outputs(outputs: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    """{"role_arn": ..., "external_id": ...} (the fields `names` maps) from the named outputs."""
    role: dict[str, str] = {}
    for field, output in names.items():
        if field not in ROLE_FIELDS:
            raise TerraformError(f"infrastructure.terraform.outputs: unknown field {field!r}")
        value = output_value(outputs, output)
        if not isinstance(value, str) or not value:
            raise TerraformError(f"Terraform output {output!r} ({field}) is not a non-empty string")
        role[field] = value
        if field == "external_id":
            redact.register(value)
    return role


def snake_to_camel(key: str) -> str:
    """`root_volume_size` -> `rootVolumeSize`; camelCase keys come back unchanged."""
    head, *rest = key.split("_")
    if not head:  # a leading underscore: not a snake_case field name, keep it
        return key
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _parse(value: Any) -> dict[str, Any]:
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError:
            raise TerraformError(f"{_DOCUMENT} is not valid JSON") from None
    if not isinstance(value, dict):
        raise TerraformError(f"{_DOCUMENT} is not a JSON object")
    return value


def _camel_keys(value: Any, path: tuple[str, ...] = ()) -> Any:
    if isinstance(value, list):
        return [_camel_keys(item, path) for item in value]
    if not isinstance(value, dict) or path in MAP_FIELDS:
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        camel = snake_to_camel(str(key))
        if camel in out:
            where = ".".join((*path, camel))
            raise TerraformError(f"{_DOCUMENT}: {where} is given twice (snake and camel case)")
        out[camel] = _camel_keys(item, (*path, camel))
    return out


def _require(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path`, or a TerraformError naming the first missing key."""
    node: Any = document
    for depth, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            snake = _snake(key)
            where = ".".join([*map(_snake, path[:depth]), snake])
            also = f" ({key})" if snake != key else ""
            raise TerraformError(f"{_DOCUMENT} has no {where}{also}")
        node = node[key]
    return node


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _check_instance_types(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise TerraformError(f"{_DOCUMENT}: {'.'.join(_AWS_PATH)}.instanceTypes is not a list")
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise TerraformError(
                f"{_DOCUMENT}: {'.'.join(_AWS_PATH)}.instanceTypes[{index}] has no name"
            )
