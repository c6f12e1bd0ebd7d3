"""The measured scenarios of bench/run.py. Each returns plain results; report.py writes them up."""

from __future__ import annotations

import base64
import http.client
import json
import math
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from fleet import Fleet, FleetSpec, write_fleet
from measure import BenchError, GridServer, Request, Run, Stat, run_timed

_T = TypeVar("_T")
CLUSTERS_ROUTE = "/v1/core/clusters"
LATENCY_MS = 50
PROVISION_SECONDS = 1.0
# Grid provisions in 20-50 minutes and gridsync polls at most every 30 s by default (2.5% of 20
# minutes); this clock provisions in 1 s, so the same share would be 25 ms. 0.1 s is four times
# coarser than that and still one list call per round.
POLL_MAX = "0.1s"
LOCAL_CLOCK = (0.1, 0.5)  # queued and provisioning seconds of the big fleet's local apply
USER, KEY = "local-user", "local-api-key"
_CREATED = re.compile(r"^\s+\S+\s+create ok\b", re.MULTILINE)

# Reading and parsing the same files with libyaml in one Python process: the floor.
FLOOR_CODE = """
import sys, time, yaml
started = time.perf_counter()
paths = open(sys.argv[1], encoding="utf-8").read().splitlines()
parse = yaml.compose_all if sys.argv[2] == "compose" else yaml.load_all
documents = 0
for path in paths:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for _ in parse(text, Loader=yaml.CSafeLoader):
        documents += 1
print(documents, time.perf_counter() - started)
"""


@dataclass(frozen=True)
class Sizes:
    clusters: int
    files: int
    runs: int
    apply_clusters: int
    parallelism: int
    runbook_sample: int
    startup_runs: int
    repeat: int


FULL = Sizes(1000, 100, 5000, 200, 20, 5, 10, 5)
QUICK = Sizes(100, 10, 500, 40, 20, 2, 10, 2)


