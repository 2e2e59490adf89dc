"""The cached ``/metrics`` of ``bench_ingest.py``: per-hall blocks
(:class:`monitor.api.exposition.HallBlocks`) scraped as Prometheus scrapes a
province at its busiest, against client_python rendering the same families.

Between two scrapes (15 s) every hall moves as a busy hall does at its peak
(:func:`advance`): the oldest waits grow, a ticket is issued and one is called
(counts, queue, a counter, the wait histogram), every other hall ends a
service (the service-time histogram), the latest event and the ingest count
move, and a quarter of the halls get a new nowcast (one a minute, scraped
every 15 s). The views are advanced before each timed scrape; each body is
checked against ``generate_latest`` of the same collector."""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from monitor.api.collector import HallCollector, MetricSet
from monitor.api.exposition import HallBlocks
from monitor.core.snapshot import HallView, Histogram

SCRAPE_EVERY_S = 15.0
NOWCAST_SHARE = 0.25  # halls with a new nowcast between two scrapes
SCRAPE_GOAL_S = 1.0
# the client_python render of 2,000 halls took 2.46 s on the quiet machine: the
# goal of 1 s as a share of the same render measured in the same run
SCRAPE_GOAL_RATIO = 0.4


def _observe(h: Histogram, value_s: float) -> Histogram:
    buckets = tuple(n + (value_s <= b) for n, b in zip(h.buckets, h.bounds_s, strict=True))
    return Histogram(h.bounds_s, buckets, h.count + 1, h.sum_s + value_s)


def _bump(table: dict[Any, int], key: Any, by: int = 1) -> dict[Any, int]:
    return table | {key: table.get(key, 0) + by}


def advance(view: HallView, rng: random.Random, k: int, i: int) -> HallView:
    """``view`` (the ``i``-th hall) one scrape interval later at a busy hall's
    peak; ``k`` is the scrape's number: a quarter of the halls get a new
    nowcast each time, each hall every fourth scrape."""
    live = view.live
    info = view.info
    service = rng.choice(info.services)
    pair = (service, rng.choice(info.segments))
    counter = rng.choice(info.counters)
    wait_s = rng.expovariate(1 / 400.0)
    live = replace(
        live,
        now_s=live.now_s + SCRAPE_EVERY_S,
        oldest_wait_s={s: w + SCRAPE_EVERY_S for s, w in live.oldest_wait_s.items()},
        issued=_bump(live.issued, pair),
        served=_bump(live.served, pair),
        counter_served=_bump(live.counter_served, counter),
        counter_busy=live.counter_busy | {counter: not live.counter_busy.get(counter, False)},
        wait=live.wait | {service: _observe(live.wait[service], wait_s)},
        last_event_s=live.now_s + SCRAPE_EVERY_S - rng.uniform(0.0, 5.0),
    )
    if rng.random() < 0.5:
        ended = rng.choice(info.services)
        time_s = rng.expovariate(1 / 420.0)
        live = replace(
            live,
            service_time=live.service_time | {ended: _observe(live.service_time[ended], time_s)},
        )
    nowcast = view.nowcast
    if nowcast is not None and (i + k) % round(1 / NOWCAST_SHARE) == 0:
        nowcast = replace(
            nowcast,
            computed_s=live.now_s,
            computed_at_s=live.now_s + 1.0,
            wait_s={key: v * rng.uniform(0.9, 1.1) for key, v in nowcast.wait_s.items()},
            wait_median_s={
                key: v * rng.uniform(0.9, 1.1) for key, v in nowcast.wait_median_s.items()
            },
            wait_p90_s={key: v * rng.uniform(0.9, 1.1) for key, v in nowcast.wait_p90_s.items()},
            breach_probability={h: rng.random() for h in nowcast.breach_probability},
            service_breach_probability={
                key: rng.random() for key in nowcast.service_breach_probability
            },
            present_queue={s: rng.uniform(0.0, 20.0) for s in nowcast.present_queue},
        )
    ingested = _bump(view.ingested, "accepted", 2)
    return replace(view, live=live, nowcast=nowcast, ingested=ingested)


