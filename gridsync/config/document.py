"""Live managed fields -> a cluster document: the YAML `gridsync import` writes (pure, no I/O).

`cluster_document` is the one place that maps a live ClusterSpec to the fields of a `kind: Cluster`
document, the inverse of `config/cluster.py`'s `_build`: whatever it writes loads back into the
same spec, so a plan against the cluster it came from shows no change. Every field gridsync
manages is written, defaults included (instance types are always listed, options kept). Secret
fields (model.SECRET_FIELDS) are never written: each becomes an `${env:VAR}` reference whose name
`secret_variable` derives from the cluster name, and the caller tells the user which to set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from gridsync.model import SECRET_FIELDS, ClusterSpec, InstanceType

API_VERSION = "gridsync/v1"


@dataclass(frozen=True)
class ClusterDocument:
    """One document to write, and the environment variables it needs (VAR, field)."""

    name: str
    fields: dict[str, Any]
    variables: tuple[tuple[str, str], ...] = ()

    def text(self, comment: str = "") -> str:
        """The document as YAML; `comment` (one line, no secrets) goes first."""
        head = f"# {comment}\n" if comment else ""
        body = yaml.safe_dump(self.fields, sort_keys=False, allow_unicode=True, width=1000)
        return head + body


def secret_variable(cluster: str, field: str) -> str:
    """GRIDSYNC_<CLUSTER>_<FIELD>, e.g. GRIDSYNC_ML_PROD_USW2_EXTERNAL_ID (names are [a-z0-9-])."""
    return f"GRIDSYNC_{re.sub(r'[^A-Z0-9]', '_', cluster.upper())}_{field.upper()}"


def cluster_document(
    name: str,
    spec: ClusterSpec,
    *,
    protect: bool = False,
    context: bool = False,
    runs: Sequence[str] = (),
) -> ClusterDocument:
    """The document declaring `name` as `spec` is: the live -> desired mapping of every field."""
    fields: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "Cluster",
        "name": name,
        "provider": "aws",
        "region": _literal(spec.region),
    }
    variables: list[tuple[str, str]] = []
    for field in ("role_arn", "external_id"):
        value: str = getattr(spec, field)
        if field in SECRET_FIELDS:
            variable = secret_variable(name, field)
            variables.append((variable, field))
            fields[field] = f"${{env:{variable}}}"
        else:
            fields[field] = _literal(value)
    fields["instance_types"] = [_instance_type(t) for t in spec.instance_types]
    fields["cost_savings"] = spec.cost_savings
    if protect:
        fields["protect"] = True
    if context:
        fields["context"] = True
    if runs:
        fields["runs"] = list(runs)
    return ClusterDocument(name, fields, tuple(variables))


def _instance_type(item: InstanceType) -> str | dict[str, Any]:
    """A bare name when it has no options, as people write it; else the mapping form."""
    if item.overprovisioned_ondemand_count is None and item.root_volume_size is None:
        return _literal(item.name)
    entry: dict[str, Any] = {"name": _literal(item.name)}
    if item.overprovisioned_ondemand_count is not None:
        entry["overprovisioned_ondemand_count"] = item.overprovisioned_ondemand_count
    if item.root_volume_size is not None:
        entry["root_volume_size"] = item.root_volume_size
    return entry


def _literal(text: str) -> str:
    """A string that `${env:}` substitution reads back unchanged (`$${` writes a literal `${`)."""
    return text.replace("${", "$${")
