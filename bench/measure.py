"""Measuring tools for bench/run.py: timed subprocesses with their peak memory, medians, the machine,
and the local Grid control plane served over loopback HTTP with its request log timestamped."""

from __future__ import annotations

import atexit
import json
import os
import platform
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
_SCRUBBED_PREFIXES = ("AWS_", "GRID_", "GRIDSYNC_", "GITHUB_", "TF_", "BOTO")
# PYTHONDONTWRITEBYTECODE too: the untimed first runs write byte-code, as a first run on a
# user's machine does; where it is set (some sandboxes), every measured run would compile gridsync.
_SCRUBBED = {
    "NO_COLOR",
    "FORCE_COLOR",
    "CI",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "PYTHONDONTWRITEBYTECODE",
}
_LOG_LINE = re.compile(r"^([A-Z]+) (\S+) (\d{3}) ([0-9.]+)ms")


class BenchError(RuntimeError):
    """A measured command failed or a limit was hit: the benchmark cannot report a number."""


@dataclass(frozen=True)
class Stat:
    """Several measurements of one figure."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def show(self, unit: str = "s", digits: int = 2) -> str:
        """`1.23 s (median of 5; min 1.20, max 1.31)`."""
        f = f"{{:.{digits}f}}"
        median = f.format(self.median)
        if len(self.values) == 1:
            return f"{median} {unit} (1 run)"
        spread = f"min {f.format(self.low)}, max {f.format(self.high)}"
        return f"{median} {unit} (median of {len(self.values)}; {spread})"


@dataclass(frozen=True)
class Run:
    """One finished subprocess: wall time, exit code, peak RSS (KiB) and its output."""

    seconds: float
    code: int
    max_rss_kib: int
    stdout: str
    stderr: str
    started: float  # time.perf_counter() when it was started
    cpu: float = 0.0  # its own user + system CPU seconds (less noisy than wall time on a busy host)

    @property
    def ended(self) -> float:
        return self.started + self.seconds

    def check(self, what: str) -> Run:
        if self.code != 0:
            tail = "\n".join((self.stderr or self.stdout).splitlines()[-15:])
            raise BenchError(f"{what} exited {self.code}:\n{tail}")
        return self


def gridsync_command() -> list[str]:
    """The installed `gridsync` entry point beside this interpreter, else `python -m gridsync`."""
    script = Path(sys.executable).parent / "gridsync"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "gridsync"]


def clean_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without credentials or settings that could reach a real account, with HOME
    and Grid's settings files inside the benchmark's own directory."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SCRUBBED_PREFIXES) and k.upper() not in _SCRUBBED
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        GRID_SETTINGS_PATH=str(home / ".grid" / "settings.json"),
        GRID_CREDENTIAL_PATH=str(home / ".grid" / "credentials.json"),
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
    )
    env.update(extra or {})
    return env


def run_timed(cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float) -> Run:
    """Run `cmd` to its end, through the spawner; its own peak RSS comes from wait4."""
    with tempfile.TemporaryDirectory() as tmp:
        out, err = Path(tmp, "out"), Path(tmp, "err")
        job = {"cmd": list(cmd), "cwd": str(cwd), "env": dict(env), "timeout": timeout}
        done = _spawner().run({**job, "out": str(out), "err": str(err)})
        text_out = out.read_bytes().decode("utf-8", "replace")
        text_err = err.read_bytes().decode("utf-8", "replace")
    if done["seconds"] >= timeout:
        raise BenchError(f"{' '.join(cmd)} took longer than {timeout:.0f}s and was stopped")
    return Run(
        done["seconds"], done["code"], done["rss"], text_out, text_err, done["start"], done["cpu"]
    )


# The spawner runs every timed command. Linux starts a process's peak RSS (ru_maxrss) from the
# high-water mark of the process that spawned it (kept at exec), so commands spawned by the
# benchmark itself, which grows to 100 MiB and more as it runs, would all report at least that.
# The spawner is a small process started first (~10 MiB, the least any figure can show); its
# timings are perf_counter readings, the same clock (CLOCK_MONOTONIC) as the benchmark's.
SPAWNER = r"""
import json, os, subprocess, sys, threading, time
for line in sys.stdin:
    job = json.loads(line)
    with open(job["out"], "wb") as out, open(job["err"], "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(job["cmd"], cwd=job["cwd"], env=job["env"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        timer = threading.Timer(job["timeout"], proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "code": os.waitstatus_to_exitcode(status),
                      "rss": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
                      "start": start}), flush=True)
