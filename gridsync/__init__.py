"""gridsync: plan and apply Grid clusters declared in YAML."""

from __future__ import annotations

# The one version source: pyproject.toml reads it from here (`[tool.setuptools.dynamic]`), so the
# installed metadata says the same, and `gridsync --version`, the User-Agent and plan files need no
# importlib.metadata (importing it and scanning sys.path for the distribution costs ~20 ms).
__version__ = "0.1.0"
