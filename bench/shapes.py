"""Fleet shapes for bench/run.py: validate and plan of several project shapes at three or more
sizes, each beside the libyaml floor measured in the same rounds, with a growth exponent; and
`terraform plan` of an equivalent module fleet for a side-by-side.

Rounds are interleaved (floor, validate, plan, then again) so that a busy machine slows all three
alike, and the floor, first in each round, warms the file cache for the other two; the ratios use medians, and CPU seconds (user + system of the process) are reported next to
wall time because they move less when other work shares the cores.
"""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fleet import FleetSpec, write_fleet
from measure import BenchError, Run, Stat, run_timed
from scenarios import FLOOR_CODE, Bench


@dataclass(frozen=True)
class Shape:
    name: str
    what: str
    spec: Callable[[int], FleetSpec]  # clusters -> the fleet


SHAPES = (
    Shape(
        "many documents per file",
        "20 cluster documents per file, 5 run configs per cluster, a tenth of the clusters bind "
        "every fifth run config",
        lambda n: FleetSpec(n, max(1, n // 20), 5 * n),
    ),
    Shape(
        "flat files",
        "one cluster document per file, 5 run configs per cluster",
        lambda n: FleetSpec(n, n, 5 * n),
    ),
    Shape(
        "`**` bindings, nested run folders, many edits",
        "20 documents per file; every cluster binds `runs/TEAM/NAME/**/*.yaml`, 5 run configs two "
        "or three folders deep below it, three in five naming another cluster (the plan edits them)",
        lambda n: FleetSpec(n, max(1, n // 20), 5 * n, shape="bound"),
    ),
    Shape(
        "small run configs",
        "20 documents per file, 5 run configs of 6 lines per cluster (cluster, instance, gpus), a "
        "tenth of the clusters bind every fifth one: the floor is small and per-file costs weigh most",
        lambda n: FleetSpec(n, max(1, n // 20), 5 * n, run_size="small"),
    ),
    Shape(
        "`**` bindings, small run configs, many edits",
        "the `**` bindings shape with the 6-line run configs: a small floor and three edits in five "
        "files, the plan's per-edit costs weigh most",
        lambda n: FleetSpec(n, max(1, n // 20), 5 * n, shape="bound", run_size="small"),
    ),
)
QUICK_SIZES = (4, 8, 16)
FULL_SIZES = (500, 1000, 2000)


@dataclass(frozen=True)
class Point:
    clusters: int
    runs: int
    edits: int
    floor: Stat
    validate: Stat
    plan: Stat
    floor_cpu: Stat
    validate_cpu: Stat
    plan_cpu: Stat
    plan_rss_mib: Stat


@dataclass(frozen=True)
class ShapeResult:
    shape: Shape
    points: tuple[Point, ...]

    def exponent(self, figure: str) -> float:
        """The slope of log(time) over log(clusters), least squares: 1.0 is linear."""
        xs = [math.log(p.clusters) for p in self.points]
        ys = [math.log(max(getattr(p, figure).median, 1e-6)) for p in self.points]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        den = sum((x - mx) ** 2 for x in xs)
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


@dataclass(frozen=True)
class TerraformResult:
    modules: int
    version: str
    plan: Stat | None  # None: no terraform binary, or it failed (why says so)
    why: str = ""


def shapes_scenario(bench: Bench, sizes: tuple[int, ...], repeat: int) -> list[ShapeResult]:
    return [
        ShapeResult(shape, tuple(_point(bench, shape, n, repeat) for n in sizes))
        for shape in SHAPES
    ]


def _point(bench: Bench, shape: Shape, clusters: int, repeat: int) -> Point:
    root = bench.work / "shape"
    fleet = write_fleet(root, shape.spec(clusters))
    listing = bench.work / "shape-files.txt"
    listing.write_text("\n".join(str(p) for p in fleet.yaml_files), encoding="utf-8")
    floor_cmd = [sys.executable, "-c", FLOOR_CODE, str(listing), "compose"]
    want = f"Plan: {clusters} to create, 0 to update, 0 to replace, 0 to delete."
    rounds: list[tuple[Run, Run, Run]] = []
    for _ in range(repeat):
        floor = run_timed(floor_cmd, cwd=root, env=bench.env, timeout=bench.timeout)
        validate = bench.run(["validate"], root).check("gridsync validate")
        plan = bench.run(["plan"], root).check("gridsync plan")
        if want not in plan.stdout:
            raise BenchError(f"gridsync plan did not print {want!r}:\n{plan.stdout[-2000:]}")
        rounds.append((floor.check("the floor"), validate, plan))
    edits = _edits(rounds[0][2].stdout)
    shutil.rmtree(root / ".gridsync", ignore_errors=True)
    return Point(
        clusters,
        len(fleet.run_files),
        edits,
        *(Stat(tuple(r[i].seconds for r in rounds)) for i in range(3)),
        *(Stat(tuple(r[i].cpu for r in rounds)) for i in range(3)),
        Stat(tuple(r[2].max_rss_kib / 1024 for r in rounds)),
    )


def _edits(stdout: str) -> int:
    marker = "Run configs: "
    for line in stdout.splitlines():
        if line.startswith(marker) and " to edit" in line:
            return int(line[len(marker) :].split()[0])
    return 0


# --- terraform plan of an equivalent module fleet -------------------------------------------------

MODULE = """\
variable "name" { type = string }
variable "region" { type = string }
variable "instance_types" { type = list(string) }
locals {
  spec = {
    name           = var.name
    region         = var.region
    instance_types = [for t in var.instance_types : { name = t }]
  }
}
output "spec" { value = local.spec }
"""


def terraform_scenario(bench: Bench, modules: int, repeat: int) -> TerraformResult:
    """`terraform plan` of `modules` instances of a module of locals and outputs (Terraform 1.0.3
    has no terraform_data, and no provider can be installed offline), after an apply, local state."""
    binary = shutil.which("terraform", path=str(Path(sys.executable).parent)) or shutil.which(
        "terraform"
    )
    if binary is None:
        return TerraformResult(modules, "", None, "no terraform binary on PATH or in the venv")
    root = bench.work / "terraform"
    shutil.rmtree(root, ignore_errors=True)
    (root / "cluster").mkdir(parents=True)
    (root / "cluster" / "main.tf").write_text(MODULE, encoding="utf-8")
    blocks = [
        f'module "c{i:05d}" {{\n  source = "./cluster"\n  name = "team-{i:05d}"\n'
        f'  region = "us-east-1"\n  instance_types = ["t3.large", "g4dn.xlarge"]\n}}\n'
        for i in range(modules)
    ]
    (root / "main.tf").write_text("".join(blocks), encoding="utf-8")
    env = {**bench.env, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    timeout = max(bench.timeout, 600.0)

    def tf(*args: str) -> Run:
        return run_timed([binary, *args, "-no-color"], cwd=root, env=env, timeout=timeout)

    version = run_timed([binary, "version"], cwd=root, env=env, timeout=60).stdout.split("\n")[0]
    for step in (("init", "-input=false"), ("apply", "-auto-approve", "-input=false")):
        done = tf(*step)
        if done.code != 0:
            why = f"terraform {step[0]} failed: {done.stderr.strip()[-300:]}"
            return TerraformResult(modules, version, None, why)
    plans = [
        tf("plan", "-input=false", "-lock=false").check("terraform plan") for _ in range(repeat)
    ]
    return TerraformResult(modules, version, Stat(tuple(r.seconds for r in plans)))
