"""gridsync: plan and apply Grid clusters declared in YAML."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gridsync")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"
