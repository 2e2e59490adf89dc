"""What the pool of simulation processes spends its CPU on, by job.

A job sent to the pool runs under :func:`_timed`, which returns with its result
the CPU seconds the worker's thread spent on it; :class:`PoolUsage` adds them
up by job for ``hallmon_pool_cpu_seconds_total{task}``. Only the jobs that
finish are counted (a job that raises says nothing of its cost). The thread's
clock, not the process's: the pool of a test may be threads of the server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from monitor.core.snapshot import POOL_JOBS

R = TypeVar("R")


def _timed(job: Callable[..., R], *args: Any) -> tuple[R, float]:
    """``job(*args)`` and the CPU seconds this thread spent on it."""
    start_s = time.thread_time()
    result = job(*args)
    return result, time.thread_time() - start_s


class PoolUsage:
    """CPU seconds and jobs finished in the pool since start, by job (:data:`POOL_JOBS`)."""

    def __init__(self) -> None:
        self.cpu_s: dict[str, float] = dict.fromkeys(POOL_JOBS, 0.0)
        self.jobs: dict[str, int] = dict.fromkeys(POOL_JOBS, 0)

    async def run(self, executor: Executor, job: str, fn: Callable[..., R], *args: Any) -> R:
        """``fn(*args)`` in ``executor``, counted as one ``job``."""
        if job not in self.cpu_s:
            raise ValueError(f"{job!r} is not one of the pool's jobs {POOL_JOBS}")
        loop = asyncio.get_running_loop()
        result, cpu_s = await loop.run_in_executor(executor, _timed, fn, *args)
        self.cpu_s[job] += cpu_s
        self.jobs[job] += 1
        return result
