"""A province on one machine: ``--halls`` halls (default 2,000) replayed at
real-time rates from their scenarios into one ``hallmon serve``, a real
Prometheus scraping it every 15 s with the repository's rules, the nowcast of
every hall each minute, for ``--minutes`` (default 30).

* Halls: one in ``1 / --flagship-share`` is the flagship (a busy city hall,
  about 1,900 tickets a day), the others the county hall (about 100): each
  hall's own simulated day (``replication`` = its number). Their scenarios are
  copied with a time zone where it is mid-morning now (``Etc/GMT-N``), so the
  halls are open whatever the hour here, on the wall clock (``clock: wall``,
  as real ticket systems). The morning up to now is posted first, as fast as
  the exporter takes it.
* The ticket systems (a separate process): every half second, each hall's
  events that fell due since are posted in one request with the hall's token,
  16 requests at once at most; each request's latency is kept.
* Prometheus: the configuration and rules of ``hallmon prometheus-config``
  (recording and alert rules, 15 s scrape and evaluation).
* Measured once every hall has its forecast and nowcast (or after
  ``--warmup-limit``), for
  ``--minutes``: the CPU the exporter uses (its process and its nowcast
  workers, in cores of the machine's), its resident memory, the ingest
  latency (p50, p99), Prometheus's scrape duration of ``/metrics``, the oldest
  nowcast at any scrape (scrape time less the time it was computed), the
  nowcasts published a minute and the workers' CPU per nowcast, whether
  every rule group evaluates (and which rules took longest), and what Prometheus and the
  ticket systems used.

Not a test and not in CI (it takes the whole run plus a start-up of minutes).
Needs the Debian ``prometheus``. Exit status 0 whatever it finds.

    python benchmarks/bench_province.py [--halls 2000] [--minutes 30] [--flagship-share 0.1]
        [--metrics full|compact] [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from output import print_result  # noqa: E402
from province_replay import replay  # noqa: E402
from serving import free_port, own_metric  # noqa: E402

from monitor.core.config import token_hash  # noqa: E402
from sim.eventlog.convert import day_events  # noqa: E402
from sim.model.hall import simulate  # noqa: E402
from sim.model.scenario import load_scenario  # noqa: E402

SCENARIOS = {"flagship": ROOT / "scenarios/flagship.yaml", "county": ROOT / "scenarios/county.yaml"}
BATCH = 500  # events per request of the morning's posts
LOCAL_START_H = 10.5  # the halls' local time when the run starts
SCRAPE_S = 15.0  # Prometheus's scrape interval (hallmon prometheus-config)
SLOWEST_RULES = 5  # the rules reported with their evaluation time
REPLAYER_STOP_S = 300.0  # the ticket systems' requests under way finish, at most


@dataclass(frozen=True)
class Hall:
    id: str
    kind: str  # "flagship" or "county"
    index: int


def zone_for(local_h: float, now: datetime) -> tuple[str, int]:
    """An ``Etc/GMT`` zone where it is about ``local_h`` o'clock at ``now``,
    and its offset from UTC in hours (``Etc/GMT-8`` is UTC+8)."""
    utc_h = now.astimezone(UTC).hour + now.minute / 60
    offset = round(local_h - utc_h) % 24
    if offset > 14:
        offset -= 24
    name = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    return name, offset


def scenario_copies(directory: Path, zone: str) -> dict[str, Path]:
    """The bundled scenarios with their time zone set to ``zone``."""
    out = {}
    for kind, path in SCENARIOS.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        copy = [f"timezone: {zone}" if ln.startswith("timezone:") else ln for ln in lines]
        target = directory / f"{kind}.yaml"
        target.write_text("\n".join(copy) + "\n", encoding="utf-8")
        out[kind] = target
    return out


def halls_of(n: int, flagship_share: float) -> list[Hall]:
    every = max(1, round(1 / flagship_share)) if flagship_share > 0 else n + 1
    return [Hall(f"p{i:04d}", "flagship" if i % every == 0 else "county", i) for i in range(n)]


@cache
def _scenario(path: str) -> Any:
    return load_scenario(path)


Later = list[tuple[float, str]]  # (Unix s, JSON object) in time order


def hall_day(job: tuple[Hall, str, str, float, float]) -> tuple[str, list[bytes], Later]:
    """One hall's simulated day: request bodies of its events up to
    ``start_s`` (Unix s), and its events from then to ``end_s`` as
    (Unix s, JSON object) in time order."""
    hall, scenario, day, start_s, end_s = job
    scn = _scenario(scenario)
    events = day_events(simulate(scn, seed=11, replication=hall.index), scn,
                        date.fromisoformat(day), "no_show")  # fmt: skip
    morning: list[dict[str, str]] = []
    later: Later = []
    for e in events:
        ts = e.ts.timestamp()
        row = e.as_row() | {"hall": hall.id}
        if ts <= start_s:
            morning.append(row)
        elif ts <= end_s:
            later.append((ts, json.dumps(row, ensure_ascii=False)))
    bodies = [
        json.dumps(morning[i : i + BATCH], ensure_ascii=False).encode()
        for i in range(0, len(morning), BATCH)
    ]
    return hall.id, bodies, later


def write_config(directory: Path, halls: list[Hall], scenarios: dict[str, Path],
                 args: argparse.Namespace) -> Path:  # fmt: skip
    lines = [
        f"store: {directory / 'province.db'}",
        "clock: wall",
        f"workers: {args.workers}",
        f"metrics: {args.metrics}",
        "nowcast: {every: 1m}",
        "halls:",
    ]
    for h in halls:
        lines.append(
            f"  - {{id: {h.id}, district: d{h.index % 40:02d}, city: c{h.index % 8}, "
            f"scenario: {scenarios[h.kind]}, token_sha256: {token_hash(token(h.id))}}}"
        )
    path = directory / "province.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def token(hall_id: str) -> str:
    return f"province-token-{hall_id}"


def _wait(url: str, process: subprocess.Popen[bytes], what: str, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            if httpx.get(url, timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not become ready")
        time.sleep(0.5)


def post_mornings(url: str, mornings: dict[str, list[bytes]]) -> float:
    """Post every hall's morning (4 connections at once); seconds taken."""
    import concurrent.futures

    def post(hall_id: str) -> None:
        headers = {"Authorization": f"Bearer {token(hall_id)}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, timeout=120) as client:
            for body in mornings[hall_id]:
                client.post(
                    f"/v1/halls/{hall_id}/events", content=body, headers=headers
                ).raise_for_status()

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(post, mornings))
    return time.monotonic() - start


