"""Measure gridsync's performance targets and (re)write docs/performance.md.

    python bench/run.py [--quick] [--repeat 5] [--shape-sizes 500,1000,2000] [--no-write]
                        [--out FILE] [--keep DIR] [--apply-only]

validate and plan of a large generated fleet beside a libyaml floor, apply of many creates against
the local Grid control plane over loopback HTTP beside the ideal and the runbook's way, API requests
per poll round, the plan's peak memory and start-up time; then several fleet shapes at three or
more sizes against the floor, and `terraform plan` of an equivalent module fleet (bench/shapes.py). `--quick` uses small sizes for a smoke
run; `--no-write` prints the document instead of writing it. Loopback only; every command has a
timeout and the whole run a time budget.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apply_shapes import FULL_CASES, QUICK_CASES, Shapes, shape_line
from apply_shapes import shapes_scenario as apply_shapes_scenario
from measure import REPO, BenchError, clean_env, gridsync_command, machine
from profiles import import_profile, profile_plan
from report import (
    FLOOR_FACTOR,
    PLAN_SECONDS,
    STARTUP_SECONDS,
    Results,
    render,
)
from scenarios import (
    FULL,
    QUICK,
    QUICK_SLOW_CLOCK,
    SLOW_CLOCK,
    Bench,
    PlanResult,
    apply_scenario,
    plan_after_apply,
    plan_scenario,
    runbook_scenario,
    startup_scenario,
)
from shapes import FULL_SIZES, QUICK_SIZES, shapes_scenario, terraform_scenario

BUDGET = {True: 60.0, False: 270.0}  # seconds after which no further repetition starts


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    sizes = QUICK if args.quick else FULL
    if args.repeat is not None:
        sizes = replace(sizes, repeat=max(1, args.repeat))
    with tempfile.TemporaryDirectory(prefix="gridsync-bench-") as tmp:
        work = args.keep or Path(tmp)
        if not _usable(work):
            print(
                f"bench/run.py: --keep {work}: not empty and not an earlier bench dir",
                file=sys.stderr,
            )
            return 2
        env = clean_env(work / "home")
        bench = Bench(work, gridsync_command(), env, sizes, started + BUDGET[args.quick])
        if args.apply_only:
            return _apply_only(bench, args)
        try:
            results = _measure(bench, args, started)
        except BenchError as exc:
            print(f"bench/run.py: {exc}", file=sys.stderr)
            return 1
    text = render(results)
    if args.no_write:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"Wrote {args.out} in {time.perf_counter() - started:.0f} s.", file=sys.stderr)
    return 0


def _usable(work: Path) -> bool:
    """A work directory is new, empty or an earlier one (marked): never a real project."""
    marker = work / ".gridsync-bench"
    if work.exists() and any(work.iterdir()) and not marker.exists():
        return False
    work.mkdir(parents=True, exist_ok=True)
    marker.touch()
    return True


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--repeat", type=int, help="runs per figure (default 5; --quick: 2)")
    parser.add_argument("--no-write", action="store_true", help="print the report instead")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    parser.add_argument("--keep", type=Path, help="work in DIR and leave it (default: a temp dir)")
    parser.add_argument(
        "--apply-only",
        action="store_true",
        help="measure only apply over HTTP (creates; by shape) and start-up, and print the "
        "figures instead of writing the document (which needs every part)",
    )
    parser.add_argument(
        "--shape-sizes",
        type=_sizes,
        help="cluster counts for the fleet shapes, at least three (default 500,1000,2000; "
        "--quick: 4,8,16)",
    )
    return parser


def _measure(bench: Bench, args: argparse.Namespace, started: float) -> Results:
    _say("machine")
    host = machine(bench.gridsync, bench.env)
    _say("validate and plan")
    plan = plan_scenario(bench)
    plan_profile = None
    if _plan_missed(plan):
        _say("plan target missed: profiling a plan")
        plan_profile = profile_plan(bench, plan.fleet.root)
    _say("apply on the local control plane, then plan again")
    plan = plan_after_apply(bench, plan)
    shape_sizes = args.shape_sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    _say(f"fleet shapes at {', '.join(map(str, shape_sizes))} clusters")
    rounds = 1 if args.quick else min(3, bench.sizes.repeat)
    shapes = tuple(shapes_scenario(bench, shape_sizes, rounds))
    _say("terraform plan of a module fleet")
    terraform = terraform_scenario(bench, bench.sizes.clusters, rounds)  # beside plan_again
    _say("apply over HTTP")
    applied = apply_scenario(bench)
    _say("apply over HTTP at a ten times slower clock")
    slow = apply_scenario(bench, QUICK_SLOW_CLOCK if args.quick else SLOW_CLOCK, times=3)
    _say("apply by shape: creates, updates and deletes")
    cases = QUICK_CASES if args.quick else FULL_CASES
    apply_shapes = apply_shapes_scenario(
        Shapes(bench.work, bench.gridsync, bench.env), cases, 1 if args.quick else 3, bench.deadline
    )
    _say("the runbook's way")
    runbook = runbook_scenario(bench)
    _say("start-up")
    startup = startup_scenario(bench)
    slow_start = max(startup.help.median, startup.version.median) >= STARTUP_SECONDS
    return Results(
        machine=host,
        command=_command(args),
        quick=args.quick,
        sizes=bench.sizes,
        plan=plan,
        apply=applied,
        apply_slow=slow,
        runbook=runbook,
        startup=startup,
        plan_profile=plan_profile,
        import_profile=import_profile(bench) if slow_start else None,
        elapsed=time.perf_counter() - started,
        shapes=shapes,
        shape_sizes=shape_sizes,
        terraform=terraform,
        apply_shapes=tuple(apply_shapes),
        apply_shapes_command=".venv/bin/python bench/apply_shapes.py --repeat 3",
    )


def _apply_only(bench: Bench, args: argparse.Namespace) -> int:
    """The apply and start-up parts alone, printed (validate and plan are not run)."""
    try:
        _say("apply over HTTP")
        applied = apply_scenario(bench)
        _say("apply by shape: creates, updates and deletes")
        cases = QUICK_CASES if args.quick else FULL_CASES
        shapes = Shapes(bench.work, bench.gridsync, bench.env)
        by_shape = apply_shapes_scenario(shapes, cases, bench.sizes.repeat, bench.deadline)
        _say("start-up")
        startup = startup_scenario(bench)
    except BenchError as exc:
        print(f"bench/run.py: {exc}", file=sys.stderr)
        return 1
    print(
        f"apply of {applied.clusters} creates: wall {applied.stat('wall').show()}, ideal "
        f"{applied.stat('ideal').show()}, ratio {applied.ratio.show('x')}; start-up and plan "
        f"{applied.stat('startup_and_plan').show()}, submission "
        f"{applied.stat('submission').show()}, waiting {applied.stat('waiting').show()}, "
        f"finishing {applied.stat('finishing').show()}"
    )
    for r in by_shape:
        print(shape_line(r))
    print(f"gridsync --help: {startup.help.show(digits=3)}")
    print(f"gridsync --version: {startup.version.show(digits=3)}")
    print(f"python -c pass: {startup.bare_python.show(digits=3)}")
    return 0


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    if len(sizes) < 3 or sizes[0] < 1:
        raise argparse.ArgumentTypeError("give at least three positive cluster counts")
    return sizes


def _plan_missed(plan: PlanResult) -> bool:
    floor = FLOOR_FACTOR * plan.floor_compose.median
    slowest = max(plan.plan.median, plan.validate.median)
    return slowest >= PLAN_SECONDS or slowest > floor


def _command(args: argparse.Namespace) -> str:
    words = [".venv/bin/python", "bench/run.py"]
    if args.apply_only:
        words.append("--apply-only")
    if args.quick:
        words.append("--quick")
    if args.repeat is not None:
        words += ["--repeat", str(args.repeat)]
    if args.shape_sizes is not None:
        words += ["--shape-sizes", ",".join(map(str, args.shape_sizes))]
    return shlex.join(words)


def _say(what: str) -> None:
    print(f"bench: {what} ...", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
