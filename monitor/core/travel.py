"""How long a customer takes to reach a hall: the :class:`TravelTimes`
protocol the city wait map asks, and :class:`StraightLine`, its built-in
answer (the haversine distance at a configured speed). A real routing service
(a road network, public transport) plugs in as another ``TravelTimes`` given
to :func:`monitor.server.app.create_app`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

EARTH_RADIUS_M = 6_371_008.8  # the IUGG mean radius


class Point(NamedTuple):
    """A place in degrees."""

    lat: float
    lon: float


def haversine_m(a: Point, b: Point) -> float:
    """The great-circle distance between ``a`` and ``b`` in metres, on a
    sphere of the Earth's mean radius (within 0.5% of the ellipsoid)."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi = phi2 - phi1
    dlmb = math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class TravelTimes(Protocol):
    """Travel times from one origin to many halls (one call, as a routing
    service's matrix request): seconds per destination, in order; ``None``
    where there is no way there."""

    @property
    def basis(self) -> str:
        """What the times rest on, as the API reports it (``straight_line``, a service's name)."""
        ...

    def travel_s(self, origin: Point, destinations: Sequence[Point]) -> list[float | None]: ...


@dataclass(frozen=True, slots=True)
class StraightLine:
    """Travel at ``speed_km_per_h`` over the straight-line (haversine)
    distance: no road network, so it ranks well where halls are far apart and
    roads are dense, and under-states the time across a river or a hill."""

    speed_km_per_h: float

    @property
    def basis(self) -> str:
        return "straight_line"

    def travel_s(self, origin: Point, destinations: Sequence[Point]) -> list[float | None]:
        speed_m_per_s = self.speed_km_per_h / 3.6
        return [haversine_m(origin, d) / speed_m_per_s for d in destinations]