_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                continue
    return out


def _cpu_rss(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and resident MiB of one process (0 if gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0, 0.0
    cpu_s = (int(fields[11]) + int(fields[12])) * _TICK_S  # utime, stime
    rss_kib = next((int(ln.split()[1]) for ln in status if ln.startswith("VmRSS:")), 0)
    return cpu_s, rss_kib / 1024


class Usage:
    """CPU seconds of a process and of its descendants, and the most resident
    memory each has had when looked at."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.max_rss = {"main": 0.0, "children": 0.0}
        self._gone: dict[int, float] = {}  # CPU of descendants last seen, by pid

    def cpu_s(self) -> dict[str, float]:
        main_cpu, main_rss = _cpu_rss(self.pid)
        children_rss = 0.0
        for pid in _tree(self.pid)[1:]:
            cpu, rss = _cpu_rss(pid)
            self._gone[pid] = max(self._gone.get(pid, 0.0), cpu)
            children_rss += rss
        self.max_rss["main"] = max(self.max_rss["main"], main_rss)
        self.max_rss["children"] = max(self.max_rss["children"], children_rss)
        return {"main": main_cpu, "children": sum(self._gone.values())}


def _range(prom: str, query: str, start: float, end: float) -> list[float]:
    params: dict[str, str | float] = {"query": query, "start": start, "end": end, "step": 15}
    reply = httpx.get(f"{prom}/api/v1/query_range", timeout=60, params=params).json()
    return [float(v) for series in reply["data"]["result"] for _, v in series["values"]]


def _by_label(prom: str, query: str, label: str, at_s: float) -> dict[str, float]:
    """An instant query's values at ``at_s``, by the value of ``label``."""
    params: dict[str, str | float] = {"query": query, "time": at_s}
    reply = httpx.get(f"{prom}/api/v1/query", timeout=60, params=params).json()
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in reply["data"]["result"]}


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def province(args: argparse.Namespace) -> dict[str, Any]:
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        raise SystemExit("bench_province: needs Debian's prometheus (apt-get install prometheus)")
    now = datetime.now(UTC)
    zone, offset_h = zone_for(LOCAL_START_H, now)
    local = now + timedelta(hours=offset_h)
    halls = halls_of(args.halls, args.flagship_share)
    with tempfile.TemporaryDirectory(prefix="hallmon-province-") as tmp:
        directory = Path(tmp)
        scenarios = scenario_copies(directory, zone)
        start_s = time.time()
        end_s = start_s + args.warmup_limit + args.minutes * 60 + 120
        jobs = [
            (h, str(scenarios[h.kind]), local.date().isoformat(), start_s, end_s) for h in halls
        ]
        t0 = time.monotonic()
        with multiprocessing.get_context("forkserver").Pool(args.workers) as pool:
            days = pool.map(hall_day, jobs, chunksize=16)
        simulated_s = time.monotonic() - t0
        mornings = {hall_id: bodies for hall_id, bodies, _ in days}
        plan = {hall_id: (token(hall_id), later) for hall_id, _, later in days}
        config = write_config(directory, halls, scenarios, args)
        port, prom_port = free_port(), free_port()
        url, prom = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{prom_port}"
        bundle = directory / "prometheus"
        subprocess.run([sys.executable, "-m", "monitor", "prometheus-config", "--config",
                        str(config), "--out", str(bundle), "--host", "127.0.0.1",
                        "--base-port", str(port)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        log = (directory / "hallmon.log").open("wb")
        server = subprocess.Popen([sys.executable, "-m", "monitor", "serve", "--config",
                                   str(config), "--port", str(port), "--log-level", "warning"],
                                  cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        prom_log = (directory / "prometheus.log").open("wb")
        prom_process = subprocess.Popen([prometheus, f"--config.file={bundle / 'prometheus.yml'}",
                                         f"--storage.tsdb.path={directory / 'tsdb'}",
                                         f"--web.listen-address=127.0.0.1:{prom_port}"],
                                        stdout=prom_log, stderr=subprocess.STDOUT)  # fmt: skip
        replayer: multiprocessing.process.BaseProcess | None = None
        try:
            _wait(url + "/readyz", server, "hallmon", 600)
            _wait(prom + "/-/ready", prom_process, "prometheus")
            morning_s = post_mornings(url, mornings)
            results = directory / "ingest.json"
            spawn = multiprocessing.get_context("spawn")
            stop = spawn.Event()
            replayer = spawn.Process(target=replay, args=(url, plan, stop, str(results)))
            replayer.start()
            warm0 = time.monotonic()
            while time.monotonic() - warm0 < args.warmup_limit:
                ready = httpx.get(url + "/readyz", timeout=30).json()
                if min(ready["forecasts"], ready["nowcasts"]) >= len(halls):
                    break
                time.sleep(5)
            warmup_s = time.monotonic() - warm0
            usage = Usage(server.pid)
            prom_usage = Usage(prom_process.pid)
            replay_usage = Usage(replayer.pid or 0)  # spawned: no children of its own
            cpu0, prom0, replay0 = usage.cpu_s(), prom_usage.cpu_s(), replay_usage.cpu_s()
            m0 = time.time()
            measured_end = m0 + args.minutes * 60
            loads: list[float] = []
            while time.time() < measured_end:
                time.sleep(min(5.0, max(0.0, measured_end - time.time())))
                usage.cpu_s(), prom_usage.cpu_s()
                loads.append(os.getloadavg()[0])
            cpu1, prom1, replay1 = usage.cpu_s(), prom_usage.cpu_s(), replay_usage.cpu_s()
            m1 = time.time()
            readiness = httpx.get(url + "/readyz", timeout=30).json()
            scrape = _range(prom, 'scrape_duration_seconds{job="hallmon"}', m0, m1)
            ages = _range(prom, "max(timestamp(hall_nowcast_computed_timestamp_seconds)"
                          " - hall_nowcast_computed_timestamp_seconds)", m0, m1)  # fmt: skip
            # from two scrapes on: the warm-up ends when the exporter holds a nowcast of
            # every hall, the latest of which Prometheus has not scraped yet
            nowcasts = _range(
                prom, "count(hall_nowcast_computed_timestamp_seconds)", m0 + 2 * SCRAPE_S, m1
            )
            samples = _range(prom, 'scrape_samples_scraped{job="hallmon"}', m0, m1)
            # each hall's computed time changes once per nowcast published (its call-in
            # advice, an update of the same nowcast, keeps it): a scrape every 15 s
            # counts two nowcasts of one hall between scrapes as one
            published = _range(prom, "sum(changes(hall_nowcast_computed_timestamp_seconds"
                               f"[{round(m1 - m0)}s]))", m1, m1)  # fmt: skip
            # the workers' CPU by task, as the exporter counts it (hallmon_pool_*)
            span = f"[{round(m1 - m0)}s]"
            by_task = {
                kind: _by_label(
                    prom, f"sum by (task) (increase(hallmon_pool_{kind}_total{span}))", "task", m1
                )
                for kind in ("cpu_seconds", "jobs")
            }
            rules = httpx.get(f"{prom}/api/v1/rules", timeout=30).json()["data"]["groups"]
            head_series = own_metric(prom, "prometheus_tsdb_head_series")
        finally:
            if replayer is not None:
                stop.set()
                replayer.join(timeout=REPLAYER_STOP_S)
                if replayer.is_alive():
                    replayer.terminate()
            for process in (server, prom_process):
                process.terminate()
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()
            prom_log.close()
        if not results.exists():
            raise SystemExit(
                f"the ticket systems' process did not stop within {REPLAYER_STOP_S:.0f} s "
                "(its requests still waiting on the exporter: is the machine overloaded?), "
                "so no ingest latencies were written"
            )
        posts = json.loads(results.read_text(encoding="utf-8"))
        complaints = _complaints(directory / "hallmon.log")
    seconds = m1 - m0
    window = [p for p in posts if m0 <= p["sent_s"] <= m1]
    latencies = [p["latency_s"] for p in window if p["ok"]]
    return {
        "halls": len(halls),
        "flagship_halls": sum(h.kind == "flagship" for h in halls),
        "minutes": args.minutes,
        "metrics": args.metrics,
        "workers": args.workers,
        "zone": zone,
        "simulate_s": round(simulated_s, 1),
        "morning_post_s": round(morning_s, 1),
        "morning_events": sum(b.count(b'"id"') for bodies in mornings.values() for b in bodies),
        "warmup_s": round(warmup_s, 1),
        "forecasts_at_end": readiness["forecasts"],
        "load_average": {"mean": round(sum(loads) / len(loads), 1), "max": max(loads)},
        "cpu_cores": {
            "hallmon": round((cpu1["main"] - cpu0["main"]) / seconds, 3),
            "nowcast_workers": round((cpu1["children"] - cpu0["children"]) / seconds, 3),
            "prometheus": round((prom1["main"] - prom0["main"]) / seconds, 3),
            "ticket_systems": round((replay1["main"] - replay0["main"]) / seconds, 3),
        },
        "rss_mib": {
            "hallmon": round(usage.max_rss["main"], 1),
            "nowcast_workers": round(usage.max_rss["children"], 1),
            "prometheus": round(prom_usage.max_rss["main"], 1),
        },
        "ingest": {
            "requests": len(window),
            "failed": sum(1 for p in window if not p["ok"]),
            # why they failed: each distinct reason and how often
            "failed_why": dict(Counter(str(p.get("why")) for p in window if not p["ok"])),
            "events_per_s": round(sum(p["events"] for p in window if p["ok"]) / seconds, 1),
            "p50_ms": _ms(_quantile(latencies, 0.5)),
            "p99_ms": _ms(_quantile(latencies, 0.99)),
        },
        "scrape": {
            "scrapes": len(scrape),
            "p50_s": _quantile(scrape, 0.5),
            "max_s": max(scrape, default=None),
            "samples": max(samples, default=None),
        },
        "nowcast": {
            "per_min": round(published[0] / seconds * 60, 1) if published else None,
            "workers_cpu_s_each": round((cpu1["children"] - cpu0["children"]) / published[0], 3)
            if published and published[0]
            else None,
            "oldest_s": max(ages, default=None),
            "oldest_p50_s": _quantile(ages, 0.5),
            "halls_with_one_fewest": min(nowcasts, default=None),
        },
        "pool": {
            task: {
                "cores": round(cpu / seconds, 3),
                "jobs_per_min": round(by_task["jobs"].get(task, 0.0) / seconds * 60, 1),
                "cpu_s_each": round(cpu / by_task["jobs"][task], 4)
                if by_task["jobs"].get(task)
                else None,
            }
            for task, cpu in sorted(by_task["cpu_seconds"].items())
        },
        "rules": {
            "groups": len(rules),
            "unhealthy": [r["name"] for g in rules for r in g["rules"] if r["health"] != "ok"],
            "slowest_group_s": max((g["evaluationTime"] for g in rules), default=None),
            # each group's last evaluation (wall clock) over its interval, summed
            "busy_share": round(sum(g["evaluationTime"] / g["interval"] for g in rules), 3),
            # the rules whose last evaluation took longest: what makes a group slow
            "slowest": sorted(
                (
                    {"group": g["name"], "rule": r["name"], "s": round(r["evaluationTime"], 3)}
                    for g in rules
                    for r in g["rules"]
                ),
                key=lambda rule: -rule["s"],
            )[:SLOWEST_RULES],
        },
        "prometheus_series": head_series,
        "hallmon_log": complaints,
    }


def _complaints(log: Path) -> dict[str, int]:
    """The exporter's warnings and errors (uvicorn's and hallmon's), each kind
    once with how often, its numbers blanked: why a ticket system's request failed
    is often only there."""
    found: Counter[str] = Counter()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if "WARNING" in line or "ERROR" in line or "Traceback" in line:
            found[re.sub(r"\d+(\.\d+)?", "#", line.strip())[:160]] += 1
    return dict(found.most_common(10))


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def report(r: dict[str, Any]) -> None:
    cpu, rss, ing, scr, nc = r["cpu_cores"], r["rss_mib"], r["ingest"], r["scrape"], r["nowcast"]
    slowest = r["rules"]["slowest"]
    print(
        f"province: {r['halls']} halls ({r['flagship_halls']} flagship), {r['minutes']:g} min "
        f"measured after a {r['warmup_s']:.0f} s warm-up (forecasts and nowcasts of every hall, or "
        f"the limit), metrics {r['metrics']}, {r['workers']} nowcast workers; the machine's load "
        f"average {r['load_average']['mean']} (max {r['load_average']['max']}) on "
        f"{os.cpu_count()} cores\n"
        f"  CPU, cores: hallmon {cpu['hallmon']:.2f} + nowcast workers "
        f"{cpu['nowcast_workers']:.2f}; Prometheus {cpu['prometheus']:.2f}; ticket systems "
        f"{cpu['ticket_systems']:.2f}\n"
        f"  RSS, MiB: hallmon {rss['hallmon']:.0f}, nowcast workers {rss['nowcast_workers']:.0f}, "
        f"Prometheus {rss['prometheus']:.0f}\n"
        f"  ingest: {ing['events_per_s']:.1f} events/s in {ing['requests']} requests "
        f"({ing['failed']} failed), p50 {ing['p50_ms']} ms, p99 {ing['p99_ms']} ms\n"
        + "".join(f"    failed {n}x: {why}\n" for why, n in ing["failed_why"].items())
        + f"  /metrics scraped by Prometheus: {scr['scrapes']} scrapes of {scr['samples']} "
        f"samples, p50 {scr['p50_s']} s, max {scr['max_s']} s\n"
        f"  nowcasts: {nc['per_min']} a minute, the workers' CPU {nc['workers_cpu_s_each']} s "
        "each (with the forecasts, drift references and call-in advice they also ran)\n"
        "  the workers' CPU by task (hallmon_pool_cpu_seconds_total): "
        + ", ".join(
            f"{task} {p['cores']:.2f} cores ({p['jobs_per_min']} a minute, "
            f"{p['cpu_s_each']} s each)"
            for task, p in r["pool"].items()
            if p["jobs_per_min"]
        )
        + "\n"
        f"  oldest nowcast at a scrape: {nc['oldest_s']} s (p50 of the scrapes' oldest "
        f"{nc['oldest_p50_s']} s); halls with a nowcast, fewest: {nc['halls_with_one_fewest']}\n"
        f"  Prometheus: {r['prometheus_series']} series; rules: {r['rules']['groups']} groups, "
        f"unhealthy {r['rules']['unhealthy'] or 'none'}, slowest group "
        f"{r['rules']['slowest_group_s']} s to evaluate (all groups: evaluating "
        f"{r['rules']['busy_share']:.0%} of the time); slowest rules: "
        + ", ".join(f"{s['rule']} {s['s']} s" for s in slowest)
        + "\n"
        + (
            "  the exporter's log, warnings and errors:\n"
            + "".join(f"    {n}x {line}\n" for line, n in r["hallmon_log"].items())
            if r["hallmon_log"]
            else "  the exporter's log: no warning or error\n"
        ),
        end="",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--halls", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=30.0, help="measured time")
    parser.add_argument("--flagship-share", type=float, default=0.1)
    parser.add_argument("--metrics", choices=["full", "compact"], default="full")
    parser.add_argument("--workers", type=int, default=2, help="nowcast processes")
    parser.add_argument("--warmup-limit", type=float, default=1800.0,
                        help="seconds to wait for the start-up forecasts at most")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    print_result(province(args), args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
