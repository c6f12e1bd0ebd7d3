"""Terraform outputs: the named values apply reads (a role and external id; a module's cluster
document, which the backend parses: gridsync.live.gridv1), and the secrets among them.

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

ROLE_FIELDS = ("role_arn", "external_id")

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
