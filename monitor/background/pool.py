"""The pool of simulation processes, started when first needed and stopped at once.

``ProcessPoolExecutor.shutdown`` (Python 3.11) never stops a job that is
running: a SIGTERM during the start-up forecast left the workers simulating
for a minute or more after the server had gone, and ``shutdown(wait=False)``
left the pool's queues to the interpreter's exit, which never came as such:
uvicorn ends a SIGTERM shutdown by raising SIGTERM again, no exit handler runs,
and the resource tracker reported the queues' semaphores as leaked.
:func:`stop_pool` terminates the workers (a forecast or nowcast is only a
cache: it is computed again at the next start), shuts the pool down, waits for
its thread and collects its queues, so that their semaphores are released
before the process exits.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor

STOP_S = 5.0  # a terminated worker gone, at most (then it is killed)


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes made by a fork server: forking a process
    whose threads may hold locks is unsafe."""
    context = multiprocessing.get_context("forkserver")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def stop_pool(pool: ProcessPoolExecutor, timeout_s: float = STOP_S) -> None:
    """Stop ``pool`` now: queued jobs are cancelled, running ones abandoned
    (their futures fail), every worker is gone and the pool's thread, queues and
    semaphores are released when this returns."""
    # a private attribute: Python 3.14 has terminate_workers(), 3.11 nothing public
    found: dict[int, multiprocessing.process.BaseProcess] = getattr(pool, "_processes", None) or {}
    workers = list(found.values())
    # the pool's thread holds its queues until it ends; the first shutdown forgets
    # it (so the second cannot wait for it): kept here to be joined
    manager: threading.Thread | None = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    deadline = time.monotonic() + timeout_s
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
            worker.join()
    pool.shutdown(wait=True)
    if manager is not None:  # it sees the workers gone, fails their jobs and lets the queues go
        manager.join(max(0.0, deadline - time.monotonic()))
    # The queues' semaphores are unlinked (and unregistered from the resource
    # tracker) when their objects are collected, or by an exit handler; but
    # uvicorn ends by raising SIGTERM again, so no exit handler runs: collect
    # the queues now, the pool has let go of them.
    del pool, workers, found, manager
    gc.collect()
