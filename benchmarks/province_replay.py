"""The ticket systems of ``bench_province.py``, in a process of their own:
every :data:`TICK_S`, each hall's events that fell due since (by the wall
clock) are posted in one request with the hall's token, at most
:data:`CONNECTIONS` requests at once; every request's latency and outcome is
written to a JSON file at the end."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Protocol

import httpx

TICK_S = 0.5
CONNECTIONS = 16
# Idle connections let go before the exporter's limits.keep_alive (5 s) closes
# them: a client whose idle expiry equals it now and then reuses a connection
# as the exporter closes it, and its request gets no answer (docs/reference/http-api.md).
KEEPALIVE_EXPIRY_S = 4.0
# hall -> (its token, its events as (Unix s, JSON object) in time order)
Plan = dict[str, tuple[str, list[tuple[float, str]]]]


class Flag(Protocol):
    def is_set(self) -> bool: ...


def replay(url: str, plan: Plan, stop: Flag, out: str) -> None:
    """Post ``plan``'s events as they fall due until ``stop`` is set; write
    ``[{sent_s, latency_s, ok, events, why}]`` to ``out`` (``why``: a failed
    request's status and the start of its answer, or the client's error)."""
    posts = asyncio.run(_replay(url, plan, stop))
    Path(out).write_text(json.dumps(posts), encoding="utf-8")


async def _replay(url: str, plan: Plan, stop: Flag) -> list[dict[str, object]]:
    posts: list[dict[str, object]] = []
    cursors = dict.fromkeys(plan, 0)
    gate = asyncio.Semaphore(CONNECTIONS)
    running: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(
        max_connections=CONNECTIONS,
        max_keepalive_connections=CONNECTIONS,
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
    )
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def post(hall: str, token: str, body: bytes, events: int) -> None:
            async with gate:
                sent = time.time()
                start = time.perf_counter()
                try:
                    reply = await client.post(
                        f"/v1/halls/{hall}/events",
                        content=body,
                        headers={
                            "Authorization": f"Bearer {token}",
                            "Content-Type": "application/json",
                        },
                    )
                    ok = reply.status_code == 200
                    why = None if ok else f"{reply.status_code}: {reply.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, why = False, f"{type(exc).__name__}: {exc}"[:200]
                latency = time.perf_counter() - start
            posts.append(
                {"sent_s": sent, "latency_s": latency, "ok": ok, "events": events, "why": why}
            )

        while not stop.is_set():
            now = time.time()
            for hall, (token, events) in plan.items():
                i = j = cursors[hall]
                while j < len(events) and events[j][0] <= now:
                    j += 1
                if j > i:
                    cursors[hall] = j
                    body = ("[" + ",".join(e for _, e in events[i:j]) + "]").encode()
                    task = asyncio.create_task(post(hall, token, body, j - i))
                    running.add(task)
                    task.add_done_callback(running.discard)
            await asyncio.sleep(max(0.0, TICK_S - (time.time() - now)))
        await asyncio.gather(*running)
    return posts
