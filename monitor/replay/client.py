"""Replay events to the live exporter over HTTP: ``POST {url}/v1/halls/{hall}/events``
in batches, paced against the wall clock or as fast as possible.

Nothing is sent twice on purpose, and nothing is lost: a batch that fails
transiently (no reply, 429, 5xx) is sent again as the very same bytes after a
capped exponential backoff. Event ids are stable and the server acknowledges a
repeated id as a duplicate instead of applying it again, so a batch whose reply
was lost is safe to repeat; it comes back counted in ``duplicates``. Any other
refusal (a 4xx but 429, a redirect, a reply that is not the exporter's) is fatal:
:class:`ReplayError` with the server's reason.

The wall clock and sleeping are parameters, so pacing is testable without waiting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from sim.eventlog.events import Event

T = TypeVar("T")
# no reply, or a reply cut short: the batch may or may not have been applied
_TRANSIENT = (
    httpx.NetworkError,
    httpx.TimeoutException,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)
_REASON_CHARS = 300


@dataclass
class ReplayStats:
    """What a replay did: ``events`` acknowledged by the server in ``batches``
    requests, of which ``accepted`` were new and ``duplicates`` already held;
    ``retries`` repeated requests; ``seconds`` of wall time (of ``clock``)."""

    events: int = 0
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    retries: int = 0
    seconds: float = 0.0


class ReplayError(Exception):
    """The server refused a batch (``status``, ``reason``), or a batch still
    failed transiently after ``attempts`` tries (``gave_up``; ``status`` is None
    when the last try got no reply). ``stats`` holds what was acknowledged before."""

    def __init__(
        self,
        *,
        status: int | None,
        reason: str,
        first_id: str,
        stats: ReplayStats,
        attempts: int = 1,
        gave_up: bool = False,
    ) -> None:
        self.status, self.reason, self.first_id = status, reason, first_id
        self.stats, self.attempts, self.gave_up = stats, attempts, gave_up
        what = f"HTTP {status}: {reason}" if status is not None else reason
        if gave_up:
            tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
            what = f"gave up after {tries}: {what}"
        super().__init__(f"batch from {first_id}: {what}")


def batches(events: Sequence[T], size: int) -> Iterator[list[T]]:
    """``events`` in order, in consecutive lists of ``size`` (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    for i in range(0, len(events), size):
        yield list(events[i : i + size])


def paced(
    events: Sequence[Event],
    speed: float,
    size: int,
    *,
    start: float,
    sleep: Callable[[float], object],
    clock: Callable[[], float],
) -> Iterator[list[Event]]:
    """``events`` (in time order) in lists of at most ``size``, each yielded no
    earlier than its first event is due: at ``start + (ts - first ts) / speed``
    seconds of ``clock``. A list holds every event due when it is cut (up to
    ``size``); between lists it sleeps until the next event is due."""
    if speed <= 0:
        raise ValueError(f"pacing needs a positive speed, not {speed}")
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    if not events:
        return
    first = events[0].ts
    due = [start + (e.ts - first).total_seconds() / speed for e in events]
    i = 0
    while i < len(events):
        now = clock()
        if due[i] > now:
            sleep(due[i] - now)
            continue  # read the clock again: a sleep may end early
        j = i + 1
        while j < len(events) and j - i < size and due[j] <= now:
            j += 1
        yield list(events[i:j])
        i = j


def post_events(
    client: httpx.Client,
    url: str,
    hall: str,
    token: str,
    events: Sequence[Event],
    *,
    speed: float,
    batch: int,
    retries: int,
    on_batch: Callable[[Sequence[Event]], object] | None = None,
    on_retry: Callable[[int, float, str], object] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    backoff_s: float = 0.5,
    max_backoff_s: float = 30.0,
) -> ReplayStats:
    """POST ``events`` (in time order) to ``{url}/v1/halls/{hall}/events``.

    ``speed`` > 0 paces them at ``speed`` × event time (see :func:`paced`);
    0 sends fixed batches of ``batch`` back to back. A transient failure is
    retried up to ``retries`` times per batch, waiting ``backoff_s`` × 2^k
    seconds, at most ``max_backoff_s`` (longer if a 429/503 says Retry-After,
    within the cap); ``on_retry(attempt, delay_s, problem)`` hears of each.
    ``on_batch(events)`` follows each acknowledged batch. Raises
    :class:`ReplayError` on a refusal or when a batch's retries run out."""
    if speed < 0:
        raise ValueError(f"speed must be 0 (unpaced) or more, not {speed}")
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, not {retries}")
    endpoint = f"{url.rstrip('/')}/v1/halls/{quote(hall, safe='')}/events"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    stats = ReplayStats()
    started = clock()
    chunks = (
        paced(events, speed, batch, start=started, sleep=sleep, clock=clock)
        if speed > 0
        else batches(events, batch)
    )
    try:
        for chunk in chunks:
            body = json.dumps([e.as_row() for e in chunk], ensure_ascii=False).encode("utf-8")
            attempt = 0
            while True:
                attempt += 1
                problem, hint_s = _try(client, endpoint, headers, body, chunk, stats)
                if problem is None:
                    break
                if attempt > retries:
                    raise ReplayError(
                        status=problem.status,
                        reason=problem.reason,
                        first_id=chunk[0].id,
                        stats=stats,
                        attempts=attempt,
                        gave_up=True,
                    )
                delay_s = min(max_backoff_s, max(backoff_s * 2 ** (attempt - 1), hint_s))
                stats.retries += 1
                if on_retry is not None:
                    on_retry(attempt, delay_s, problem.text)
                sleep(delay_s)
            if on_batch is not None:
                on_batch(chunk)
    finally:
        stats.seconds = clock() - started
    return stats


@dataclass(frozen=True)
class _Problem:
    """A transient failure: the reply's status (None: no reply) and why."""

    status: int | None
    reason: str

    @property
    def text(self) -> str:
        return f"HTTP {self.status}: {self.reason}" if self.status is not None else self.reason


def _try(
    client: httpx.Client,
    endpoint: str,
    headers: dict[str, str],
    body: bytes,
    chunk: Sequence[Event],
    stats: ReplayStats,
) -> tuple[_Problem | None, float]:
    """Send one batch once. On success count it into ``stats`` and return
    ``(None, 0)``; on a transient failure return it with the server's
    Retry-After in seconds (0 if none); raise :class:`ReplayError` on a refusal."""

    def refused(status: int | None, reason: str) -> ReplayError:
        return ReplayError(status=status, reason=reason, first_id=chunk[0].id, stats=stats)

    try:
        response = client.post(endpoint, content=body, headers=headers)
    except _TRANSIENT as exc:
        return _Problem(None, f"no reply from the server ({_describe(exc)})"), 0.0
    except httpx.HTTPError as exc:  # a bad URL or a request httpx cannot send
        raise refused(None, _describe(exc)) from exc
    status = response.status_code
    if status == 429 or status >= 500:
        return _Problem(status, _reason(response, chunk)), _retry_after_s(response)
    if response.is_redirect:
        where = response.headers.get("location", "elsewhere")
        raise refused(status, f"redirected to {where} (give that as the URL)")
    if not response.is_success:
        raise refused(status, _reason(response, chunk))
    counts = _counts(response)
    if counts is None:
        raise refused(status, f"not the exporter's reply: {_clip(response.text) or '(empty)'}")
    stats.batches += 1
    stats.events += len(chunk)
    stats.accepted += counts[0]
    stats.duplicates += counts[1]
    return None, 0.0


def _counts(response: httpx.Response) -> tuple[int, int] | None:
    """``(accepted, duplicates)`` of an exporter's reply, or None if it is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    accepted, duplicates = body.get("accepted"), body.get("duplicates")
    if type(accepted) is not int or type(duplicates) is not int:
        return None
    return accepted, duplicates


def _reason(response: httpx.Response, chunk: Sequence[Event]) -> str:
    """The server's reason: ``detail`` of a JSON error (a validation list as
    ``event <id>: field: message``) or a JSON string, else the start of the
    body, else the status phrase."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else body
    if isinstance(detail, str) and detail:
        return _clip(detail)
    if isinstance(detail, list) and detail:
        shown = "; ".join(_validation_item(item, chunk) for item in detail[:3])
        more = f" (and {len(detail) - 3} more)" if len(detail) > 3 else ""
        return _clip(shown) + more
    return _clip(response.text) or response.reason_phrase or "(no reason given)"


