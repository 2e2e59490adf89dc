"""Benchmark the monitor's hot paths: durable ingest over HTTP, ``/metrics``,
and one nowcast refresh, each against its floor or limit in the same run.

Ingest (see ``ingest_sections.py``): ``--events`` flagship events posted in
batches of 500 to a real ``hallmon serve`` (WAL, ``synchronous=FULL``, reply
after commit) against a raw SQLite ``executemany`` of the same rows into the
same schema, one transaction per batch, in ``--rounds`` rounds (median of the
rounds' ratios). Goal: HTTP with ``--clients`` clients >= 50% of raw. Printed
beside it, for honesty: the stricter floor of raw SQLite inserting each batch
many rows a statement, as the server's store does. With it,
the CPU of the whole ingest (the server's CPU an event against raw SQLite's
CPU a row, steadier than the rates when neighbours load the machine) and the
CPU an event costs at each stage of the ingest, in process: what the
hardening checks cost beyond decoding the body.

Nowcast: one refresh of ``--nowcast-halls`` busy halls (flagship at 18:30, each
its own simulated day) on ``--workers`` processes, with sequential stopping
(the default precision, at most 30 replications) and with all 30, alternated
on the same halls and pool; then the same at 11:00, a busy morning. Goal:
2,000 such halls in under 60 s a round (what keeps every nowcast of a
province under a minute old), judged by the workers' CPU time per hall (the
wall clock is printed too; on a shared machine it measures the neighbours).
Then the county hall at 10:30 (about 100 tickets a day, three counters): the
small hall nine in ten of a province's are, whose nowcast costs the fixed
work of each replication rather than its customers; its round is printed as
2,000 such halls against the same goal. Beside each, the round with all 30
replications (no sequential stopping) against the budget a nowcast's cost
is held to (``sim/live/nowcast.py``): 100 busy halls within 30 s on 2 cores,
judged from the workers' CPU as a ratio to that limit (below 1 meets it).

/metrics: N synthetic halls (4 services, 4 segments, 8 counters, busy-looking
values, forecast and nowcast present) as :class:`HallView`s, rendered with
client_python's ``generate_latest`` (best of ``--repeat``):

    floor      a registry holding a static collector whose families were built
               beforehand, with client_python's own ``add_metric``, from the
               same views: the cost of rendering alone
    collector  ``HallCollector`` on its own registry: building at scrape time
               plus rendering (what the exporter did before per-hall blocks)
    cached     what the exporter does (``scrape_sections.py``): per-hall blocks,
               scraped after every hall moved on as at its busiest, 15 s later

All must render the same bytes (checked). Goals: collector / floor <= 1.3 in
wall time (best of ``--repeat``); cached <= 0.4 x floor (1 s at the issue's
2.46 s floor) in CPU time, steadier than the wall clock on a shared machine
(both are printed), with each cached scrape paired with the same scrape by
the path before blocks. ``--compact`` adds the cached scrape of the compact
metric set.

Exit status: 0 whatever the goals (a benchmark, not a test).

    python benchmarks/bench_ingest.py [--halls 100 2000] [--repeat N] [--compact]
        [--events 100000] [--rounds 3] [--nowcast-halls 100] [--only ingest|metrics|nowcast]
        [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest_sections as sections
import scrape_sections as scrape
from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from monitor.api.collector import FAMILIES, HallCollector
from monitor.core.snapshot import (
    BACKGROUND_JOBS,
    HALL_LIMITS,
    HORIZONS,
    INGEST_RESULTS,
    LABEL_DIMENSIONS,
    ForecastNow,
    HallInfo,
    HallView,
    Histogram,
    LiveSnapshot,
    NowcastNow,
)

METRICS_RATIO_GOAL = 1.3
SERVICES = ("consult", "business", "after_sales", "payment")
SEGMENTS = ("gotone_vip", "gotone", "mzone", "easyown")
COUNTERS = tuple(f"{g}{k}" for g, n in (("V", 1), ("B", 4), ("Q", 2), ("A", 1)) for k in range(n))
WAIT_BOUNDS_S = (30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0)
SERVICE_BOUNDS_S = (60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0)
NOW_S = 1_767_000_000.0


# -- synthetic halls -------------------------------------------------------------------


def _histogram(rng: random.Random, bounds_s: tuple[float, ...], n: int, mean_s: float) -> Histogram:
    values = [rng.expovariate(1.0 / mean_s) for _ in range(n)]
    buckets = tuple(sum(v <= b for v in values) for b in bounds_s)
    return Histogram(bounds_s, buckets, n, sum(values))


def synthetic_view(i: int, rng: random.Random) -> HallView:
    """One busy hall at mid-afternoon, with a forecast and a nowcast."""
    hall = f"hall-{i:05d}"
    info = HallInfo(
        id=hall,
        name=f'营业厅 {i} "中心"',
        district=f"区{i % 16}",
        city=f"城市{i % 3}",
        services=SERVICES,
        segments=SEGMENTS,
        counters=COUNTERS,
        target_wait_s=900.0,
        objective=0.8,
    )
    pairs = [(s, g) for s in SERVICES for g in SEGMENTS]
    issued = {p: rng.randint(20, 200) for p in pairs}
    served = {p: int(issued[p] * rng.uniform(0.7, 0.95)) for p in pairs}
    abandoned = {p: rng.randint(0, max(1, (issued[p] - served[p]) // 2)) for p in pairs}
    queue = {s: rng.randint(0, 25) for s in SERVICES}
    live = LiveSnapshot(
        now_s=NOW_S,
        day="2025-12-29",
        open=True,
        queue=queue,
        queue_by_segment={p: rng.randint(0, 8) for p in pairs},
        oldest_wait_s={s: rng.uniform(0.0, 1800.0) for s in SERVICES},
        counters_open=7,
        counters_busy=rng.randint(3, 7),
        issued=issued,
        served=served,
        abandoned=abandoned,
        counter_busy={c: rng.random() < 0.8 for c in COUNTERS},
        counter_open={c: c != "A0" for c in COUNTERS},
        counter_served={c: rng.randint(0, 90) for c in COUNTERS},
        wait={s: _histogram(rng, WAIT_BOUNDS_S, 60, 400.0) for s in SERVICES},
        service_time={s: _histogram(rng, SERVICE_BOUNDS_S, 50, 420.0) for s in SERVICES},
        last_event_s=NOW_S - rng.uniform(0.0, 30.0),
    )
    forecast = ForecastNow(
        queue_length={s: rng.uniform(0.0, 20.0) for s in SERVICES},
        wait_s={s: rng.uniform(0.0, 1200.0) for s in SERVICES},
        arrivals_per_hour={s: rng.uniform(5.0, 40.0) for s in SERVICES},
    )
    nowcast = NowcastNow(
        computed_s=NOW_S - 10.0,
        wait_s={(s, h): rng.uniform(0.0, 1500.0) for s in SERVICES for h in HORIZONS},
        breach_probability={h: rng.random() for h in HORIZONS},
        present_queue={s: rng.uniform(0.0, 20.0) for s in SERVICES},
        computed_at_s=NOW_S - 5.0,
        wait_median_s={(s, h): rng.uniform(0.0, 1200.0) for s in SERVICES for h in HORIZONS},
        wait_p90_s={(s, h): rng.uniform(0.0, 2400.0) for s in SERVICES for h in HORIZONS},
        service_breach_probability={(s, h): rng.random() for s in SERVICES for h in HORIZONS},
    )
    ingested = dict.fromkeys(INGEST_RESULTS, 0)
    ingested |= {"accepted": rng.randint(1000, 5000), "duplicate": rng.randint(0, 20)}
    failures = dict.fromkeys(BACKGROUND_JOBS, 0)
    overflow = dict.fromkeys(LABEL_DIMENSIONS, 0)
    limited = dict.fromkeys(HALL_LIMITS, 0)
    return HallView(info, live, forecast, nowcast, ingested, failures, overflow, limited)


def synthetic_views(n_halls: int, seed: int = 1) -> list[HallView]:
    rng = random.Random(seed)
    return [synthetic_view(i, rng) for i in range(n_halls)]


# -- the floor: families built beforehand with client_python's own API -------------------


def static_families(views: Sequence[HallView]) -> list[Metric]:
    """The same families and samples as ``HallCollector``, built once with
    ``add_metric`` (written independently, so equal output also checks it)."""

    def gauge(name: str, labels: list[str]) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, help_of[name], labels=labels)

    def counter(name: str, labels: list[str]) -> CounterMetricFamily:
        return CounterMetricFamily(name, help_of[name], labels=labels)

    help_of = {name: text for name, (_, text) in FAMILIES.items()}
    info_f = gauge("hall_info", ["hall", "name", "district", "city"])
    open_f = gauge("hall_open", ["hall"])
    queue_f = gauge("hall_queue_length", ["hall", "service"])
    away_f = gauge("hall_remote_tickets_on_the_way", ["hall", "service"])
    oldest_f = gauge("hall_oldest_wait_seconds", ["hall", "service"])
    copen_f = gauge("hall_counters_open", ["hall"])
    cbusy_f = gauge("hall_counters_busy", ["hall"])
    planned_f = gauge("hall_counters_planned", ["hall"])
    tickets = [
        counter(n, ["hall", "service", "segment"])
        for n in ("hall_tickets_issued", "hall_tickets_served", "hall_tickets_abandoned")
    ]
    busy_f = gauge("hall_counter_busy", ["hall", "counter"])
    cserved_f = counter("hall_counter_served", ["hall", "counter"])
    hists = [
        HistogramMetricFamily(n, help_of[n], labels=["hall", "service"])
        for n in ("hall_wait_seconds", "hall_service_seconds")
    ]
    target_f = gauge("hall_slo_target_wait_seconds", ["hall"])
    objective_f = gauge("hall_slo_objective_ratio", ["hall"])
    fc = [
        gauge(n, ["hall", "service"])
        for n in (
            "hall_forecast_queue_length",
            "hall_forecast_wait_seconds",
            "hall_forecast_arrivals_per_hour",
        )
    ]
    fc_half = [
        gauge(n, ["hall", "service"])
        for n in (
            "hall_forecast_queue_length_ci95_half_width",
            "hall_forecast_wait_seconds_ci95_half_width",
            "hall_forecast_arrivals_per_hour_ci95_half_width",
        )
    ]
    ncw_f, ncm_f, ncp_f = (
        gauge(n, ["hall", "service", "horizon"])
        for n in (
            "hall_nowcast_wait_seconds",
            "hall_nowcast_wait_median_seconds",
            "hall_nowcast_wait_p90_seconds",
        )
    )
    ncq_f = gauge("hall_nowcast_queue_length", ["hall", "service"])
    ncb_f = gauge("hall_nowcast_breach_probability", ["hall", "horizon"])
    ncsb_f = gauge("hall_nowcast_service_breach_probability", ["hall", "service", "horizon"])
    advice_f = gauge("hall_nowcast_counters_to_open", ["hall", "group"])
    asof_f = gauge("hall_nowcast_as_of_timestamp_seconds", ["hall"])
    comp_f = gauge("hall_nowcast_computed_timestamp_seconds", ["hall"])
    last_f = gauge("hall_last_event_timestamp_seconds", ["hall"])
    heard_f = gauge("hall_last_heard_timestamp_seconds", ["hall"])
    clock_f = gauge("hall_clock_timestamp_seconds", ["hall"])
    ingest_f = counter("hallmon_ingest_events", ["hall", "result"])
    failures_f = counter("hallmon_background_failures", ["hall", "job"])
    overflow_f = counter("hallmon_label_overflow", ["hall", "dimension"])
    limited_f = counter("hallmon_limited_requests", ["hall", "limit"])
    for v in views:
        h, live = v.info.id, v.live
        info_f.add_metric([h, v.info.name, v.info.district, v.info.city], 1.0)
        open_f.add_metric([h], live.open)
        for s in v.info.services:
            queue_f.add_metric([h, s], live.queue[s])
        for s in v.info.services:
            away_f.add_metric([h, s], live.away.get(s, 0))
        for s in v.info.services:
            oldest_f.add_metric([h, s], live.oldest_wait_s[s])
        copen_f.add_metric([h], live.counters_open)
        cbusy_f.add_metric([h], live.counters_busy)
        if v.planned is not None:
            planned_f.add_metric([h], v.planned.total)
        for fam, values in zip(tickets, (live.issued, live.served, live.abandoned), strict=True):
            for s in v.info.services:
                for g in v.info.segments:
                    fam.add_metric([h, s, g], values[(s, g)])
        for c in v.info.counters:
            busy_f.add_metric([h, c], live.counter_busy[c])
        for c in v.info.counters:
            cserved_f.add_metric([h, c], live.counter_served[c])
        for hist_f, hist in zip(hists, (live.wait, live.service_time), strict=True):
            for s in v.info.services:
                x = hist[s]
                buckets = [(str(b), n) for b, n in zip(x.bounds_s, x.buckets, strict=True)]
                hist_f.add_metric([h, s], [*buckets, ("+Inf", x.count)], x.sum_s)
        target_f.add_metric([h], v.info.target_wait_s)
        objective_f.add_metric([h], v.info.objective)
        assert v.forecast is not None and v.nowcast is not None
        for fc_f, fc_values in zip(
            fc,
            (v.forecast.queue_length, v.forecast.wait_s, v.forecast.arrivals_per_hour),
            strict=True,
        ):
            for s in v.info.services:
                fc_f.add_metric([h, s], fc_values[s])
        for half_f, half_values in zip(
            fc_half,
            (
                v.forecast.queue_length_half,
                v.forecast.wait_half_s,
                v.forecast.arrivals_per_hour_half,
            ),
            strict=True,
        ):
            for s in v.info.services:
                value = half_values.get(s)
                if value is not None and value == value:  # absent or NaN: no sample
                    half_f.add_metric([h, s], value)
        nc = v.nowcast
        for nc_f, table in ((ncw_f, nc.wait_s), (ncm_f, nc.wait_median_s), (ncp_f, nc.wait_p90_s)):
            for s in v.info.services:
                for hz in HORIZONS:
                    nc_f.add_metric([h, s, hz], table[(s, hz)])
        for s in v.info.services:
            ncq_f.add_metric([h, s], nc.present_queue[s])
        for hz in HORIZONS:
            ncb_f.add_metric([h, hz], nc.breach_probability[hz])
        for s in v.info.services:
            for hz in HORIZONS:
                ncsb_f.add_metric([h, s, hz], nc.service_breach_probability[(s, hz)])
        if nc.call_in is not None:
            more = nc.call_in.counters
            to_open = math.inf if more is None else float(more)
            advice_f.add_metric([h, nc.call_in.group or ""], to_open)
        asof_f.add_metric([h], nc.computed_s)
        assert nc.computed_at_s is not None
        comp_f.add_metric([h], nc.computed_at_s)
        assert live.last_event_s is not None
        last_f.add_metric([h], live.last_event_s)
        heard = live.received_s if v.info.clock == "events" else live.last_event_s
        if heard is not None:
            heard_f.add_metric([h], heard)
        clock_f.add_metric([h], live.now_s)
        for r in INGEST_RESULTS:
            ingest_f.add_metric([h, r], v.ingested[r])
        for j in BACKGROUND_JOBS:
            failures_f.add_metric([h, j], v.failures[j])
        for d in LABEL_DIMENSIONS:
            overflow_f.add_metric([h, d], v.overflow[d])
        for k in HALL_LIMITS:
            limited_f.add_metric([h, k], v.limited[k])
    return [
        info_f, open_f, queue_f, away_f, oldest_f, copen_f, cbusy_f, planned_f, *tickets, busy_f,
        cserved_f, *hists, target_f, objective_f, *fc, *fc_half, ncw_f, ncm_f, ncp_f, ncq_f,
        ncb_f, ncsb_f, advice_f, asof_f, comp_f, last_f, heard_f, clock_f, ingest_f, failures_f,
        overflow_f, limited_f,
    ]  # fmt: skip


class StaticCollector:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> list[Metric]:
        return self.families


# -- timing -----------------------------------------------------------------------------


def best_of(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, dict[str, float]]:
    """Best wall and CPU time (seconds) of ``repeat`` calls of each function,
    calls interleaved so that a noisy neighbour hurts all cases alike (one
    untimed warm-up call each first)."""
    for fn in fns.values():
        fn()
    best = {key: {"wall_s": float("inf"), "cpu_s": float("inf")} for key in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            w1, c1 = time.perf_counter(), time.process_time()
            best[key]["wall_s"] = min(best[key]["wall_s"], w1 - w0)
            best[key]["cpu_s"] = min(best[key]["cpu_s"], c1 - c0)
    return best


def _registry(collector: Any) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)
    return registry


def measure_metrics(n_halls: int, repeat: int, compact: bool = False) -> dict[str, Any]:
    """/metrics for ``n_halls`` synthetic halls: floor vs ``HallCollector`` vs
    the cached per-hall blocks (and the compact set's, with ``compact``)."""
    views = synthetic_views(n_halls)
    floor_registry = _registry(StaticCollector(static_families(views)))
    ours_registry = _registry(HallCollector(lambda: views))
    floor_text = generate_latest(floor_registry)
    ours_text = generate_latest(ours_registry)
    if ours_text != floor_text:
        raise SystemExit("HallCollector renders other bytes than the static floor")
    best = best_of(
        {
            "floor": lambda: generate_latest(floor_registry),
            "collector": lambda: generate_latest(ours_registry),
        },
        repeat,
    )
    lines = ours_text.decode().splitlines()
    series = sum(1 for line in lines if not line.startswith("#"))
    floor_s, ours_s = best["floor"]["wall_s"], best["collector"]["wall_s"]
    floor_cpu_s = best["floor"]["cpu_s"]
    cached = [scrape.measure_cached(views, repeat, floor_s, floor_cpu_s)]
    if compact:
        cached.append(scrape.measure_cached(views, repeat, floor_s, floor_cpu_s, "compact"))
    return {
        "halls": n_halls,
        "series": series,
        "series_per_hall": series / n_halls,
        "bytes": len(ours_text),
        "floor_s": floor_s,
        "collector_s": ours_s,
        "ratio": ours_s / floor_s,
        "floor_cpu_s": best["floor"]["cpu_s"],
        "collector_cpu_s": best["collector"]["cpu_s"],
        "ratio_cpu": best["collector"]["cpu_s"] / best["floor"]["cpu_s"],
        "goal_ratio": METRICS_RATIO_GOAL,
        "pass": ours_s / floor_s <= METRICS_RATIO_GOAL,
        "cached": cached,
    }


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_metrics(rows: Iterable[dict[str, Any]]) -> None:
    for r in rows:
        print(
            f"/metrics {r['halls']:>5} halls: {r['series_per_hall']:.0f} series/hall, "
            f"{r['series']} lines, {r['bytes'] / 1e6:.1f} MB; floor {r['floor_s'] * 1e3:.0f} ms, "
            f"collector {r['collector_s'] * 1e3:.0f} ms, ratio {r['ratio']:.2f} "
            f"(CPU {r['ratio_cpu']:.2f}; goal <= {r['goal_ratio']}) {_verdict(r['pass'])}"
        )
        for cached in r["cached"]:
            scrape.report_cached(cached)


def report_ingest(r: dict[str, Any]) -> None:
    ratios = ", ".join(f"{x:.0%}" for x in r["ratios"])
    print(
        f"ingest {r['events']} events in batches of {r['batch']}, median of {r['rounds']} "
        f"rounds: raw SQLite {r['raw_rows_per_s']:,.0f} rows/s; HTTP, 1 client "
        f"{r['http_one_client_per_s']:,.0f} events/s, {r['clients']} clients "
        f"{r['http_events_per_s']:,.0f} events/s = {r['ratio']:.0%} of raw ({ratios}; goal >= "
        f"{r['goal_ratio']:.0%}) {_verdict(r['pass'])}"
    )
    cpu_ratios = ", ".join(f"{x:.0%}" for x in r["cpu_ratios"])
    print(
        f"  CPU: raw SQLite {r['raw_cpu_us_per_row']:.2f} us a row; the server "
        f"{r['http_one_client_cpu_us_per_event']:.2f} us an event with 1 client, "
        f"{r['http_cpu_us_per_event']:.2f} us with {r['clients']}: raw / server = "
        f"{r['cpu_ratio']:.0%} ({cpu_ratios})"
    )
    print(
        f"  against the stricter floor of raw SQLite inserting many rows a statement, as the "
        f"server does: {r['strict_rows_per_s']:,.0f} rows/s, {r['strict_cpu_us_per_row']:.2f} us "
        f"a row; the server {r['strict_ratio']:.0%} of its rate, {r['strict_cpu_ratio']:.0%} in CPU"
    )
    st = r["stages"]
    print(
        f"  CPU an event, in process: decode {st['decode']:.2f} us, read (the whole contract) "
        f"{st['read']:.2f} us, decide (time order, labels) {st['decide']:.2f} us, apply "
        f"{st['apply']:.2f} us; the hardening checks beyond decoding: {st['checks']:.2f} us"
    )


def report_nowcast(r: dict[str, Any]) -> None:
    hh, mm = divmod(round(r["hour"] * 60), 60)
    print(
        f"nowcast refresh, {r['halls']} {r['hall']} halls at {hh:02d}:{mm:02d} x at most "
        f"{r['replications']} replications on {r['workers']} workers "
        f"({r['waiting_per_hall']:.1f} waiting, {r['busy_per_hall']:.1f} busy per hall): first "
        f"{r['first_s']:.1f} s; warm, sequential stopping {r['warm_s']:.1f} s "
        f"({r['mean_replications']:.1f} replications a hall, workers' CPU {r['warm_cpu_s']:.1f} s)"
        f" vs all 30 {r['fixed_s']:.1f} s (CPU {r['fixed_cpu_s']:.1f} s): {r['speedup']:.2f}x "
        f"(CPU {r['speedup_cpu']:.2f}x); {sections.PROVINCE_HALLS:,} such halls "
        f"{r['province_round_s']:.0f} s a round (from CPU: {r['province_round_cpu_s']:.0f} s; "
        f"goal < {r['goal_province_s']:.0f} s) {_verdict(r['pass'])}"
    )
    print(
        f"  all 30 replications, {sections.NOWCAST_LIMIT_HALLS} such halls a round on "
        f"{r['workers']} workers from CPU {r['limit_round_cpu_s']:.1f} s: "
        f"{r['limit_ratio']:.2f} of the monitor's {r['limit_s']:.0f} s limit "
        f"{_verdict(r['limit_ratio'] < 1)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the monitor's hot paths.")
    parser.add_argument("--halls", type=int, nargs="+", default=[100, 2000], help="hall counts")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per case (best of)")
    parser.add_argument("--events", type=int, default=100_000, help="events to ingest")
    parser.add_argument("--clients", type=int, default=2, help="connections posting at once")
    parser.add_argument("--rounds", type=int, default=3, help="ingest rounds (median)")
    parser.add_argument("--nowcast-halls", type=int, default=100, help="halls to nowcast")
    parser.add_argument("--workers", type=int, default=2, help="nowcast processes")
    parser.add_argument("--only", choices=["ingest", "metrics", "nowcast"], help="one section")
    parser.add_argument("--compact", action="store_true", help="also the compact metric set")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    if args.repeat < 1 or min(args.halls) < 1:
        parser.error("--repeat and --halls must be >= 1")
    disable_created_metrics()  # type: ignore[no-untyped-call]

    out: dict[str, Any] = {"python": platform.python_version(), "machine": platform.machine()}
    with tempfile.TemporaryDirectory() as scratch:
        if args.only in (None, "ingest"):
            out["ingest"] = sections.measure_ingest(
                args.events, Path(scratch), args.clients, args.rounds
            )
            if not args.json:
                report_ingest(out["ingest"])
        if args.only in (None, "metrics"):
            out["metrics"] = [measure_metrics(n, args.repeat, args.compact) for n in args.halls]
            if not args.json:
                report_metrics(out["metrics"])
        if args.only in (None, "nowcast"):
            out["nowcast"] = [
                sections.measure_nowcast(
                    args.nowcast_halls, Path(scratch), args.workers, hour=h, scenario=where
                )
                for h, where in ((18.5, sections.FLAGSHIP), (11.0, sections.FLAGSHIP),
                                 (10.5, sections.COUNTY))
            ]  # fmt: skip
            if not args.json:
                for row in out["nowcast"]:
                    report_nowcast(row)
    if args.json:
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
