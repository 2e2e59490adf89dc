"""Benchmark ``hallsim`` against peers on the same model, timing whole processes.

Model: M/M/10, Poisson arrivals 540/h, exponential service mean 1 min, 10 % "vip" with
non-preemptive priority over 90 % "regular", FCFS within class, exponential patience mean
20 min, no warm-up, 370 h (about 200,000 customers).

Cases (each a separate process, timed with ``time.perf_counter`` around ``subprocess.run``,
its CPU seconds (user + system) from ``getrusage(RUSAGE_CHILDREN)`` around the same call,
best of 3 unless ``--quick``; the runs go round the cases, one run of each in turn, so a
change in the machine's load falls on every case alike):

    hallsim      hallsim run SCEN --replications 1 --workers 1 --seed 1 --json
    ciw          python benchmarks/peers/ciw_mmc.py --hours 370 --seed 1
    heapq        python benchmarks/peers/heapq_mmc.py --hours 370 --seed 1
    batch_w1     hallsim run SCEN_SHORT --replications 8 --workers 1 --seed 1 --json
    batch_w2     hallsim run SCEN_SHORT --replications 8 --workers 2 --seed 1 --json

SCEN_SHORT is the same model over 100 h. Ratios are ratios of best wall times (every case in a
ratio simulates the same horizon): ``ciw_over_hallsim`` (goal >= 10), ``hallsim_over_heapq``
(goal <= 2), ``batch_speedup_2_workers`` = batch_w1 / batch_w2 (goal >= 1.7). ``ratios_cpu``
are the same ratios of best CPU seconds (on a shared machine the wall clock also measures
the neighbours; the batch speed-up is a wall-clock figure and has none).

Exit status: 0 whatever the goals (a benchmark, not a test); 1 if a process fails, times out
or hallsim cannot be found.

    python benchmarks/bench_sim.py [--json] [--quick] [--repeat N] [--hallsim PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RATE_PER_HOUR = 540.0
HOURS_FULL = 370.0
HOURS_SHORT = 100.0
HOURS_FULL_QUICK = 37.0
HOURS_SHORT_QUICK = 10.0
BATCH_REPLICATIONS = 8
SEED = 1

GOALS: dict[str, tuple[str, float]] = {
    "ciw_over_hallsim": (">=", 10.0),
    "hallsim_over_heapq": ("<=", 2.0),
    "batch_speedup_2_workers": (">=", 1.7),
}

SCENARIO_TEMPLATE = """\
hall: bench-mmc
target: {{wait: 15m, service_level: 0.80}}
horizon: {{warmup: 0s, duration: {hours}h}}
services:
  any: {{service_time: {{dist: exponential, mean: 1m}}}}
segments:
  regular: {{share: 0.9, priority: 1, patience: {{dist: exponential, mean: 20m}}}}
  vip:     {{share: 0.1, priority: 0, patience: {{dist: exponential, mean: 20m}}}}
arrivals:
  mix: {{any: 1.0}}
  rate_per_hour: 540
counters:
  - {{id: C, count: 10, services: [any]}}
