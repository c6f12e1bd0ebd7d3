"""What `gridsync import` wrote, for people: files, the variables to set, what was skipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gridsync.config.document import ClusterDocument
from gridsync.escapes import clean


def render_imported(
    files: Mapping[str, Sequence[ClusterDocument]], unbound: Sequence[tuple[str, str]] = ()
) -> str:
    lines: list[str] = []
    for rel, documents in files.items():
        names = ", ".join(d.name for d in documents)
        lines.append(f"Wrote {clean(rel)} ({names})")
    variables = [v for documents in files.values() for d in documents for v in _named(d)]
    if variables:
        lines += ["", "Set these environment variables before plan and apply (values not shown):"]
        lines += [f"  {line}" for line in variables]
    for path, why in unbound:
        lines.append(f"Not bound: {clean(path)} {why}")
    count = sum(len(documents) for documents in files.values())
    lines += ["", f"Imported {count} cluster(s). Check with `gridsync plan`: it shows no change."]
    return "\n".join(lines) + "\n"


def _named(document: ClusterDocument) -> list[str]:
    return [f"{variable}  ({field} of {document.name})" for variable, field in document.variables]


def render_skipped(refused: Sequence[tuple[str, str]]) -> str:
    """(cluster name, why) per cluster --all left out."""
    lines = [f"  {clean(name)}: {clean(why)}" for name, why in refused]
    return "\n".join([f"Not imported ({len(refused)}):", *lines])
