"""``GET /v1/alerts``: the alerts of this exporter's halls, by rung of the
escalation ladder, read from the Prometheus named by ``prometheus_url``
(firing and pending) and the Alertmanager named by ``alertmanager_url``
(firing, silenced or inhibited): see :mod:`monitor.web.alertsource`. The
pages read this, never the servers themselves: the browser talks to the
exporter only.

Per hall: how many alerts fire at each rung (neither silenced nor inhibited:
what each rung is being told; the list of halls sorts by them), and every
alert with its rung, state, service, since when, summary and links, highest
rung first (the hall page lists them). Inhibition is by hall, service and
alert, so a higher rung never hides the floor's other problems. The alerts for
information (severity ``info``: the hall's model drifting, or keeping the hall
closed today) are listed after the rungs and counted apart: they page nobody
on the ladder, but they tell the floor why the predictions may be off."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from monitor.api.deps import MonitorDep
from monitor.web.alertsource import (
    RUNGS,
    Alert,
    Source,
    alertmanager_source,
    from_alertmanager,
    from_prometheus,
    merge,
    prometheus_source,
)

router = APIRouter(tags=["halls"])
_STATES = ("firing", "pending", "inhibited", "silenced")


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class HallAlert(_Body):
    """One alert of the hall."""

    alertname: str
    rung: Literal["hall_manager", "district", "city", "info"] = Field(
        description="the rung told (the `severity` label); info: for information, no rung"
    )
    state: Literal["firing", "pending", "silenced", "inhibited"] = Field(
        description="pending: its condition holds, not yet for its `for:` duration; "
        "silenced or inhibited: firing, but nobody is told"
    )
    service: str | None
    since: str | None = Field(description="when it became active (pending), RFC 3339")
    summary: str | None = Field(description="two lines: Chinese, then English")
    runbook_url: str | None
    dashboard_url: str | None


class HallAlerts(_Body):
    """A hall's alerts: how many fire at each rung (told to someone), their
    names, how many fire for information, and every alert, highest rung first
    and those for information last."""

    hall_manager: int
    district: int
    city: int
    info: int = Field(default=0, description="firing alerts for information (no rung)")
    names: list[str] = Field(description="names of the alerts firing at a rung, highest rung first")
    alerts: list[HallAlert] = Field(default_factory=list)


class AlertsBody(_Body):
    """``GET /v1/alerts``: per hall served here, its alerts by rung."""

    configured: bool = Field(description="a prometheus_url or alertmanager_url is in the config")
    reachable: bool | None = Field(description="the last fetch answered; null: not configured")
    error: str | None = Field(description="why the last fetch failed")
    fetched_at: str | None = Field(description="when the servers last answered (UTC)")
    pending: bool = Field(
        default=False, description="pending alerts are known (Prometheus is configured)"
    )
    halls: dict[str, HallAlerts]


_LISTED = ("info", *RUNGS)  # the severities listed, lowest first


def _order(alert: HallAlert) -> tuple[int, int, str, str]:
    return (
        -_LISTED.index(alert.rung),
        _STATES.index(alert.state),
        alert.since or "",
        alert.alertname,
    )


def by_hall(alerts: list[Alert], halls: list[str]) -> dict[str, HallAlerts]:
    """``alerts`` per hall of ``halls``; alerts of other halls, or neither at a
    rung nor for information, are left out."""
    found: dict[str, list[HallAlert]] = {hall: [] for hall in halls}
    for a in alerts:
        hall, severity = a.labels.get("hall"), a.labels.get("severity")
        if hall not in found or severity not in _LISTED:
            continue
        found[hall].append(
            HallAlert(
                alertname=a.labels.get("alertname", "?"),
                rung=severity,
                state=a.state,
                service=a.labels.get("service"),
                since=a.since,
                summary=a.annotations.get("summary"),
                runbook_url=a.annotations.get("runbook_url"),
                dashboard_url=a.annotations.get("dashboard_url"),
            )
        )
    out = {}
    for hall, listed in found.items():
        listed.sort(key=_order)
        firing = [a for a in listed if a.state == "firing"]
        counts = {rung: sum(a.rung == rung for a in firing) for rung in _LISTED}
        out[hall] = HallAlerts(
            **counts,
            names=list(dict.fromkeys(a.alertname for a in firing if a.rung != "info")),
            alerts=listed,
        )
    return out


def _source(request: Request, kind: str, url: str | None) -> Source | None:
    """The app's one source of ``kind`` (made on first use: nothing at import)."""
    if url is None:
        return None
    name = f"alerts_{kind}"
    source: Source | None = getattr(request.app.state, name, None)
    if source is None or source.url != url:
        source = prometheus_source(url) if kind == "prometheus" else alertmanager_source(url)
        setattr(request.app.state, name, source)
    return source


@router.get("/v1/alerts")
async def alerts(request: Request, monitor: MonitorDep) -> AlertsBody:
    """Alerts per hall served here, by rung (hall_manager, district, city), from
    the configured Prometheus and Alertmanager; none when neither is configured."""
    halls = monitor.hall_ids()
    settings = monitor.settings
    prom = _source(request, "prometheus", settings.prometheus_url)
    am = _source(request, "alertmanager", settings.alertmanager_url)
    sources = [s for s in (prom, am) if s is not None]
    if not sources:
        return AlertsBody(
            configured=False, reachable=None, error=None, fetched_at=None, halls=by_hall([], halls)
        )
    for source in sources:
        await source.refresh()
    errors = [f"{s.url}: {s.error}" for s in sources if s.error is not None]
    found = merge(
        None if prom is None or prom.body is None else from_prometheus(prom.body),
        None if am is None or am.body is None else from_alertmanager(am.body),
    )
    answered = [s.answered_at for s in sources if s.answered_at is not None]
    return AlertsBody(
        configured=True,
        reachable=not errors,
        error="; ".join(errors) or None,
        fetched_at=min(answered) if len(answered) == len(sources) else None,
        pending=prom is not None,
        halls=by_hall(found, halls),
    )