"""

HERE = Path(__file__).resolve().parent


class BenchError(RuntimeError):
    """A benchmarked process failed or produced unusable output."""


@dataclass
class Case:
    key: str
    label: str
    cmd: list[str]
    hours: float
    replications: int
    is_hallsim: bool


@dataclass
class Result:
    key: str
    label: str
    command: str
    hours: float
    replications: int
    seconds: float  # best wall time of the whole process
    runs: list[float]  # every wall time, in run order
    cpu_seconds: float  # best CPU time (user + system) of the whole process and its children
    cpu_runs: list[float]  # every CPU time, in run order
    customers: float  # total arrivals over all replications
    customers_source: str  # where ``customers`` comes from
    customers_per_s: float
    output: dict[str, Any] = field(default_factory=dict)  # peer JSON line / hallsim extract


def fmt_hours(hours: float) -> str:
    return f"{hours:g}"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def find_hallsim(explicit: str | None) -> Path:
    """``--hallsim`` if given, else the ``hallsim`` script next to this interpreter."""
    if explicit:
        path = Path(explicit)
    else:
        bindir = Path(sys.executable).parent
        path = bindir / ("hallsim.exe" if os.name == "nt" else "hallsim")
    if not path.is_file():
        raise BenchError(f"hallsim not found at {path} (install the project or pass --hallsim)")
    return path


def parse_json_output(text: str) -> dict[str, Any]:
    """The JSON object printed by a process: all of stdout, else its last JSON-looking line."""
    text = text.strip()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        obj = None
        for line in reversed(text.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                    break
                except json.JSONDecodeError:
                    continue
        if obj is None and "{" in text:  # pretty-printed object after some chatter
            try:
                obj = json.loads(text[text.index("{") :])
            except json.JSONDecodeError:
                obj = None
    if not isinstance(obj, dict):
        raise BenchError("no JSON object found in stdout:\n" + text[-2000:])
    return obj


def dig(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(case: Case, cwd: Path, timeout: float) -> tuple[float, float, str]:
    """One run of ``case``: its wall seconds, CPU seconds and stdout."""
    cpu0 = _children_cpu_s()
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            case.cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(
            f"{case.key}: timed out after {timeout:g} s: {shlex.join(case.cmd)}"
        ) from exc
    seconds = time.perf_counter() - t0
    cpu_s = _children_cpu_s() - cpu0  # the reaped child's (and its own children's)
    if proc.returncode != 0:
        raise BenchError(
            f"{case.key}: exit status {proc.returncode}: {shlex.join(case.cmd)}\n"
            f"--- stderr (tail) ---\n{proc.stderr[-3000:]}"
        )
    return seconds, cpu_s, proc.stdout


def measure(cases: list[Case], repeat: int, cwd: Path, timeout: float) -> dict[str, Result]:
    """Run every case ``repeat`` times, one run of each case in turn."""
    runs: dict[str, list[tuple[float, float]]] = {case.key: [] for case in cases}
    stdout: dict[str, str] = {}
    for i in range(repeat):
        for case in cases:
            if i == 0:
                log(f"{case.key}: {shlex.join(case.cmd)}")
            seconds, cpu_s, stdout[case.key] = run_once(case, cwd, timeout)
            runs[case.key].append((seconds, cpu_s))
            log(f"  {case.key:<9} run {i + 1}/{repeat}: {seconds:8.3f} s, CPU {cpu_s:8.3f} s")
    return {case.key: result(case, runs[case.key], stdout[case.key]) for case in cases}


def result(case: Case, runs: list[tuple[float, float]], stdout: str) -> Result:
    best = min(wall for wall, _ in runs)
    data = parse_json_output(stdout)
    expected = RATE_PER_HOUR * case.hours * case.replications
    if case.is_hallsim:
        mean = dig(data, "overall.arrivals.mean")
        output: dict[str, Any] = {"overall.arrivals.mean": mean}
        if isinstance(mean, int | float) and not isinstance(mean, bool):
            customers = float(mean) * case.replications
            source = "hallsim overall.arrivals.mean x replications"
        else:
            log(f"  warning: {case.key}: no numeric overall.arrivals.mean; using 540/h x hours")
            customers, source = expected, "expected 540/h x hours (hallsim gave none)"
    else:
        output = data
        n = data.get("customers")
        if isinstance(n, int | float) and not isinstance(n, bool):
            customers, source = float(n), f"{data.get('tool', case.key)} JSON"
        else:
            customers, source = expected, "expected 540/h x hours"
    return Result(
        key=case.key,
        label=case.label,
        command=shlex.join(case.cmd),
        hours=case.hours,
        replications=case.replications,
        seconds=best,
        runs=[wall for wall, _ in runs],
        cpu_seconds=min(cpu for _, cpu in runs),
        cpu_runs=[cpu for _, cpu in runs],
        customers=customers,
        customers_source=source,
        customers_per_s=customers / best if best > 0 else float("nan"),
        output=output,
    )


def build_cases(
    hallsim: Path | None, scen: Path, scen_short: Path, hours: float, hours_short: float
) -> list[Case]:
    py = sys.executable
    peers = HERE / "peers"
    seed = ["--seed", str(SEED)]
    cases: list[Case] = []
    if hallsim is not None:
        h = str(hallsim)
        cases.append(
            Case(
                "hallsim",
                "hallsim, 1 replication",
                [h, "run", str(scen), "--replications", "1", "--workers", "1", *seed, "--json"],
                hours,
                1,
                True,
            )
        )
    peer_args = ["--hours", fmt_hours(hours), *seed]
    cases.append(
        Case("ciw", "Ciw 3.x", [py, str(peers / "ciw_mmc.py"), *peer_args], hours, 1, False)
    )
    cases.append(
        Case("heapq", "heapq floor", [py, str(peers / "heapq_mmc.py"), *peer_args], hours, 1, False)
    )
    if hallsim is not None:
        reps = str(BATCH_REPLICATIONS)
        for workers in (1, 2):
            run_args = ["--replications", reps, "--workers", str(workers), *seed, "--json"]
            cases.append(
                Case(
                    f"batch_w{workers}",
                    f"hallsim, {reps} replications, {workers} worker{'s' if workers > 1 else ''}",
                    [h, "run", str(scen_short), *run_args],
                    hours_short,
                    BATCH_REPLICATIONS,
                    True,
                )
            )
    return cases


def ratio(num: Result | None, den: Result | None, cpu: bool = False) -> float | None:
    if num is None or den is None:
        return None
    a, b = (num.cpu_seconds, den.cpu_seconds) if cpu else (num.seconds, den.seconds)
    return a / b if b > 0 else None


def machine() -> dict[str, Any]:
    try:
        available: int | None = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count()
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_available": available,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }


def summarize(results: dict[str, Result], quick: bool, repeat: int) -> dict[str, Any]:
    r = results.get
    ratios = {
        "ciw_over_hallsim": ratio(r("ciw"), r("hallsim")),
        "hallsim_over_heapq": ratio(r("hallsim"), r("heapq")),
        "batch_speedup_2_workers": ratio(r("batch_w1"), r("batch_w2")),
    }
    ratios_cpu = {
        "ciw_over_hallsim": ratio(r("ciw"), r("hallsim"), cpu=True),
        "hallsim_over_heapq": ratio(r("hallsim"), r("heapq"), cpu=True),
    }

    def met(values: dict[str, float | None]) -> dict[str, bool | None]:
        out: dict[str, bool | None] = {}
        for name, value in values.items():
            op, bound = GOALS[name]
            out[name] = (
                None if value is None else (value >= bound if op == ">=" else value <= bound)
            )
        return out

    return {
        "benchmark": "bench-mmc",
        "model": (
            "M/M/10, 540/h, service exp mean 1 min, 10% vip non-preemptive priority, "
            "FCFS within class, patience exp mean 20 min, no warm-up"
        ),
        "quick": quick,
        "repeat": repeat,
        "timing": (
            "best wall time and best CPU time (user + system) of the whole process "
            "(subprocess), seconds; runs taken round the cases in turn"
        ),
        "cases": {k: asdict(v) for k, v in results.items()},
        "ratios": ratios,
        "ratios_cpu": ratios_cpu,
        "goals": {name: f"{op} {bound:g}" for name, (op, bound) in GOALS.items()},
        "goals_met": met(ratios),
        "goals_met_cpu": met(ratios_cpu),
        "machine": machine(),
    }


def print_tables(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    m = summary["machine"]
    title = (
        f"hallsim benchmark ({'quick, ' if summary['quick'] else ''}best of {summary['repeat']}, "
        "whole processes)"
    )
    table = Table(title=title)
    table.add_column("case")
    table.add_column("horizon", justify="right")
    table.add_column("reps", justify="right")
    table.add_column("best s", justify="right")
    table.add_column("all runs s", justify="right")
    table.add_column("best CPU s", justify="right")
    table.add_column("customers", justify="right")
    table.add_column("customers/s", justify="right")
    for res in summary["cases"].values():
        table.add_row(
            res["label"],
            f"{res['hours']:g} h",
            str(res["replications"]),
            f"{res['seconds']:.3f}",
            " ".join(f"{s:.2f}" for s in res["runs"]),
            f"{res['cpu_seconds']:.3f}",
            f"{res['customers']:,.0f}",
            f"{res['customers_per_s']:,.0f}",
        )
    console.print(table)

    goals = Table(title="ratios of best times")
    goals.add_column("ratio")
    goals.add_column("wall", justify="right")
    goals.add_column("CPU", justify="right")
    goals.add_column("goal", justify="right")
    goals.add_column("met (wall / CPU)")

    def shown(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    def mark(met: bool | None) -> str:
        return "n/a" if met is None else ("[green]yes[/]" if met else "[red]no[/]")

    for name, value in summary["ratios"].items():
        cpu = summary["ratios_cpu"].get(name)
        goals.add_row(
            name,
            shown(value),
            shown(cpu),
            summary["goals"][name],
            f"{mark(summary['goals_met'][name])} / {mark(summary['goals_met_cpu'].get(name))}",
        )
    console.print(goals)
    console.print(
        f"{m['platform']}, {m['processor']}, {m['cpus_available']}/{m['cpu_count']} CPUs, "
        f"{m['implementation']} {m['python']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time hallsim, Ciw and a heapq floor as whole processes on one model."
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: each case once, shorter horizons"
    )
    parser.add_argument("--repeat", type=int, default=None, help="runs per case (default 3)")
    parser.add_argument(
        "--hallsim", default=None, help="hallsim executable (default: next to python)"
    )
    parser.add_argument(
        "--skip-hallsim", action="store_true", help="time only the peers (no hallsim cases)"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds allowed per process (default 1800)"
    )
    args = parser.parse_args(argv)

    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    if repeat < 1:
        parser.error("--repeat must be >= 1")
    hours = HOURS_FULL_QUICK if args.quick else HOURS_FULL
    hours_short = HOURS_SHORT_QUICK if args.quick else HOURS_SHORT

    try:
        hallsim = None if args.skip_hallsim else find_hallsim(args.hallsim)
        with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
            workdir = Path(tmp)
            scen = workdir / "bench-mmc.yaml"
            scen_short = workdir / "bench-mmc-short.yaml"
            scen.write_text(SCENARIO_TEMPLATE.format(hours=fmt_hours(hours)), encoding="utf-8")
            scen_short.write_text(
                SCENARIO_TEMPLATE.format(hours=fmt_hours(hours_short)), encoding="utf-8"
            )
            cases = build_cases(hallsim, scen, scen_short, hours, hours_short)
            results = measure(cases, repeat, workdir, args.timeout)
    except BenchError as exc:
        log(f"bench_sim: error: {exc}")
        return 1

    summary = summarize(results, args.quick, repeat)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_tables(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
