"""The JSON bodies of the read endpoints, built from :class:`HallView` pictures.
Times are RFC 3339 in the hall's time zone; durations are seconds."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from monitor.snapshot import HORIZONS, HallView, Histogram


def rfc3339(unix_s: float | None, zone: ZoneInfo) -> str | None:
    """``unix_s`` as an RFC 3339 timestamp with the zone's offset (None stays None)."""
    if unix_s is None:
        return None
    return datetime.fromtimestamp(unix_s, zone).isoformat(timespec="milliseconds")


def hall_summary(view: HallView, zone: ZoneInfo) -> dict[str, Any]:
    """One line of ``GET /v1/halls``."""
    info, live = view.info, view.live
    return {
        "id": info.id,
        "name": info.name,
        "district": info.district,
        "city": info.city,
        "timezone": zone.key,
        "open": live.open,
        "queue_length": sum(live.queue.values()),
        "oldest_wait_s": max(live.oldest_wait_s.values(), default=0.0),
        "counters_open": live.counters_open,
        "counters_busy": live.counters_busy,
        "target_wait_s": info.target_wait_s,
        "objective": info.objective,
        "last_event": rfc3339(live.last_event_s, zone),
    }


def _histogram(h: Histogram) -> dict[str, Any]:
    return {
        "count": h.count,
        "sum_s": h.sum_s,
        "buckets": [{"le_s": b, "count": c} for b, c in zip(h.bounds_s, h.buckets, strict=True)],
    }


def _by_pair(table: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    return [{"service": s, "segment": g, "count": n} for (s, g), n in sorted(table.items())]


def hall_state(view: HallView, zone: ZoneInfo) -> dict[str, Any]:
    """``GET /v1/halls/{hall}/state``: the live state of the current day."""
    live = view.live
    return {
        "hall": view.info.id,
        "now": rfc3339(live.now_s, zone),
        "day": live.day,
        "open": live.open,
        "queue": [
            {"service": svc, "waiting": n, "oldest_wait_s": live.oldest_wait_s.get(svc, 0.0)}
            for svc, n in sorted(live.queue.items())
        ],
        "queue_by_segment": _by_pair(live.queue_by_segment),
        "counters": [
            {
                "counter": name,
                "open": live.counter_open.get(name, False),
                "busy": busy,
                "called_today": live.counter_served.get(name, 0),
            }
            for name, busy in sorted(live.counter_busy.items())
        ],
        "counters_open": live.counters_open,
        "counters_busy": live.counters_busy,
        "issued": _by_pair(live.issued),
        "served": _by_pair(live.served),
        "abandoned": _by_pair(live.abandoned),
        "wait": {svc: _histogram(h) for svc, h in sorted(live.wait.items())},
        "service_time": {svc: _histogram(h) for svc, h in sorted(live.service_time.items())},
        "last_event": rfc3339(live.last_event_s, zone),
        "ingested": view.ingested,
    }


def hall_nowcast(view: HallView, zone: ZoneInfo) -> dict[str, Any]:
    """``GET /v1/halls/{hall}/nowcast``: what a ticket taken now should expect."""
    live, now = view.live, view.nowcast
    body: dict[str, Any] = {
        "hall": view.info.id,
        "open": live.open,
        "target_wait_s": view.info.target_wait_s,
        "computed_at": None if now is None else rfc3339(now.computed_s, zone),
        "services": [],
    }
    if now is None:
        return body
    for svc in view.info.services:
        if (svc, HORIZONS[0]) not in now.wait_s and svc not in now.present_queue:
            continue
        body["services"].append(
            {
                "service": svc,
                "expected_wait_s": now.wait_s.get((svc, HORIZONS[0])),
                "by_horizon": {h: now.wait_s.get((svc, h)) for h in HORIZONS},
                "waiting": live.queue.get(svc, 0),
                "expected_present": now.present_queue.get(svc),
            }
        )
    body["breach_probability"] = {h: now.breach_probability.get(h) for h in HORIZONS}
    return body
