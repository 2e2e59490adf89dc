"""Readers wait their turn; ingest never does.

A flood of readers (the ``/v1`` read API, the pages, the API documents) can take
most of the interpreter's time from ingest: requests are served by threads of
one process, which share one interpreter lock. :class:`ReadGate`, an ASGI
middleware, lets at most ``readers`` read requests run at once, and a reader
starts only while no ingest request is in flight, or once it has waited
:data:`YIELD_S` for one to finish, so that readers take the gaps between
batches and are never held up for long. A reader that cannot start within
``wait_s`` gets 503 with Retry-After. Ingest (``POST /v1/halls/{hall}/events``),
``/metrics`` (cached, see :mod:`monitor.api.exposition`) and the probes pass
straight through."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from starlette.types import ASGIApp, Receive, Scope, Send

_UNGATED = frozenset({"/metrics", "/healthz", "/readyz"})
RETRY_S = 1
YIELD_S = 0.25  # a reader waits at most this long for in-flight ingest to finish


def is_ingest(scope: Scope) -> bool:
    return scope["method"] == "POST" and str(scope["path"]).startswith("/v1/halls/")


def gated(scope: Scope) -> bool:
    """Whether a request waits at the gate: every HTTP request but ingest,
    ``/metrics`` and the probes."""
    return scope["path"] not in _UNGATED and not is_ingest(scope)


class ReadGate:
    """At most ``readers`` gated requests at once (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, readers: int, wait_s: float) -> None:
        self.app = app
        self.readers = readers
        self.wait_s = wait_s
        self._slots: asyncio.Semaphore | None = None  # made in the server's loop
        self._no_ingest: asyncio.Event | None = None
        self._ingesting = 0

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

    async def _ingest(
        self, scope: Scope, receive: Receive, send: Send, idle: asyncio.Event
    ) -> None:
        self._ingesting += 1
        idle.clear()
        try:
            await self.app(scope, receive, send)
        finally:
            self._ingesting -= 1
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
            yield_s = min(YIELD_S, max(0.0, self.wait_s - (time.monotonic() - start)))
            with contextlib.suppress(TimeoutError):  # waited enough: go ahead anyway
                async with asyncio.timeout(yield_s):
                    await idle.wait()
            await self.app(scope, receive, send)
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
