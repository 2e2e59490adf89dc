"""The exporter's background rounds: a job run again and again for as long as
its task lives, which one failure never stops, a round's jobs gathered so
that one failing abandons none of the others, and the longest of the delays
seen lately (what a schedule must leave room for)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

K = TypeVar("K")
R = TypeVar("R")


async def every(
    interval_s: float, round_: Callable[[], Awaitable[object]], failed: str, log: logging.Logger
) -> NoReturn:
    """Run ``round_`` now and again ``interval_s`` seconds after each round
    ends; a round that raises is logged on ``log`` (``failed``, with the
    traceback) and the next one runs: a failed round must not stop the
    exporter."""
    while True:
        try:
            await round_()
        except Exception:
            log.exception(failed)
        await asyncio.sleep(interval_s)


async def settled(
    jobs: dict[str, tuple[K, asyncio.Future[R]]],
) -> list[tuple[str, tuple[K, R | Exception]]]:
    """Every job's result or exception, once all have finished: one failing
    job must not abandon the others' results (cancellation still propagates)."""
    results = await asyncio.gather(*(job for _, job in jobs.values()), return_exceptions=True)
    out: list[tuple[str, tuple[K, R | Exception]]] = []
    for (hall_id, (key, _)), result in zip(jobs.items(), results, strict=True):
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result  # CancelledError, KeyboardInterrupt: not a job's failure
        out.append((hall_id, (key, result)))
    return out


class LongestRecent:
    """The longest of the values added in the last ``span_s`` seconds (0 for
    none): a sliding window's maximum, each value looked at a few times at most
    however often it is asked (the values kept are those no later one exceeds)."""

    def __init__(self, span_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.span_s = span_s
        self._clock = clock
        self._kept: deque[tuple[float, float]] = deque()  # (when, value), values falling

    def add(self, value: float) -> None:
        kept = self._kept
        while kept and kept[-1][1] <= value:
            kept.pop()
        kept.append((self._clock(), value))

    def longest(self) -> float:
        kept, since = self._kept, self._clock() - self.span_s
        while kept and kept[0][0] < since:
            kept.popleft()
        return kept[0][1] if kept else 0.0
