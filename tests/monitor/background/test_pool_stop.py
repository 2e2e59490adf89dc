"""Stopping the pool of simulation processes (:func:`stop_pool`): when it
returns, the pool's queues, whose semaphores the resource tracker reports as
leaked if the process dies before they are collected (a SIGTERM shutdown
ends by raising the signal again), are gone, though the caller still holds
the pool."""

from __future__ import annotations

import gc
import time
import weakref

from monitor.background.pool import new_pool, stop_pool


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_the_queues_are_collected_when_stop_pool_returns() -> None:
    """Three pools, each with jobs running and queued; red when the pool's own
    thread, which holds its queues until it ends, is left running (it was:
    the first ``shutdown`` forgets it, so the second did not wait for it)."""
    for _ in range(3):
        pool = new_pool(2)
        jobs = [pool.submit(nap, 2.0) for _ in range(4)]
        while not any(job.running() for job in jobs):
            time.sleep(0.01)
        time.sleep(0.2)  # the workers are in their jobs
        # private attributes, as stop_pool's own (Python 3.11 has no public ones)
        queues = [weakref.ref(getattr(pool, name)) for name in ("_call_queue", "_result_queue")]
        gc.disable()  # only stop_pool's own collection may count
        try:
            stop_pool(pool)  # the caller keeps ``pool``, as the background loops do
            alive = [q() is not None for q in queues]
        finally:
            gc.enable()
        assert alive == [False, False]
        assert all(job.done() for job in jobs)
