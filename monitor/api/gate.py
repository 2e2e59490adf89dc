"""Readers wait their turn; ingest never does.

A flood of readers (``/metrics``, the ``/v1`` read API, the pages, the API
documents) can take most of the interpreter's time from ingest: requests are
served by threads of one process, which share one interpreter lock.
:class:`ReadGate`, an ASGI middleware, schedules readers:

- at most ``readers`` read requests run at once; a reader that cannot start
  within ``wait_s`` gets 503 with Retry-After;
- a reader starts only while no ingest request is in flight, or once it has
  waited :data:`YIELD_S` for one to finish, so readers take the gaps between
  batches;
- while ingest is busy (a batch in flight, or one finished in the last
  :data:`BUSY_S`), readers together get at most ``1 - ingest_share`` of the
  time: each read is charged the time it ran (at least
  :data:`MIN_READ_COST_S`, what accepting and answering a request costs
  beyond the route; what the last read cost as it starts, settled when it
  ends), and the next reader waits until the charges are paid back at
  ``1 - ingest_share`` seconds a second (:class:`ReadBudget`).

Ingest (``POST /v1/halls/{hall}/events``) and the probes (``/healthz``,
``/readyz``) pass straight through. ``/metrics`` is cached (see
:mod:`monitor.api.exposition`) and waits like any reader, so a flood of
scrapes cannot take ingest's time either.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

_UNGATED = frozenset({"/healthz", "/readyz"})
RETRY_S = 1
YIELD_S = 0.25  # a reader waits at most this long for in-flight ingest to finish
BUSY_S = 0.5  # ingest counts as busy this long after its last batch
MIN_READ_COST_S = 0.001  # parsing, routing and sending a request, beyond the route itself
_BURST_S = 0.05  # reader time that may be spent at once before the budget holds readers


def is_ingest(scope: Scope) -> bool:
    return scope["method"] == "POST" and str(scope["path"]).startswith("/v1/halls/")


def gated(scope: Scope) -> bool:
    """Whether a request waits at the gate: every HTTP request but ingest and
    the probes."""
    return scope["path"] not in _UNGATED and not is_ingest(scope)


class ReadBudget:
    """Reader time while ingest is busy: a bucket of seconds refilled at
    ``1 - ingest_share`` a second (at most :data:`_BURST_S`), which each read
    empties by its cost; readers wait while it is below zero."""

    def __init__(self, ingest_share: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = 1.0 - ingest_share
        self._clock = clock
        self._level = _BURST_S
        self._at = clock()
        self._last_s = MIN_READ_COST_S

    def _refill(self) -> float:
        now = self._clock()
        self._level = min(_BURST_S, self._level + (now - self._at) * self.rate)
        self._at = now
        return self._level

    def wait_s(self) -> float:
        """Seconds until the next reader may start (0: now)."""
        level = self._refill()
        return 0.0 if level >= 0 else -level / self.rate

    def charge(self, cost_s: float) -> None:
        self._refill()
        self._level -= cost_s

    def reserve(self) -> float:
        """Charge a read that starts now what the last one cost (readers run
        side by side: each must see what the others already took)."""
        self.charge(self._last_s)
        return self._last_s

    def settle(self, reserved_s: float, cost_s: float) -> None:
        """Charge a finished read its cost beyond (or back below) ``reserved_s``."""
        self._last_s = cost_s
        self.charge(cost_s - reserved_s)


class ReadGate:
    """Schedules gated requests (see the module docstring)."""

    def __init__(
        self, app: ASGIApp, *, readers: int, wait_s: float, ingest_share: float = 0.0
    ) -> None:
        self.app = app
        self.readers = readers
        self.wait_s = wait_s
        self.budget = ReadBudget(ingest_share) if ingest_share > 0 else None
        self._slots: asyncio.Semaphore | None = None  # made in the server's loop
        self._no_ingest: asyncio.Event | None = None
        self._ingesting = 0
        self._ingest_done = float("-inf")  # time.monotonic() of the last batch's end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None or self._no_ingest is None:
            self._slots = asyncio.Semaphore(self.readers)
            self._no_ingest = asyncio.Event()
            self._no_ingest.set()
        if is_ingest(scope):
            await self._ingest(scope, receive, send, self._no_ingest)
        elif gated(scope):
            await self._read(scope, receive, send, self._slots, self._no_ingest)
        else:
            await self.app(scope, receive, send)

    def ingest_busy(self) -> bool:
        return self._ingesting > 0 or time.monotonic() - self._ingest_done < BUSY_S

    async def _ingest(
        self, scope: Scope, receive: Receive, send: Send, idle: asyncio.Event
    ) -> None:
        self._ingesting += 1
        idle.clear()
        try:
            await self.app(scope, receive, send)
        finally:
            self._ingesting -= 1
            self._ingest_done = time.monotonic()
            if self._ingesting == 0:
                idle.set()

    async def _read(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        slots: asyncio.Semaphore,
        idle: asyncio.Event,
    ) -> None:
        start = time.monotonic()
        try:
            async with asyncio.timeout(self.wait_s):
                await slots.acquire()
        except TimeoutError:
            await _busy(send, self.wait_s)
            return
        try:
            left_s = self.wait_s - (time.monotonic() - start)
            with contextlib.suppress(TimeoutError):  # waited enough: go ahead anyway
                async with asyncio.timeout(min(YIELD_S, max(0.0, left_s))):
                    await idle.wait()
            budget = self.budget
            while budget is not None and self.ingest_busy() and (pause_s := budget.wait_s()) > 0:
                if time.monotonic() + pause_s - start > self.wait_s:
                    await _busy(send, self.wait_s)
                    return
                await asyncio.sleep(pause_s)
            began = time.monotonic()
            reserved = budget.reserve() if budget is not None and self.ingest_busy() else None
            try:
                await self.app(scope, receive, send)
            finally:
                if budget is not None and reserved is not None:
                    budget.settle(reserved, max(MIN_READ_COST_S, time.monotonic() - began))
        finally:
            slots.release()


async def _busy(send: Send, waited_s: float) -> None:
    body = json.dumps({"detail": f"too many readers: waited {waited_s:g} s for a turn"})
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", str(RETRY_S).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
