"""The README's picture of the layers is the import graph: every import of every module of
gridsync (lazy and type-only ones included) goes from a row to a row below it, and every package
is drawn. A new dependency upward, or a package nobody drew, fails here."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gridsync"
CORE = "core"
# The package itself (its version) and `python -m gridsync`, which runs the CLI: above every row.
ENTRY_POINTS = {"gridsync", "gridsync.__main__"}


@functools.cache
def picture() -> list[set[str]]:
    """The rows of the layer table in README's "How it works", top first."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## How it works") :]
    block = re.search(r"```\nlayer +what it holds\n(.*?)```", section, re.S)
    assert block, "README's How it works has no layer table"
    rows: list[set[str]] = []
    for line in block.group(1).splitlines():
        names = re.match(r"([a-z]+(?: · [a-z]+)*)  ", line)
        assert names, f"not a layer row: {line!r}"
        rows.append(set(names.group(1).split(" · ")))
    return rows


def unit(module: str) -> str:
    """gridsync.plan.diff -> plan; gridsync.errors (a module directly in gridsync/) -> core,
    unless the picture draws it on its own row (gridsync.backends -> backends)."""
    parts = module.split(".")
    drawn = {name for row in picture() for name in row}
    if len(parts) > 1 and ((PACKAGE / parts[1]).is_dir() or parts[1] in drawn):
        return parts[1]
    return CORE


def imported(tree: ast.AST) -> set[str]:
    """Every gridsync module a module imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "gridsync" and _exists(name)}


def _exists(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def edges() -> dict[tuple[str, str], str]:
    """(from unit, to unit) -> one module where it happens."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if module in ENTRY_POINTS:
            continue
        for target in imported(ast.parse(path.read_text())):
            pair = (unit(module), unit(target))
            if pair[0] != pair[1] and target != "gridsync":
                found.setdefault(pair, f"{module} imports {target}")
    return found


def test_every_package_is_drawn_once() -> None:
    rows = picture()
    drawn = [name for row in rows for name in row]
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    modules = {name for name in drawn if (PACKAGE / f"{name}.py").is_file()}
    assert len(drawn) == len(set(drawn)), "a name drawn twice"
    assert set(drawn) == packages | modules | {CORE}, "README's layers and gridsync/ differ"


def test_every_import_goes_down_the_picture() -> None:
    level = {name: depth for depth, row in enumerate(picture()) for name in row}
    upward = [
        where for (source, target), where in edges().items() if level[target] <= level[source]
    ]
    assert upward == [], "imports against README's layers: move the code, or redraw the picture"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The scan finds lazy imports inside functions, so the check above can fail."""
    tree = ast.parse("def f():\n    from gridsync.plan import diff\n")
    assert imported(tree) == {"gridsync.plan", "gridsync.plan.diff"}
    assert unit("gridsync.plan.diff") == "plan" and unit("gridsync.errors") == CORE
