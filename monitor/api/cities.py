"""The city wait map's API: ``GET /v1/cities`` (cities with halls served
here), ``GET /v1/cities/{city}/halls`` (the city's halls ranked for a service,
from a location when given; :mod:`monitor.core.citymap` ranks) and
``GET /v1/cities/{city}/outline`` (the GeoJSON the map page draws)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from monitor.api.citymodels import (
    CityHallBody,
    CityHallsBody,
    CitySummary,
    HallLoadBody,
    PointBody,
    TravelBody,
)
from monitor.api.deps import MonitorDep, errors
from monitor.api.models import NamedItem
from monitor.api.views import rfc3339
from monitor.core.citymap import CityHall, rank_city
from monitor.core.config import Hall
from monitor.core.errors import BadQuery, CityNotServed, Problem
from monitor.core.placeconfig import outline_path
from monitor.core.snapshot import HORIZONS
from monitor.core.travel import Point, StraightLine, TravelTimes

router = APIRouter(prefix="/v1/cities", tags=["cities"])


def travel_times(request: Request) -> TravelTimes:
    """The travel times the app was given (:func:`monitor.server.app.create_app`)."""
    travel: TravelTimes = request.app.state.travel
    return travel


def city_halls(city: str, monitor: MonitorDep) -> list[Hall]:
    """The halls of the path's city; 404 when none is served here."""
    found = [h for h in monitor.halls() if h.city == city]
    if not found:
        raise CityNotServed(f"no hall served here is in the city {city!r}")
    return found


TravelDep = Annotated[TravelTimes, Depends(travel_times)]
CityHalls = Annotated[list[Hall], Depends(city_halls)]
_CITY_404 = "A city none of the halls served here is in."


@router.get("")
def cities(monitor: MonitorDep) -> list[CitySummary]:
    """Every city with halls served here."""
    by_city: dict[str, list[Hall]] = {}
    for hall in monitor.halls():
        if hall.city:
            by_city.setdefault(hall.city, []).append(hall)
    return [
        CitySummary(
            city=city,
            halls=len(halls),
            located=sum(h.location is not None for h in halls),
            districts=sorted({h.district for h in halls if h.district}),
            outline=outline_path(monitor.settings.city_map, city) is not None,
        )
        for city, halls in sorted(by_city.items())
    ]


def _services(halls: list[Hall]) -> list[NamedItem]:
    """The services the halls offer, each once, named by the first hall that names it."""
    named: dict[str, str | None] = {}
    for hall in halls:
        for sid in hall.services:
            name = hall.scenario.services[sid].name or None
            if named.get(sid) is None:
                named[sid] = name
    return [NamedItem(id=sid, name=name) for sid, name in named.items()]


def _problems(
    halls: list[Hall], service: str, lat: float | None, lon: float | None
) -> list[Problem]:
    problems: list[Problem] = []
    if not any(service in h.scenario.services for h in halls):
        known = ", ".join(s.id for s in _services(halls))
        reason = f"{service!r} is not a service of any hall in the city (offered: {known})"
        problems.append({"index": None, "field": "service", "reason": reason})
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        reason = "give both lat and lon, or neither"
        problems.append({"index": None, "field": missing, "reason": reason})
    return problems


