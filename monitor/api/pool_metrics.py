"""``hallmon_pool_cpu_seconds_total{task}`` and ``hallmon_pool_jobs_total{task}``:
what the exporter's simulation processes spent their CPU on since start (the
nowcasts, the forecasts, the drift tests' references, the call-in advice, the
ticket ETAs, the nightly fits), exporter-wide, so ops see what fills the pool
without a profiler. Rendered whole at each scrape (a dozen samples)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.metrics_core import CounterMetricFamily, Metric

from monitor.background.usage import PoolUsage
from monitor.core.snapshot import POOL_JOBS


class PoolCollector:
    """The pool's families from ``usage()`` (None: the exporter runs no pool;
    the families are announced without samples)."""

    def __init__(self, usage: Callable[[], PoolUsage | None]) -> None:
        self._usage = usage

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
