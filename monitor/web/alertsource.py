"""Where the pages' alerts come from: Prometheus (``prometheus_url``: every
alert of its rules, firing or still pending, with the time it became active)
and Alertmanager (``alertmanager_url``: the firing alerts, and which of them
are silenced or inhibited). Each is asked at most every :data:`CACHE_S`
seconds whatever the number of open pages; one that cannot be reached is said
(``error``), never a failure of the page.

:func:`merge` turns their answers into :class:`Alert` records: Prometheus'
alerts when it is configured (pending ones included), each firing one marked
``silenced`` or ``inhibited`` when Alertmanager says so; else Alertmanager's."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

CACHE_S = 5.0
TIMEOUT_S = 3.0
RUNGS: tuple[str, ...] = ("hall_manager", "district", "city")  # the `severity` label


@dataclass(frozen=True)
class Alert:
    """One alert of a hall: its labels and annotations, ``state`` (firing,
    pending, silenced, inhibited) and ``since`` (RFC 3339, when it became
    active: pending, for a Prometheus alert)."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    state: str
    since: str | None


@dataclass
class Source:
    """The latest answer of one server's alert list, refreshed at most every ``CACHE_S``."""

    url: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    fetched_s: float = -1e18  # monotonic time of the latest attempt
    body: Any = None
    error: str | None = None
    answered_at: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self) -> None:
        """Fetch again when the last attempt is older than ``CACHE_S``."""
        async with self.lock:
            if time.monotonic() - self.fetched_s < CACHE_S:
                return
            self.fetched_s = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                    response = await client.get(
                        self.url.rstrip("/") + self.path, params=self.params
                    )
                response.raise_for_status()
                body = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                self.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                return
            self.body, self.error = body, None
            self.answered_at = datetime.now(UTC).isoformat(timespec="seconds")


def prometheus_source(url: str) -> Source:
    return Source(url, "/api/v1/alerts")


def alertmanager_source(url: str) -> Source:
    params = {"active": "true", "silenced": "true", "inhibited": "true"}
    return Source(url, "/api/v2/alerts", params)


def _key(labels: Mapping[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def from_alertmanager(body: Any) -> list[Alert]:
    """Alertmanager's v2 alert list as :class:`Alert` records (firing, or
    silenced/inhibited when suppressed); anything else is left out."""
    out = []
    for item in body if isinstance(body, list) else []:
        if not isinstance(item, Mapping) or not isinstance(item.get("labels"), Mapping):
            continue
        status = item.get("status")
        status = status if isinstance(status, Mapping) else {}
        state = "firing"
        if status.get("state") == "suppressed":
            state = "silenced" if status.get("silencedBy") else "inhibited"
        labels, notes = _strings(item["labels"]), _strings(item.get("annotations"))
        out.append(Alert(labels, notes, state, item.get("startsAt")))
    return out


def from_prometheus(body: Any) -> list[Alert]:
    """Prometheus' ``/api/v1/alerts`` as :class:`Alert` records (firing or pending)."""
    data = body.get("data") if isinstance(body, Mapping) else None
    alerts = data.get("alerts") if isinstance(data, Mapping) else None
    out = []
    for item in alerts if isinstance(alerts, list) else []:
        if not isinstance(item, Mapping) or item.get("state") not in ("firing", "pending"):
            continue
        labels, notes = _strings(item.get("labels")), _strings(item.get("annotations"))
        out.append(Alert(labels, notes, str(item["state"]), item.get("activeAt")))
    return out


def merge(prometheus: Iterable[Alert] | None, alertmanager: Iterable[Alert] | None) -> list[Alert]:
    """Prometheus' alerts (each firing one silenced or inhibited as Alertmanager
    says), or Alertmanager's alone when Prometheus is not configured."""
    if prometheus is None:
        return list(alertmanager or ())
    suppressed = {_key(a.labels): a.state for a in alertmanager or () if a.state != "firing"}
    return [
        Alert(a.labels, a.annotations, suppressed.get(_key(a.labels), a.state), a.since)
        if a.state == "firing"
        else a
        for a in prometheus
    ]
