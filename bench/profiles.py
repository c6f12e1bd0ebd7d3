"""Profiles for a missed target: cProfile of `gridsync plan`, `python -X importtime` of start-up."""

from __future__ import annotations

import pstats
import sys
from dataclasses import dataclass
from pathlib import Path

from measure import run_timed
from scenarios import Bench

# Where a plan's time goes: (file suffix, function) whose cumulative time is one part of the work.
PLAN_PARTS = (
    (
        "gridsync/config/schemas.py",
        "check",
        "JSON Schema checks (jsonschema-rs)",
    ),
    ("gridsync/config/yamlsrc.py", "read_yaml_file", "reading + libyaml compose + building values"),
    ("gridsync/config/discover.py", "discover", "finding files (globs, symlink checks)"),
    ("gridsync/plan/diff.py", "compute_plan", "the diff (compute_plan)"),
    ("gridsync/render/text.py", "render_plan", "rendering the text plan"),
)


@dataclass(frozen=True)
class Part:
    label: str
    seconds: float
    share: float


@dataclass(frozen=True)
class PlanProfile:
    total: float
    parts: tuple[Part, ...]
    excerpt: str  # the functions with the most cumulative time, as pstats prints them


# Run a module as `python -m` would, on one CPU: gridsync then reads every run config itself,
# where on two it forks a child for half of them (gridsync/twocores.py), which cProfile never sees.
ONE_CPU = (
    "import os, runpy, sys; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
    "sys.argv = sys.argv[1:]; runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)"
)


def profile_plan(bench: Bench, root: Path) -> PlanProfile:
    """cProfile of `gridsync plan` on one CPU, by the parts of PLAN_PARTS."""
    out = bench.work / "plan.prof"
    cmd = [sys.executable, "-c", ONE_CPU, "cProfile", "-o", str(out), "-m", "gridsync"]
    run_timed([*cmd, "--color", "never", "plan"], cwd=root, env=bench.env, timeout=300).check(
        "gridsync plan under cProfile"
    )
    stats = pstats.Stats(str(out))
    table = stats.stats  # type: ignore[attr-defined]  # pstats keeps its data here, untyped
    total = float(stats.total_tt)  # type: ignore[attr-defined]
    parts = []
    for suffix, name, label in PLAN_PARTS:
        seconds = sum(
            v[3] for (path, _, func), v in table.items() if path.endswith(suffix) and func == name
        )
        parts.append(Part(label, seconds, seconds / total if total else 0.0))
    return PlanProfile(total, tuple(parts), _excerpt(table))


def _excerpt(table: dict[tuple[str, int, str], tuple[int, int, float, float, object]]) -> str:
    """The top functions by cumulative time below the command itself, and by own time."""
    rows = sorted(table.items(), key=lambda item: item[1][3], reverse=True)
    useful = [r for r in rows if "/gridsync/" in r[0][0] or "jsonschema" in r[0][0]]
    by_own = sorted(table.items(), key=lambda item: item[1][2], reverse=True)
    lines = ["   ncalls    tottime    cumtime  function  (sorted by cumulative time)"]
    lines += [_row(key, value) for key, value in _below_command(useful)[:16]]
    lines += ["", "   ncalls    tottime    cumtime  function  (sorted by own time)"]
    lines += [_row(key, value) for key, value in by_own[:10]]
    return "\n".join(lines)


def _below_command(
    rows: list[tuple[tuple[str, int, str], tuple[int, int, float, float, object]]],
) -> list[tuple[tuple[str, int, str], tuple[int, int, float, float, object]]]:
    """Skip the click and command wrappers: start at the first function that loads the files."""
    for i, ((_, _, func), _) in enumerate(rows):
        if func in ("load_desired", "load_inputs", "inputs_for"):
            return rows[i:]
    return rows


def _row(key: tuple[str, int, str], value: tuple[int, int, float, float, object]) -> str:
    path, line, func = key
    short = path.split("site-packages/")[-1].split("/gridsync/")[-1]
    if "/gridsync/" in path:
        short = "gridsync/" + short
    return f"{value[1]:>9} {value[2]:>10.3f} {value[3]:>10.3f}  {short}:{line}({func})"


def import_profile(bench: Bench) -> str:
    """`python -X importtime -m gridsync --version`: the imports with the most cumulative time."""
    cmd = [sys.executable, "-X", "importtime", "-m", "gridsync", "--version"]
    run = run_timed(cmd, cwd=bench.work, env=bench.env, timeout=60).check("-X importtime")
    rows = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
        rows.append((int(cumulative), int(own), name))
    rows.sort(reverse=True)
    lines = ["  own (us) | cumulative (us) | module"]
    lines += [f"{own:>10} | {cum:>15} | {name}" for cum, own, name in rows[:20]]
    return "\n".join(lines)
