"""bench/: the fleet generator writes a valid project, and the benchmark's quick run reports every
section with numbers. Speed itself is never asserted here (timed tests are flaky by nature)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
GRIDSYNC = [sys.executable, "-m", "gridsync", "--color", "never"]
SECTIONS = (
    "## Machine",
    "## Summary",
    "## Validate and plan",
    "## Fleet shapes",
    "### Side by side: `terraform plan`",
    "## Apply over HTTP",
    "### The runbook's way",
    "## Apply by shape",
    "## API requests per poll round",
    "## Peak memory",
    "## Start-up",
    "## Method",
)
MEDIAN = r"\d+\.\d+ s \((?:median of \d+; min \d+\.\d+, max \d+\.\d+|1 run)\)"


def fleet(target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / "fleet.py"), str(target), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_fleet_writes_a_project_gridsync_validates_and_plans(tmp_path: Path) -> None:
    project = tmp_path / "fleet"
    done = fleet(project, "--clusters", "12", "--files", "3", "--runs", "20")
    assert done.returncode == 0, done.stderr
    cluster_files = sorted((project / "clusters").rglob("*.yaml"))
    run_files = sorted((project / "runs").rglob("*.yaml"))
    assert len(cluster_files) == 3
    assert all(f.read_text().count("\n---\n") >= 1 for f in cluster_files)  # multi-document
    assert len(run_files) == 20
    text = "".join(f.read_text() for f in cluster_files)
    assert text.count("kind: Cluster") == 12
    assert "${env:" in text and ":-" in text and "runs: [" in text and "  - name: " in text

    validated = subprocess.run(
        [*GRIDSYNC, "-C", str(project), "validate"], capture_output=True, text=True, timeout=60
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "12 cluster(s) in 3 file(s) and 20 run config(s) are valid" in validated.stdout
    planned = subprocess.run(
        [*GRIDSYNC, "-C", str(project), "plan"], capture_output=True, text=True, timeout=60
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "Plan: 12 to create, 0 to update, 0 to replace, 0 to delete." in planned.stdout


def test_fleet_is_deterministic_and_never_overwrites_a_real_project(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert fleet(first, "--clusters", "5", "--files", "2", "--runs", "5").returncode == 0
    assert fleet(second, "--clusters", "5", "--files", "2", "--runs", "5").returncode == 0
    texts = [sorted(p.read_text() for p in d.rglob("*.yaml")) for d in (first, second)]
    assert texts[0] == texts[1]

    real = tmp_path / "real"
    real.mkdir()
    (real / "gridsync.yaml").write_text("parallelism: 2\n")
    refused = fleet(real, "--clusters", "5", "--files", "2", "--runs", "0")
    assert refused.returncode == 2
    assert "not overwriting" in refused.stderr
    assert (real / "gridsync.yaml").read_text() == "parallelism: 2\n"
    assert not (real / "clusters").exists()


@pytest.mark.timeout(180)
def test_quick_run_reports_every_section_with_numbers() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--no-write"],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout
    positions = [report.find(heading + "\n") for heading in SECTIONS]
    missing = [s for s in SECTIONS if s + "\n" not in report]
    assert not missing, missing
    assert positions == sorted(positions)

    summary = report[report.index("## Summary") : report.index("## Validate and plan")]
    rows = [line for line in summary.splitlines() if re.match(r"\| (?!target|---)", line)]
    # 9; one per apply shape of the quick run (create, update, delete); validate and plan of each
    # fleet shape (5) at each quick size (3) (memory rows start at 4,000 clusters)
    assert len(rows) == 9 + 3 + 5 * 3 * 2
    assert all(re.search(r"\| [^|]*\d[^|]* \| (met|\*\*missed\*\*) \|$", row) for row in rows)

    for command in ("`gridsync validate`", "`gridsync plan`", "`gridsync --help`"):
        assert re.search(re.escape(command) + r"[^|]* \| " + MEDIAN, report), command
    assert re.search(r"`gridsync apply` wall time \| " + MEDIAN, report)
    for kind in ("creates", "updates", "deletes"):
        assert re.search(rf"\| 20 {kind} \| " + MEDIAN, report), kind
        client_cpu = re.search(rf"^\| 20 {kind} \|.* \| (\d+\.\d+) s \|$", report, re.M)
        assert client_cpu and float(client_cpu.group(1)) > 0, kind  # the apply process's own
    assert re.search(r"\*\*Ideal\*\*\s=\s.*?\*\*\d+\.\d+\ss\*\*", report, re.DOTALL)
    assert re.search(r"ratio \| \d+\.\d+ x", report)
    assert len(re.findall(r"ratio \| \d+\.\d+ x", report)) == 2  # the 1 s clock and a slower one
    assert re.search(r"wall time over the ideal \| \d+\.\d+ s", report)
    assert re.search(r"\| 1 \| \d+ \| \d+ \| \d+ \| \d+ \| \d+ \|", report)  # poll rounds
    assert re.search(r"\| \d+ MB median, \d+ MB max", report)
    assert re.search(r"extrapolated\sto\s\d+\sclusters:\s\*\*\d+\ss\*\*", report)
    assert "| CPUs (`nproc`) | " in report and "| Python | CPython 3." in report
    assert ".venv/bin/python bench/run.py --quick" in report
    shapes = report[report.index("## Fleet shapes") : report.index("## Apply over HTTP")]
    assert (
        len(re.findall(r"^Growth exponent: floor -?\d+\.\d+, validate -?\d+\.\d+", shapes, re.M))
        == 5
    )
    assert len(re.findall(r"^\| \d+ \(\d+, \d+\) \| \d+\.\d+ s", shapes, re.M)) == 15
    assert re.search(r"`terraform plan -lock=false` of \d+ instances.*?\d+\.\d+ s", shapes, re.S)
