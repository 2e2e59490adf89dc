"""The pool's CPU by task (``hallmon_pool_cpu_seconds_total``): counted where the
job runs, in the worker, for the jobs that finish; and the nowcast's interval
(``hallmon_nowcast_interval_seconds``) beside it."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest
from prometheus_client import CollectorRegistry

from monitor.api.pool_metrics import PoolCollector
from monitor.background.pool import new_pool, stop_pool
from monitor.background.usage import PoolUsage
from monitor.core.snapshot import POOL_JOBS


def burn(cpu_s: float) -> float:
    """Spin for ``cpu_s`` of this thread's CPU; returns what it measured."""
    start = time.thread_time()
    while time.thread_time() - start < cpu_s:
        sum(range(1000))
    return time.thread_time() - start


def fail() -> None:
    raise RuntimeError("the job failed")


def test_the_workers_cpu_is_counted_not_the_servers() -> None:
    usage = PoolUsage()
    pool: ProcessPoolExecutor = new_pool(1)
    try:

        async def run() -> tuple[float, float]:
            server_before = time.thread_time()
            inner = await usage.run(pool, "nowcast", burn, 0.2)
            await usage.run(pool, "nowcast", burn, 0.05)
            return inner, time.thread_time() - server_before

        inner, server_s = asyncio.run(run())
    finally:
        stop_pool(pool)
    assert usage.jobs == {**dict.fromkeys(POOL_JOBS, 0), "nowcast": 2}
    # both jobs' CPU, as the worker measured it (at least what burn spun for)
    assert usage.cpu_s["nowcast"] >= inner + 0.05
    assert usage.cpu_s["nowcast"] < inner + 0.05 + 0.1  # the call's own work is small
    assert server_s < inner  # the server waited; the worker spun
    assert all(usage.cpu_s[t] == 0 for t in POOL_JOBS if t != "nowcast")


def test_a_failed_job_counts_nothing_and_unknown_tasks_are_refused() -> None:
    usage = PoolUsage()
    with ThreadPoolExecutor(1) as threads:
        with pytest.raises(RuntimeError, match="the job failed"):
            asyncio.run(usage.run(threads, "forecast", fail))
        with pytest.raises(ValueError, match="'sweep' is not one of the pool's jobs"):
            asyncio.run(usage.run(threads, "sweep", burn, 0.0))
        asyncio.run(usage.run(threads, "drift", burn, 0.01))
    assert usage.jobs["forecast"] == 0 and usage.cpu_s["forecast"] == 0
    assert usage.jobs["drift"] == 1 and usage.cpu_s["drift"] >= 0.01


def test_the_families_name_every_task_or_none_without_a_pool() -> None:
    usage = PoolUsage()
    usage.cpu_s["nowcast"], usage.jobs["nowcast"] = 12.5, 700
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PoolCollector(lambda: usage, 90.0))
    for task in POOL_JOBS:
        cpu = registry.get_sample_value("hallmon_pool_cpu_seconds_total", {"task": task})
        jobs = registry.get_sample_value("hallmon_pool_jobs_total", {"task": task})
        assert (cpu, jobs) == ((12.5, 700) if task == "nowcast" else (0.0, 0.0)), task
    assert registry.get_sample_value("hallmon_nowcast_interval_seconds") == 90.0
    without = CollectorRegistry(auto_describe=False)
    without.register(PoolCollector(lambda: None, 0.0))
    families = {f.name: f.samples for f in without.collect()}
    assert families.keys() == {
        "hallmon_pool_cpu_seconds", "hallmon_pool_jobs", "hallmon_nowcast_interval_seconds"
    }  # fmt: skip
    assert families["hallmon_pool_cpu_seconds"] == families["hallmon_pool_jobs"] == []
    assert without.get_sample_value("hallmon_nowcast_interval_seconds") == 0.0
