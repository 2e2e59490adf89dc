"""The exporter's simulation work, exporter-wide (no hall label):
``hallmon_pool_cpu_seconds_total{task}`` and ``hallmon_pool_jobs_total{task}``,
what its simulation processes spent their CPU on since start (the nowcasts,
the forecasts, the drift tests' references, the call-in advice, the ticket
ETAs, the nightly fits), so ops see what fills the pool without a profiler;
and ``hallmon_nowcast_interval_seconds``, how old it lets an open hall's
nowcast get, so an alert on a stale nowcast can read each exporter's own
interval. Rendered whole at each scrape (a dozen samples)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from monitor.background.usage import PoolUsage
from monitor.core.snapshot import POOL_JOBS


class PoolCollector:
    """The pool's families from ``usage()`` (None: the exporter runs no pool;
    the families are announced without samples), and the nowcast's interval
    ``nowcast_every_s`` (seconds; 0: the exporter does not nowcast)."""

    def __init__(self, usage: Callable[[], PoolUsage | None], nowcast_every_s: float) -> None:
        self._usage = usage
        self._nowcast_every_s = nowcast_every_s

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        cpu = CounterMetricFamily(
            "hallmon_pool_cpu_seconds",
            "CPU seconds the simulation processes spent on jobs that finished, by task: "
            "forecast, nowcast, call_in (the advice to call staff in), drift (the drift "
            "tests' references), eta (ticket ETAs), learn (the nightly fits run locally).",
            labels=["task"],
        )
        jobs = CounterMetricFamily(
            "hallmon_pool_jobs",
            "Jobs the simulation processes finished, by task (as hallmon_pool_cpu_seconds_total).",
            labels=["task"],
        )
        usage = self._usage()
        if usage is not None:
            for task in POOL_JOBS:
                cpu.add_metric([task], usage.cpu_s[task])
                jobs.add_metric([task], usage.jobs[task])
        yield cpu
        yield jobs
        yield GaugeMetricFamily(
            "hallmon_nowcast_interval_seconds",
            "Configured nowcast.every: an open hall's nowcast is simulated again before it "
            "is this old; 0 when the exporter does not nowcast.",
            value=self._nowcast_every_s,
        )
