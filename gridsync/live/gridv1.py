"""Grid's cluster request document as a Terraform module writes it (the `gridv1_cluster` output
of Grid's BYOC modules): `{"name", "spec"}`, snake_case as `grid clusters aws
--edit-before-creation` shows it or camelCase as the API takes it.

Part of Grid's wire format, so it lives with the Grid backends. The document is often a sensitive
output (it holds the external id): errors here name keys, never values.
"""

from __future__ import annotations

import json
from typing import Any

from gridsync.errors import GridsyncError

_DOCUMENT = "the Terraform cluster document"
_AWS_PATH = ("spec", "driver", "kubernetes", "aws")
_REQUIRED_AWS = ("region", "role_arn", "external_id")
# Map-valued fields of Grid's cluster model (`dict(str, str)` in the CLI's generated client): their
# keys are the user's (environment variable names), sent as they are, never re-cased.
MAP_FIELDS = frozenset({("spec", "driver", "kubernetes", "extraGridletEnvVar")})


class ClusterDocumentError(GridsyncError):
    """A module's cluster document is not Grid's cluster request."""


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
        raise ClusterDocumentError(f"{_DOCUMENT}: {'.'.join(_AWS_PATH)} is not an object")
    for key in _REQUIRED_AWS:
        _require(request, (*_AWS_PATH, snake_to_camel(key)))
    if not isinstance(request["name"], str) or not request["name"]:
        raise ClusterDocumentError(f"{_DOCUMENT}: name is not a non-empty string")
    _check_instance_types(aws.get("instanceTypes"))
    return request


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
            raise ClusterDocumentError(f"{_DOCUMENT} is not valid JSON") from None
    if not isinstance(value, dict):
        raise ClusterDocumentError(f"{_DOCUMENT} is not a JSON object")
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
            raise ClusterDocumentError(
                f"{_DOCUMENT}: {where} is given twice (snake and camel case)"
            )
        out[camel] = _camel_keys(item, (*path, camel))
    return out


def _require(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path`, or a ClusterDocumentError naming the first missing key."""
    node: Any = document
    for depth, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            snake = _snake(key)
            where = ".".join([*map(_snake, path[:depth]), snake])
            also = f" ({key})" if snake != key else ""
            raise ClusterDocumentError(f"{_DOCUMENT} has no {where}{also}")
        node = node[key]
    return node


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _check_instance_types(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise ClusterDocumentError(
            f"{_DOCUMENT}: {'.'.join(_AWS_PATH)}.instanceTypes is not a list"
        )
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ClusterDocumentError(
                f"{_DOCUMENT}: {'.'.join(_AWS_PATH)}.instanceTypes[{index}] has no name"
            )