@dataclass
class Bench:
    work: Path
    gridsync: list[str]
    env: dict[str, str]
    sizes: Sizes
    deadline: float  # time.perf_counter() after which no further repetition starts
    timeout: float = 120.0  # per command

    def run(self, args: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
        cmd = [*self.gridsync, "--color", "never", *args]
        return run_timed(cmd, cwd=cwd, env=env or self.env, timeout=self.timeout)

    def repeat(self, measure: Callable[[], _T], times: int | None = None) -> list[_T]:
        """`times` results (default --repeat), fewer if the deadline passes (at least one)."""
        results = [measure()]
        while len(results) < (times or self.sizes.repeat) and time.perf_counter() < self.deadline:
            results.append(measure())
        return results


# --- validate and plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanResult:
    fleet: Fleet
    documents: int
    total_bytes: int
    validate: Stat
    plan: Stat
    plan_rss_mib: Stat
    validate_rss_mib: Stat
    floor_compose: Stat
    floor_load: Stat
    parse_compose_in_process: Stat
    apply_local_seconds: float | None = None
    plan_again: Stat | None = None


def plan_scenario(bench: Bench) -> PlanResult:
    sizes = bench.sizes
    spec = FleetSpec(
        sizes.clusters,
        sizes.files,
        sizes.runs,
        parallelism=20,
        queued_seconds=LOCAL_CLOCK[0],
        provision_seconds=LOCAL_CLOCK[1],
    )
    fleet = write_fleet(bench.work / "fleet", spec)
    root = fleet.root
    want = f"Plan: {sizes.clusters} to create, 0 to update, 0 to replace, 0 to delete."
    bench.run(["validate"], root).check("gridsync validate (warm-up)")
    bench.run(["plan"], root).check("gridsync plan (warm-up)")
    validates = bench.repeat(lambda: bench.run(["validate"], root).check("gridsync validate"))
    plans = bench.repeat(lambda: _expect(bench.run(["plan"], root), want, "gridsync plan"))
    documents, compose, in_process = _floor(bench, fleet, "compose")
    _, load, _ = _floor(bench, fleet, "load")
    return PlanResult(
        fleet=fleet,
        documents=documents,
        total_bytes=sum(p.stat().st_size for p in fleet.yaml_files),
        validate=Stat(tuple(r.seconds for r in validates)),
        plan=Stat(tuple(r.seconds for r in plans)),
        plan_rss_mib=Stat(tuple(r.max_rss_kib / 1024 for r in plans)),
        validate_rss_mib=Stat(tuple(r.max_rss_kib / 1024 for r in validates)),
        floor_compose=compose,
        floor_load=load,
        parse_compose_in_process=in_process,
    )


def plan_after_apply(bench: Bench, result: PlanResult) -> PlanResult:
    """Apply the fleet to the local control plane, then time plans that find nothing to do."""
    root = result.fleet.root
    applied = bench.run(["apply", "--auto-approve"], root).check("gridsync apply (local)")
    want = "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete."
    plans = bench.repeat(lambda: _expect(bench.run(["plan"], root), want, "gridsync plan (again)"))
    again = Stat(tuple(r.seconds for r in plans))
    return replace(result, apply_local_seconds=applied.seconds, plan_again=again)


def _expect(run: Run, text: str, what: str) -> Run:
    run.check(what)
    if text not in run.stdout:
        raise BenchError(f"{what} did not print {text!r}; it printed:\n{run.stdout[-2000:]}")
    return run


def _floor(bench: Bench, fleet: Fleet, mode: str) -> tuple[int, Stat, Stat]:
    listing = bench.work / "floor-files.txt"
    listing.write_text("\n".join(str(p) for p in fleet.yaml_files), encoding="utf-8")
    cmd = [sys.executable, "-c", FLOOR_CODE, str(listing), mode]
    run_timed(cmd, cwd=fleet.root, env=bench.env, timeout=bench.timeout).check("the floor")
    runs = bench.repeat(
        lambda: run_timed(cmd, cwd=fleet.root, env=bench.env, timeout=bench.timeout).check("floor")
    )
    parsed = [line.split() for line in (r.stdout.strip() for r in runs)]
    documents = int(parsed[0][0])
    return documents, Stat(tuple(r.seconds for r in runs)), Stat(tuple(float(p[1]) for p in parsed))


# --- apply over HTTP -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplySample:
    """One `gridsync apply --backend api` of N creates, seen from the server's request log."""

    wall: float
    startup_and_plan: float  # process start -> first create request arrives
    submission: float  # first create arrives -> last create answered
    waiting: float  # last create answered -> the last poll round's list call answered
    finishing: float  # that -> the process has exited (summary, context, lock)
    latency: float  # median server-side duration of a create request, injected latency included
    ideal: float
    routes: dict[str, int]
    list_before: int  # list calls before the first create (the plan's read of live state)
    plan_list: float  # their server-side seconds, injected latency included
    list_waiting: int  # list calls from the first create to the last poll round
    rounds: int  # poll rounds: list calls grouped by time
    most_lists_in_a_round: int
    per_cluster_gets_waiting: int  # GET /v1/core/clusters/{id} while submitting and waiting
    inflight_mean: float  # creates in flight on average during submission
    polls_in_submission: int  # poll rounds whose list call fell inside submission
    inflight_after_poll: float  # creates in flight as those list calls ended (mean)


@dataclass(frozen=True)
class ApplyClock:
    """The server's provisioning time and the client's poll_max, scaled together."""

    provision: float
    poll_max: str


FAST_CLOCK = ApplyClock(PROVISION_SECONDS, POLL_MAX)  # the benchmark
SLOW_CLOCK = ApplyClock(10.0, "1s")  # ten times slower: do the fixed costs stay fixed?
QUICK_SLOW_CLOCK = ApplyClock(2.0, "0.2s")  # for --quick


@dataclass(frozen=True)
class ApplyResult:
    clusters: int
    parallelism: int
    samples: tuple[ApplySample, ...]
    clock: ApplyClock
    imports: Stat | None  # a fresh interpreter importing what an apply over the API imports
    libraries: Stat | None  # the same, third-party libraries only (click, PyYAML, httpx)

    def stat(self, name: str) -> Stat:
        return Stat(tuple(float(getattr(s, name)) for s in self.samples))

    @property
    def ratio(self) -> Stat:
        return Stat(tuple(s.wall / s.ideal for s in self.samples))


def _server_root(bench: Bench, provision: float) -> Path:
    root = bench.work / "server"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "gridsync.yaml").write_text(
        "# The local control plane's own clock, for `gridsync local-grid serve`.\n"
        "backend:\n  type: local\n  local:\n    state: grid.db\n"
        f"    queued_seconds: 0\n    provision_seconds: {provision}\n"
        "    delete_seconds: 1\n",
        encoding="utf-8",
    )
    return root


def _client_env(bench: Bench, url: str) -> dict[str, str]:
    return {**bench.env, "GRID_URL": url, "GRID_USER_ID": USER, "GRID_API_KEY": KEY}


