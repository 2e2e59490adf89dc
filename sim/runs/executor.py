"""Where replications run: a small interface over "map picklable work".

``Executor.map`` takes a picklable function and a list of picklable items and
yields ``(index, result)`` as results complete, so callers can show progress.
Local runs use the current process (one worker) or a process pool; a Dask
``distributed.Client`` fits the same interface (``client.map`` plus
``as_completed``), which is how sweeps will run on a cluster.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs ``fn(item)`` for every item; yields ``(index, result)`` as they finish."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Runs everything in this process, in order (no start-up or pickling cost)."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        for i, item in enumerate(items):
            yield i, fn(item)

    def close(self) -> None:
        return None


class ProcessExecutor:
    """A pool of ``workers`` local processes."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        # imported here: multiprocessing and its company cost a one-replication
        # run 15 ms of start-up for nothing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers)
        futures: dict[Future[R], int] = {
            self._pool.submit(fn, item): i for i, item in enumerate(items)
        }
        for future in as_completed(futures):
            yield futures[future], future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def local_executor(workers: int | None, jobs: int) -> Executor:
    """The default executor for ``jobs`` pieces of work: in-process for one
    worker, else a process pool of ``workers`` (default: the CPU count)."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    count = max(1, min(count, jobs))
    return SerialExecutor() if count == 1 else ProcessExecutor(count)