def _validation_item(item: object, chunk: Sequence[Event]) -> str:
    """One entry of a ``detail`` list as ``event <id>: field: message``: the
    exporter's ``{index, field, reason}`` or FastAPI's ``{loc, msg}`` (a ``loc``
    of ``["body", 3, "ts"]`` is event 3's ``ts``)."""
    if not isinstance(item, dict):
        return str(item)
    if "reason" in item:
        index, path, message = item.get("index"), [item.get("field")], item["reason"]
    elif "msg" in item:
        loc = item.get("loc")
        path = list(loc) if isinstance(loc, list | tuple) else []
        if path[:1] == ["body"]:
            path = path[1:]
        index = path.pop(0) if path and type(path[0]) is int else None
        message = item["msg"]
    else:
        return str(item)
    where = []
    if type(index) is int:
        where.append(f"event {chunk[index].id}" if 0 <= index < len(chunk) else f"item {index}")
    field = ".".join(str(p) for p in path if p is not None)
    where += [field] if field else []
    return ": ".join([*where, str(message)])


def _retry_after_s(response: httpx.Response) -> float:
    """Retry-After in seconds (its HTTP-date form is ignored), 0 if absent."""
    try:
        return max(0.0, float(response.headers.get("retry-after", "0")))
    except ValueError:
        return 0.0


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"
