"""The pages' routes: HTML shells rendered from the configuration (names,
services, counters: every value HTML-escaped by Jinja2's autoescape), the
static files they load, and ``/v1/alerts``. Everything live on a page comes
from the documented ``/v1`` JSON API, polled by the page's script.

The pages are read-only: they hold no token (with a read token configured,
the browser asks for it, HTTP Basic, and sends it with the pages' API
requests), post nothing, and a strict Content-Security-Policy lets them load
scripts, styles and data from this exporter only (no inline script, no CDN)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from monitor.api.deps import READ_ACCESS, MonitorDep
from monitor.core.config import Hall
from monitor.core.errors import HallNotServed
from monitor.core.placeconfig import OUTLINES, outline_path
from monitor.core.silence import FLOOR_S
from monitor.ops.links import RUNBOOK_PATH
from monitor.web import alerts
from monitor.web.runbook import runbook_html
from sim.model.calendar import counter_instances
from sim.model.units import format_clock

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
POLL_S = 5  # how often a page asks the API again
# an open hall silent this long is flagged when its body has no silent_limit_s
SILENT_S = FLOOR_S
_MEDIA = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE
}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# the read token, when the config sets one (a browser asks for it: HTTP Basic)
router = APIRouter(dependencies=[READ_ACCESS])
router.include_router(alerts.router)


@cache
def _templates() -> Environment:
    """The Jinja2 environment, made on first use (nothing is read at import)."""
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered; ``context["root"]`` is the path back to ``/``
    from the page (relative, so the pages also work behind a path prefix)."""
    html = _templates().get_template(template).render(poll_s=POLL_S, silent_s=SILENT_S, **context)
    return HTMLResponse(html, status, headers=HEADERS)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}"


def _hall_context(hall: Hall) -> dict[str, Any]:
    """What a hall's pages render before their script fills in the numbers."""
    scn = hall.scenario
    return {
        "hall": hall,
        "services": [(sid, s.name) for sid, s in scn.services.items()],
        "counters": [c.name for c in counter_instances(scn) if not c.kiosk],
        "target_min": _minutes(hall.target_wait_s),
        "objective_pct": f"{hall.objective * 100:g}",
        "hours": None if scn.stationary else f"{format_clock(scn.open)}–{format_clock(scn.close)}",
    }


def _alerts_on(monitor: MonitorDep) -> bool:
    """Whether the pages show alerts: a Prometheus or Alertmanager is configured."""
    settings = monitor.settings
    return settings.prometheus_url is not None or settings.alertmanager_url is not None


def _served(monitor: MonitorDep, hall_id: str) -> Hall | None:
    try:
        return monitor.hall(hall_id)
    except HallNotServed:
        return None


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(monitor: MonitorDep) -> HTMLResponse:
    """Every hall served here, sorted by risk, with filters by city and district."""
    halls = monitor.halls()
    cards = [
        {
            "id": h.id,
            "name": h.name,
            "city": h.city,
            "district": h.district,
            "target_min": _minutes(h.target_wait_s),
            "objective_pct": f"{h.objective * 100:g}",
        }
        for h in halls
    ]
    return _page(
        "index.html",
        root=".",
        halls=cards,
        cities=sorted({h.city for h in halls if h.city}),
        districts=sorted({(h.city, h.district) for h in halls if h.district}),
        alerts=_alerts_on(monitor),
    )


@router.get("/halls/{hall}", response_class=HTMLResponse, include_in_schema=False)
def hall_page(hall: str, monitor: MonitorDep) -> HTMLResponse:
    """One hall: expected waits, queue against forecast, nowcast, counters."""
    found = _served(monitor, hall)
    if found is None:
        return _page("missing.html", 404, root="..", hall_id=hall)
    alerts = _alerts_on(monitor)
    return _page("hall.html", root="..", alerts=alerts, **_hall_context(found))


@router.get("/halls/{hall}/screen", response_class=HTMLResponse, include_in_schema=False)
def screen_page(hall: str, monitor: MonitorDep) -> HTMLResponse:
    """The wall screen: expected wait per service and the tickets being called."""
    found = _served(monitor, hall)
    if found is None:
        return _page("missing.html", 404, root="../..", hall_id=hall)
    return _page("screen.html", root="../..", **_hall_context(found))


@router.get("/cities/{city}", response_class=HTMLResponse, include_in_schema=False)
def city_page(city: str, monitor: MonitorDep) -> HTMLResponse:
    """The city wait map: the city's halls on its outline, coloured by the
    predicted wait of a service, with their ranking beside the map."""
    halls = [h for h in monitor.halls() if h.city == city]
    if not halls:
        return _page("missing.html", 404, root="..", city=city)
    services: dict[str, str] = {}
    for hall in halls:
        for sid in hall.services:
            services.setdefault(sid, hall.scenario.services[sid].name or sid)
    path = outline_path(monitor.settings.city_map, city)
    source = "none" if path is None else "bundled" if path.is_relative_to(OUTLINES) else path.name
    return _page(
        "city.html", root="..", city=city, services=list(services.items()), outline_source=source
    )


@router.get(RUNBOOK_PATH, response_class=HTMLResponse, include_in_schema=False)
def runbook() -> HTMLResponse:
    """The runbook: what each alert means, what to do, how to silence it and
    how to know it is resolved; one section per alert name."""
    return _page("runbook.html", root=".", body=Markup(runbook_html()))


@router.get("/static/{path:path}", include_in_schema=False)
def static(path: str) -> Response:
    """A file of the pages (scripts, styles, the vendored chart library)."""
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        return Response("not found", 404, media_type="text/plain")
    media = _MEDIA.get(target.suffix)
    if media is None:
        return Response("not found", 404, media_type="text/plain")
    return FileResponse(target, media_type=media, headers=HEADERS)