def apply_scenario(
    bench: Bench, clock: ApplyClock = FAST_CLOCK, times: int | None = None
) -> ApplyResult:
    """`gridsync apply` of the fleet's creates over HTTP; with the FAST_CLOCK also the start-up
    parts (imports) that bound it."""
    sizes = bench.sizes
    spec = FleetSpec(
        sizes.apply_clusters,
        max(1, sizes.apply_clusters // 10),
        runs=0,
        parallelism=sizes.parallelism,
        poll_max=clock.poll_max,
    )
    fleet = write_fleet(bench.work / "client", spec)
    samples = bench.repeat(lambda: _apply_once(bench, fleet, clock.provision), times)
    fast = clock == FAST_CLOCK
    return ApplyResult(
        sizes.apply_clusters,
        sizes.parallelism,
        tuple(samples),
        clock,
        _python(bench, IMPORTS_CODE) if fast else None,
        _python(bench, LIBRARIES_CODE) if fast else None,
    )


# What `gridsync apply --backend api` imports and builds before it reads a file: the CLI, the
# apply command, the API client (httpx) and its HTTP client (an SSL context with the CA bundle).
IMPORTS_CODE = (
    "import gridsync.cli.group, gridsync.commands.apply, gridsync.live.api, httpx; httpx.Client()"
)
LIBRARIES_CODE = "import click, yaml, httpx; httpx.Client()"  # the third-party part of it


def _python(bench: Bench, code: str) -> Stat:
    """A fresh interpreter running `code`, wall time."""
    cmd = [sys.executable, "-c", code]
    runs = [
        run_timed(cmd, cwd=bench.work, env=bench.env, timeout=bench.timeout).check(code)
        for _ in range(bench.sizes.repeat + 1)
    ]
    return Stat(tuple(r.seconds for r in runs[1:]))  # the first run warms the caches


def _apply_once(bench: Bench, fleet: Fleet, provision: float) -> ApplySample:
    shutil.rmtree(fleet.root / ".gridsync", ignore_errors=True)
    (bench.work / "home" / ".grid" / "settings.json").unlink(missing_ok=True)
    with GridServer(bench.gridsync, _server_root(bench, provision), bench.env) as server:
        url = server.start("--latency-ms", str(LATENCY_MS))
        args = ["apply", "--backend", "api", "--auto-approve"]
        run = bench.run(args, fleet.root, _client_env(bench, url)).check("gridsync apply")
        requests = server.taken()
    created = len(_CREATED.findall(run.stdout))
    if created != len(fleet.cluster_names):
        raise BenchError(f"apply created {created} of {len(fleet.cluster_names)} clusters")
    return _analyse(run, requests, len(fleet.cluster_names), bench.sizes.parallelism, provision)


def _analyse(
    run: Run, requests: list[Request], clusters: int, parallelism: int, provision: float
) -> ApplySample:
    posts = [r for r in requests if r.method == "POST" and r.path == CLUSTERS_ROUTE]
    lists = sorted(
        (r for r in requests if r.method == "GET" and r.path == CLUSTERS_ROUTE),
        key=lambda r: r.started,
    )
    first = min((p.started for p in posts), default=0.0)
    last_post = max((p.ended for p in posts), default=0.0)
    # apply records what it left in place from its last poll round (no list call after it)
    waiting = [r for r in lists if r.started >= first]
    if len(posts) != clusters or not waiting:
        raise BenchError(f"the server saw {len(posts)} creates and {len(waiting)} poll rounds")
    final = waiting[-1]
    polls = [r.started for r in waiting]
    gets = [r for r in requests if r.method == "GET" and r.path.startswith(CLUSTERS_ROUTE + "/")]
    rounds = _rounds(waiting)
    latency = statistics.median(p.ms for p in posts) / 1000
    during = [r for r in lists if first <= r.started and r.ended <= last_post]
    after_poll = [_inflight(posts, r.ended - 0.002) for r in during]
    return ApplySample(
        wall=run.seconds,
        startup_and_plan=first - run.started,
        submission=last_post - first,
        waiting=max(0.0, final.ended - last_post),
        finishing=max(0.0, run.ended - final.ended),
        latency=latency,
        ideal=math.ceil(clusters / parallelism) * latency + provision,
        routes=dict(Counter(f"{r.method} {_route(r.path)}" for r in requests)),
        list_before=sum(1 for r in lists if r.started < first),
        plan_list=sum(r.ms for r in lists if r.started < first) / 1000,
        list_waiting=len(polls),
        rounds=len(rounds),
        most_lists_in_a_round=max((len(r) for r in rounds), default=0),
        per_cluster_gets_waiting=sum(1 for g in gets if first <= g.started <= final.started),
        inflight_mean=sum(p.ms for p in posts) / 1000 / max(last_post - first, 1e-9),
        polls_in_submission=len(during),
        inflight_after_poll=statistics.mean(after_poll) if after_poll else float("nan"),
    )


def _inflight(posts: list[Request], moment: float) -> int:
    return sum(1 for p in posts if p.started <= moment < p.ended)


def _rounds(lists: list[Request]) -> list[list[Request]]:
    """List calls (by start) grouped into poll rounds: a call that starts while the round's calls
    are still in flight belongs to it. One call per round means apply never lists twice at once,
    however close rounds follow each other (they start `poll_max` apart)."""
    rounds: list[list[Request]] = []
    for call in lists:
        if rounds and call.started < max(r.ended for r in rounds[-1]):
            rounds[-1].append(call)
        else:
            rounds.append([call])
    return rounds


def _route(path: str) -> str:
    if path.startswith(CLUSTERS_ROUTE + "/"):
        rest = path[len(CLUSTERS_ROUTE) + 1 :]
        return CLUSTERS_ROUTE + ("/{id}/instance-types" if "/" in rest else "/{id}")
    return path


# --- the runbook's way: one `grid clusters aws --wait` after another ------------------------------


@dataclass(frozen=True)
class RunbookResult:
    sample: int
    per_cluster: Stat  # create request + wait until RUNNING, one cluster after another
    request_latency: Stat  # client-side create round trip
    poll_seconds: float


def runbook_scenario(bench: Bench) -> RunbookResult:
    """What `grid clusters aws NAME --wait` does, cluster after cluster: POST the create, then list
    until it is RUNNING. Polled every 50 ms here (the real CLI: every 60 s) to measure the bare
    request + provisioning time."""
    poll = 0.05
    with GridServer(bench.gridsync, _server_root(bench, PROVISION_SECONDS), bench.env) as server:
        url = server.start("--latency-ms", str(LATENCY_MS))
        port = int(url.rsplit(":", 1)[1].strip("/"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            timings = [_create_and_wait(conn, i, poll) for i in range(bench.sizes.runbook_sample)]
        finally:
            conn.close()
    return RunbookResult(
        bench.sizes.runbook_sample,
        Stat(tuple(t[0] for t in timings)),
        Stat(tuple(t[1] for t in timings)),
        poll,
    )


def _create_and_wait(conn: http.client.HTTPConnection, i: int, poll: float) -> tuple[float, float]:
    name = f"runbook-{i:03d}"
    aws = {
        "region": "us-east-1",
        "roleArn": "arn:aws:iam::123456789012:role/grid",
        "externalId": f"runbook-ext-{i}",
        "instanceTypes": [{"name": "t3.large"}, {"name": "g4dn.xlarge"}],
    }
    spec = {
        "clusterType": "CLUSTER_TYPE_BYOC",
        "performanceProfile": "CLUSTER_PERFORMANCE_PROFILE_DEFAULT",
        "driver": {"kubernetes": {"aws": aws}},
    }
    start = time.perf_counter()
    _call(conn, "POST", CLUSTERS_ROUTE, {"name": name, "spec": spec})
    latency = time.perf_counter() - start
    deadline = start + 60
    while time.perf_counter() < deadline:
        listed = _call(conn, "GET", CLUSTERS_ROUTE + "?phaseNotIn=CLUSTER_STATE_DELETED")
        phases = {c["name"]: c.get("status", {}).get("phase") for c in listed.get("clusters", [])}
        if phases.get(name) == "CLUSTER_STATE_RUNNING":
            return time.perf_counter() - start, latency
        time.sleep(poll)
    raise BenchError(f"{name} did not reach RUNNING within 60 s")


def _call(
    conn: http.client.HTTPConnection, method: str, path: str, body: object = None
) -> dict[str, Any]:
    token = base64.b64encode(f"{USER}:{KEY}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
    conn.request(method, path, None if body is None else json.dumps(body), headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise BenchError(f"{method} {path}: {response.status} {data[:300]!r}")
    answer: dict[str, Any] = json.loads(data)
    return answer


# --- start-up -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartupResult:
    help: Stat
    version: Stat
    bare_python: Stat
    runs: int
    commands: dict[str, list[str]] = field(default_factory=dict)


def startup_scenario(bench: Bench) -> StartupResult:
    times = max(10, bench.sizes.startup_runs)
    cwd = bench.work

    def timed(cmd: list[str]) -> Stat:
        runs = [
            run_timed(cmd, cwd=cwd, env=bench.env, timeout=bench.timeout).check(" ".join(cmd))
            for _ in range(times + 1)
        ]
        return Stat(tuple(r.seconds for r in runs[1:]))  # the first run warms the caches

    commands = {
        "help": [*bench.gridsync, "--help"],
        "version": [*bench.gridsync, "--version"],
        "python": [sys.executable, "-c", "pass"],
    }
    return StartupResult(
        timed(commands["help"]),
        timed(commands["version"]),
        timed(commands["python"]),
        times,
        commands,
    )