@router.get(
    "/{city}/halls",
    responses=errors(
        404,
        422,
        s404=_CITY_404,
        s422="An unknown service, lat without lon (or the reverse), or a coordinate out of "
        "range: `detail` lists each as {index: null, field, reason}.",
    ),
)
def ranked_halls(
    city: str,
    halls: CityHalls,
    monitor: MonitorDep,
    travel: TravelDep,
    service: Annotated[str, Query(min_length=1, max_length=200, description="a service id")],
    lat: Annotated[
        float | None, Query(ge=-90.0, le=90.0, description="customer's latitude")
    ] = None,
    lon: Annotated[
        float | None, Query(ge=-180.0, le=180.0, description="customer's longitude")
    ] = None,
) -> CityHallsBody:
    """The city's halls ranked for ``service`` by the predicted wait of a
    ticket taken now, or, with ``lat`` and ``lon``, by the predicted time until
    the customer is called: travel, then the wait of a ticket taken on arrival,
    or, where the hall takes tickets from home, a ticket taken in time to be
    called on arrival (``soonest_s``, the sooner of the two); closed halls,
    halls not offering the service and (with a location) halls closing before
    the customer arrives are listed apart."""
    problems = _problems(halls, service, lat, lon)
    if problems:
        raise BadQuery(problems)
    origin = None if lat is None or lon is None else Point(lat, lon)
    views = []
    for hall in halls:
        view = monitor.view(hall.id)
        views.append((view, monitor.local_seconds(hall.id, view.live.now_s)))
    ranking = rank_city(views, service, origin, travel)
    named = {s.id: s for s in _services(halls)}
    speed = travel.speed_km_per_h if isinstance(travel, StraightLine) else None
    return CityHallsBody(
        city=city,
        service=named.get(service, NamedItem(id=service, name=None)),
        services=list(named.values()),
        now=rfc3339(time.time(), monitor.zone(halls[0].id)) or "",
        origin=None if origin is None else PointBody(lat=origin.lat, lon=origin.lon),
        ranked_by="wait_s" if origin is None else "soonest_s",
        travel=None if origin is None else TravelBody(basis=ranking.basis, speed_km_per_h=speed),
        halls=[_body(h, service, monitor) for h in ranking.ranked],
        apart=[_body(h, service, monitor) for h in ranking.apart],
    )


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _body(hall: CityHall, service: str, monitor: MonitorDep) -> CityHallBody:
    view = hall.view
    info, live, now = view.info, view.live, view.nowcast
    loc = info.location
    breach = None if now is None else now.service_breach_probability.get((service, HORIZONS[0]))
    return CityHallBody(
        id=info.id,
        name=info.name,
        district=info.district,
        location=None if loc is None else PointBody(lat=loc[0], lon=loc[1]),
        open=live.open,
        rank=hall.rank,
        apart=hall.apart,
        wait_s=_r(hall.wait_s),
        wait_median_s=_r(hall.wait_median_s),
        distance_m=None if hall.distance_m is None else round(hall.distance_m),
        travel_s=_r(hall.travel_s),
        wait_on_arrival_s=_r(hall.wait_on_arrival_s),
        called_in_s=_r(hall.called_in_s),
        remote_ticket=hall.remote,
        take_ticket_in_s=_r(hall.take_ticket_in_s),
        remote_called_in_s=_r(hall.remote_called_in_s),
        soonest_s=_r(hall.soonest_s),
        nowcast_at=None if now is None else rfc3339(now.computed_s, monitor.zone(info.id)),
        load=HallLoadBody(
            queue_length=sum(live.queue.values()),
            service_queue_length=hall.service_queue,
            on_the_way=hall.service_on_the_way,
            oldest_wait_s=round(max(live.oldest_wait_s.values(), default=0.0), 1),
            counters_open=live.counters_open,
            counters_planned=None if view.planned is None else view.planned.total,
            target_wait_s=info.target_wait_s,
            breach_probability=breach,
        ),
    )


_GEOJSON = {
    "type": "object",
    "description": "a GeoJSON FeatureCollection, Feature, Polygon or MultiPolygon",
    "properties": {"type": {"type": "string"}},
    "required": ["type"],
}


@router.get(
    "/{city}/outline",
    response_class=Response,
    responses={
        200: {
            "content": {"application/geo+json": {"schema": _GEOJSON}},
            "description": "The city's outline",
        },
        **errors(404, s404=_CITY_404 + " Or no outline for it (none bundled or configured)."),
    },
)
def outline(city: str, halls: CityHalls, monitor: MonitorDep) -> Response:
    """The city's outline as GeoJSON, for the map page: the configured file of
    ``city_map.outlines`` or the bundled one."""
    path = outline_path(monitor.settings.city_map, city)
    if path is None:
        raise CityNotServed(f"no outline of {city!r} is bundled or configured (city_map.outlines)")
    try:
        body = path.read_bytes()
    except OSError as exc:  # checked when loaded; gone or unreadable since
        raise CityNotServed(f"the outline of {city!r} cannot be read: {exc.strerror}") from None
    return Response(body, media_type="application/geo+json")
