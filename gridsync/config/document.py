"""Live managed fields -> a cluster document: the YAML `gridsync import` writes (pure, no I/O).

`cluster_document` is the one place that maps a live ClusterSpec to the fields of a `kind: Cluster`
document, row by row of model.FIELDS (each row's `to_yaml`, the inverse of its `from_yaml`):
whatever it writes loads back into the same spec, so a plan against the cluster it came from
shows no change. Every field gridsync manages is written, defaults included (instance types are
always listed, options kept). Secret fields are never written: each becomes an `${env:VAR}` reference whose name
`secret_variable` derives from the cluster name, and the caller tells the user which to set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import yaml

from gridsync.escapes import identifier
from gridsync.spec import FIELDS, ClusterSpec

API_VERSION = "gridsync/v1"


class ClusterDocument(NamedTuple):
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
    return f"GRIDSYNC_{identifier(cluster).upper()}_{field.upper()}"


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
    }
    variables: list[tuple[str, str]] = []
    for field in FIELDS:  # every managed field, in the table's order
        if field.secret:
            variable = secret_variable(name, field.name)
            variables.append((variable, field.name))
            fields[field.name] = f"${{env:{variable}}}"
        else:
            fields[field.name] = _literal(field.to_yaml(getattr(spec, field.name)))
    if protect:
        fields["protect"] = True
    if context:
        fields["context"] = True
    if runs:
        fields["runs"] = list(runs)
    return ClusterDocument(name, fields, tuple(variables))


def _literal(value: Any) -> Any:
    """A value whose strings `${env:}` substitution reads back unchanged (`$${` writes a literal
    `${`), in lists and mappings too."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, list):
        return [_literal(item) for item in value]
    if isinstance(value, dict):
        return {key: _literal(item) for key, item in value.items()}
    return value
