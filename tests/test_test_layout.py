"""Any combination of test directories collects: `pytest tests/e2e tests/github` and the like.

The test folders are not packages, so pytest imports each module by its basename (rootdir
`prepend` mode): two modules of one basename, or a test importing `conftest` (each folder's
conftest is a different module of that one name), work or fail by the order of collection.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).parent


def _modules() -> list[Path]:
    """The Python modules imported by basename: those not inside a package of tests/."""
    return [
        path
        for path in sorted(TESTS.rglob("*.py"))
        if path.name not in ("conftest.py", "__init__.py")
        and "node_modules" not in path.parts
        and not (path.parent / "__init__.py").exists()
    ]


def test_no_two_test_modules_share_a_basename() -> None:
    by_name: defaultdict[str, list[str]] = defaultdict(list)
    for path in _modules():
        by_name[path.stem].append(str(path.relative_to(TESTS)))
    shared = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert not shared, f"rename one of each (modules are imported by basename): {shared}"


def test_no_test_imports_a_conftest() -> None:
    """Helpers a test imports live in a module of their own (tests/builders.py), not conftest."""
    importing = []
    for path in [*_modules(), *TESTS.rglob("conftest.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(name.split(".")[-1] == "conftest" for name in names):
                importing.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert not importing, f"import from tests/builders.py or a helper module instead: {importing}"
