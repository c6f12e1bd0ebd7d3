"""gridsync: plan and apply Grid clusters declared in YAML."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed metadata when first asked for (importing
    importlib.metadata costs ~18 ms, which `gridsync plan` need not pay)."""
    if name != "__version__":
        raise AttributeError(f"module 'gridsync' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("gridsync")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        found = "0+unknown"
    globals()["__version__"] = found
    return found