def measure_cached(
    views: list[HallView],
    repeat: int,
    floor_s: float,
    floor_cpu_s: float,
    metric_set: MetricSet = "full",
) -> dict[str, Any]:
    """Scrapes of the cached exposition of ``views``: the first (every line
    written) and ``repeat`` more, each after every hall moved on
    (:func:`advance`); ``floor_s`` and ``floor_cpu_s`` are client_python's
    render of the same halls measured in the same run (wall and CPU)."""
    current = list(views)
    blocks = HallBlocks(HallCollector(lambda: current, metric_set=metric_set))
    reference = CollectorRegistry(auto_describe=False)
    reference.register(HallCollector(lambda: current, metric_set=metric_set))
    rng = random.Random(7)
    gc.collect()
    start = time.perf_counter()
    body = blocks.render()
    first_s = time.perf_counter() - start
    if body != generate_latest(reference):
        raise SystemExit("the cached exposition differs from generate_latest (first scrape)")
    lines = body.count(b"\n") - 2 * body.count(b"# TYPE")
    times: list[tuple[float, float]] = []
    old_times: list[tuple[float, float]] = []  # the same scrape by the path before blocks
    written = 0

    def before_blocks() -> bytes:
        return generate_latest(reference)

    paths: tuple[tuple[Callable[[], bytes], list[tuple[float, float]]], ...] = (
        (before_blocks, old_times),
        (blocks.render, times),
    )
    for k in range(repeat):
        current[:] = [advance(v, rng, k, i) for i, v in enumerate(current)]
        for path, into in paths:
            before = blocks.lines_rendered + blocks.values_rendered
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            body = path()
            into.append((time.perf_counter() - w0, time.process_time() - c0))
        written += blocks.lines_rendered + blocks.values_rendered - before
    if body != generate_latest(reference):
        raise SystemExit("the cached exposition differs from generate_latest (last scrape)")
    pairs = sorted(new[1] / old[1] for new, old in zip(times, old_times, strict=True))
    best_s = min(t for t, _ in times)
    best_cpu_s = min(c for _, c in times)
    return {
        "halls": len(views),
        "metric_set": metric_set,
        "repeat": repeat,
        "series_per_hall": lines / len(views),
        "first_s": first_s,
        "scrape_s": best_s,
        "scrape_median_s": sorted(t for t, _ in times)[len(times) // 2],
        "scrape_cpu_s": best_cpu_s,
        "floor_s": floor_s,
        "ratio": best_s / floor_s,
        "ratio_cpu": best_cpu_s / floor_cpu_s,
        "before_cpu_s": min(c for _, c in old_times),
        "after_over_before_cpu": pairs[len(pairs) // 2],
        "after_over_before_cpu_range": (pairs[0], pairs[-1]),
        "changed_lines_share": written / repeat / lines,
        "goal_s": SCRAPE_GOAL_S,
        "goal_ratio": SCRAPE_GOAL_RATIO,
        # CPU time: on a shared machine the wall clock measures the neighbours
        "pass": best_cpu_s / floor_cpu_s <= SCRAPE_GOAL_RATIO,
    }


def report_cached(r: dict[str, Any]) -> None:
    verdict = "PASS" if r["pass"] else "FAIL"
    print(
        f"/metrics {r['halls']:>5} halls cached ({r['metric_set']}, "
        f"{r['series_per_hall']:.0f} series/hall): first scrape {r['first_s'] * 1e3:.0f} ms; "
        f"busy peak ({r['changed_lines_share']:.0%} of the lines changed in each 15 s) "
        f"{r['scrape_s'] * 1e3:.0f} ms (median {r['scrape_median_s'] * 1e3:.0f} ms) vs "
        f"client_python's render {r['floor_s'] * 1e3:.0f} ms: {r['ratio']:.2f}x (CPU "
        f"{r['ratio_cpu']:.2f}x; goal <= {r['goal_ratio']}x, i.e. {r['goal_s']:.0f} s at the "
        f"issue's 2.46 s) {verdict}\n"
        f"  after/before in {r['repeat']} pairs "
        f"(the same scrape by generate_latest over HallCollector, CPU): "
        f"{r['after_over_before_cpu']:.3f}x ({r['after_over_before_cpu_range'][0]:.3f}-"
        f"{r['after_over_before_cpu_range'][1]:.3f})"
    )
