"""``GET /v1/alerts``: the alerts firing for this exporter's halls, by rung of
the escalation ladder, read from the Alertmanager named by ``alertmanager_url``
in the config (its v2 API, ``/api/v2/alerts``). The pages read this, never
Alertmanager itself: the browser talks to the exporter only.

Active alerts only (not silenced, not inhibited: a higher rung inhibits the
lower ones of a hall, so each hall shows the rung it is at). Alertmanager is
asked at most every :data:`CACHE_S` seconds whatever the number of open pages;
when it cannot be reached the body says so (``reachable: false``), it does not
fail."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from monitor.api.deps import MonitorDep

RUNGS: tuple[str, ...] = ("hall_manager", "district", "city")  # the `severity` label
CACHE_S = 5.0
TIMEOUT_S = 3.0

router = APIRouter(tags=["halls"])


class HallAlerts(BaseModel):
    """A hall's firing alerts: how many at each rung, and their names."""

    model_config = ConfigDict(frozen=True)

    hall_manager: int
    district: int
    city: int
    names: list[str] = Field(description="alert names, highest rung first")


class AlertsBody(BaseModel):
    """``GET /v1/alerts``: per hall served here, its firing alerts by rung."""

    model_config = ConfigDict(frozen=True)

    configured: bool = Field(description="an alertmanager_url is in the config")
    reachable: bool | None = Field(description="the last fetch answered; null: not configured")
    error: str | None = Field(description="why the last fetch failed")
    fetched_at: str | None = Field(description="when Alertmanager last answered (UTC)")
    halls: dict[str, HallAlerts]


def count_alerts(alerts: list[dict[str, Any]], halls: list[str]) -> dict[str, HallAlerts]:
    """Alertmanager's v2 alert list as counts per hall of ``halls`` and rung;
    alerts of other halls or without a rung are left out."""
    rank = {rung: i for i, rung in enumerate(RUNGS)}
    counts = {hall: dict.fromkeys(RUNGS, 0) for hall in halls}
    names: dict[str, list[tuple[int, str]]] = {hall: [] for hall in halls}
    for alert in alerts:
        labels = alert.get("labels") if isinstance(alert, dict) else None
        if not isinstance(labels, dict):
            continue
        hall, severity = labels.get("hall"), labels.get("severity")
        state = alert.get("status", {}).get("state", "active")
        if hall not in counts or severity not in rank or state != "active":
            continue
        counts[hall][severity] += 1
        names[hall].append((-rank[severity], str(labels.get("alertname", "?"))))
    return {
        hall: HallAlerts(
            **counts[hall], names=list(dict.fromkeys(name for _, name in sorted(names[hall])))
        )
        for hall in halls
    }


@dataclass
class AlertSource:
    """The latest answer of one Alertmanager, refreshed at most every ``CACHE_S``."""

    url: str
    fetched_s: float = -1e18  # monotonic time of the latest attempt
    alerts: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    answered_at: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self) -> None:
        """Fetch again when the last attempt is older than ``CACHE_S``."""
        async with self.lock:
            if time.monotonic() - self.fetched_s < CACHE_S:
                return
            self.fetched_s = time.monotonic()
            endpoint = self.url.rstrip("/") + "/api/v2/alerts"
            params = {"active": "true", "silenced": "false", "inhibited": "false"}
            try:
                async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                    response = await client.get(endpoint, params=params)
                response.raise_for_status()
                body = response.json()
                if not isinstance(body, list):
                    raise ValueError("not an alert list")
            except (httpx.HTTPError, ValueError) as exc:
                self.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                return
            self.alerts, self.error = body, None
            self.answered_at = datetime.now(UTC).isoformat(timespec="seconds")


def _source(request: Request, url: str) -> AlertSource:
    """The app's one :class:`AlertSource` (made on first use: nothing at import)."""
    source: AlertSource | None = getattr(request.app.state, "alert_source", None)
    if source is None or source.url != url:
        source = AlertSource(url)
        request.app.state.alert_source = source
    return source


@router.get("/v1/alerts")
async def alerts(request: Request, monitor: MonitorDep) -> AlertsBody:
    """Firing alerts per hall served here, by rung (hall_manager, district,
    city), from the configured Alertmanager; every hall at zero when none is
    configured."""
    halls = monitor.hall_ids()
    url = monitor.settings.alertmanager_url
    if url is None:
        return AlertsBody(
            configured=False,
            reachable=None,
            error=None,
            fetched_at=None,
            halls=count_alerts([], halls),
        )
    source = _source(request, url)
    await source.refresh()
    return AlertsBody(
        configured=True,
        reachable=source.error is None,
        error=source.error,
        fetched_at=source.answered_at,
        halls=count_alerts(source.alerts, halls),
    )