"""


class _Spawner:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603  (our own code)
            [sys.executable, "-c", SPAWNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, job: dict[str, object]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None  # noqa: S101
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except OSError as exc:
            raise BenchError(f"the benchmark's spawner is gone: {exc}") from exc
        if not line:
            raise BenchError(f"the benchmark's spawner is gone (exit {self.proc.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


_SPAWNERS: list[_Spawner] = []


def _spawner() -> _Spawner:
    """The one spawner, started on first use (the benchmark's first command, while it is small)."""
    if not _SPAWNERS:
        _SPAWNERS.append(_Spawner())
        atexit.register(_SPAWNERS[0].stop)
    return _SPAWNERS[0]


def read_text(cmd: Sequence[str], cwd: Path = REPO) -> str:
    """A short informational command's output ('' when it cannot run)."""
    try:
        done = subprocess.run(  # noqa: S603
            list(cmd), cwd=cwd, capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


@dataclass(frozen=True)
class Machine:
    cpus: str
    cpu_model: str
    memory: str
    python: str
    os: str
    gridsync: str
    commit: str


def machine(gridsync: Sequence[str], env: Mapping[str, str]) -> Machine:
    version = run_timed([*gridsync, "--version"], cwd=REPO, env=env, timeout=30).stdout.strip()
    commit = read_text(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    if read_text(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes in the working tree)"
    return Machine(
        cpus=read_text(["nproc"]) or str(os.cpu_count()),
        cpu_model=_proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        memory=_memory(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        os=f"{platform.system()} {platform.release()}",
        gridsync=version or "unknown",
        commit=commit,
    )


def _proc_field(path: str, name: str) -> str:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return ""


def _memory() -> str:
    total = _proc_field("/proc/meminfo", "MemTotal")
    if not total.endswith("kB"):
        return total or "unknown"
    return f"{int(total.split()[0]) / 1024 / 1024:.1f} GiB"


@dataclass(frozen=True)
class Request:
    """One line of the server's request log: when it ended (bench clock), what, how long."""

    ended: float
    method: str
    path: str  # without the query
    status: int
    ms: float

    @property
    def started(self) -> float:
        return self.ended - self.ms / 1000


class GridServer:
    """`gridsync -C ROOT local-grid serve` on 127.0.0.1 with a port of its own choosing."""

    def __init__(self, gridsync: Sequence[str], root: Path, env: Mapping[str, str]) -> None:
        self.cmd = [*gridsync, "--color", "never", "-C", str(root), "local-grid", "serve"]
        self.env = {**env, "PYTHONUNBUFFERED": "1"}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, *args: str, timeout: float = 20) -> str:
        proc = subprocess.Popen(  # noqa: S603
            [*self.cmd, "--host", "127.0.0.1", "--port", "0", *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._proc = proc
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(_readline(proc)), daemon=True).start()
        threading.Thread(target=self._read_log, args=(proc,), daemon=True).start()
        try:
            self.url = lines.get(timeout=timeout).strip()
        except queue.Empty:
            self.stop()
            raise BenchError("the local control plane did not print its URL") from None
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise BenchError(f"the local control plane printed {self.url!r}, not a loopback URL")
        return self.url

    def _read_log(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None  # noqa: S101  (Popen was given stderr=PIPE)
        for line in proc.stderr:
            found = _LOG_LINE.match(line)
            if found:
                method, target, status, ms = found.groups()
                request = Request(
                    time.perf_counter(), method, target.split("?")[0], int(status), float(ms)
                )
                with self._lock:
                    self.requests.append(request)

    def taken(self) -> list[Request]:
        """The requests logged so far, and a fresh log."""
        time.sleep(0.2)  # the last lines are written after their answers
        with self._lock:
            taken, self.requests = self.requests, []
        return taken

    def stop(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> GridServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _readline(proc: subprocess.Popen[str]) -> str:
    return proc.stdout.readline() if proc.stdout is not None else ""
