"""The city wait map: a city's halls ranked for one service by the predicted
wait of a ticket taken now, or, from a customer's location, by the predicted
time until the customer is called (travel, then the wait of a ticket taken on
arrival).

Where a hall takes tickets of the service from home (its model has remote
tickets of it), the customer can also take one before leaving, timed so that
it is called as they arrive: then they are called after the longer of the
travel and the wait of a ticket taken now (a hall already quicker to reach
than to be called at lets them take it at once and arrive early), and the
hall ranks by the sooner of the two ways.

The predicted waits are the nowcast's (:class:`~monitor.core.snapshot.NowcastNow`:
the expected wait, over simulated futures of the hall from its live state, of a
ticket of that service taken now and 15, 30 and 60 minutes on), the same
numbers ``hall_nowcast_wait_seconds`` publishes, so a ranking can be redone
in PromQL. The wait on arrival is interpolated linearly between the horizons
around the travel time (past 60 minutes, the 60-minute wait).

Halls that cannot serve the customer are listed apart with the reason, never
ranked: not offering the service, closed now, closing before the customer
would arrive, and (with a location) without coordinates or a route there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal

from monitor.core.snapshot import HORIZON_S, HallView
from monitor.core.travel import Point, TravelTimes, haversine_m

Apart = Literal["not_offered", "closed", "closes_before_arrival", "no_location", "no_route"]
APART_REASONS: tuple[Apart, ...] = (
    "closed", "closes_before_arrival", "not_offered", "no_location", "no_route",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CityHall:
    """One hall of the city for the asked service: where it is, its load, and
    (when ranked) its predicted wait and time to be called; seconds throughout,
    ``None`` where unknown (no nowcast yet, no location asked)."""

    view: HallView
    rank: int | None  # 1 = best; None: listed apart
    apart: Apart | None  # why it is not ranked
    wait_s: float | None  # expected wait of a ticket of the service taken now
    wait_median_s: float | None  # its median
    distance_m: float | None  # straight line from the customer
    travel_s: float | None
    wait_on_arrival_s: float | None  # expected wait of a ticket taken on arrival
    called_in_s: float | None  # travel_s + wait_on_arrival_s
    remote: bool  # the hall takes tickets of the service from home
    remote_called_in_s: float | None  # a ticket taken from home in time: max(travel, wait now)
    take_ticket_in_s: float | None  # when to take it so that it is called on arrival
    soonest_s: float | None  # the sooner of called_in_s and remote_called_in_s
    service_queue: int  # tickets of the service waiting now (remote ones on the way too)
    service_on_the_way: int  # of those, remote tickets whose holder has not checked in


@dataclass(frozen=True, slots=True)
class CityRanking:
    """The ranked halls (best first) and those listed apart (by reason, then name)."""

    service: str
    origin: Point | None
    basis: str  # what the travel times rest on; "" without an origin
    ranked: tuple[CityHall, ...]
    apart: tuple[CityHall, ...]


def wait_at(view: HallView, service: str, after_s: float, *, median: bool = False) -> float | None:
    """The nowcast's expected (or median) wait of a ticket of ``service`` taken
    ``after_s`` seconds from its as-of time: linear between the horizons
    around it, the last horizon's beyond; ``None`` without a nowcast of it."""
    now = view.nowcast
    if now is None:
        return None
    table = now.wait_median_s if median else now.wait_s
    points = sorted(
        (HORIZON_S[h], w) for (s, h), w in table.items() if s == service and h in HORIZON_S
    )
    if not points:
        return None
    if after_s <= points[0][0]:
        return points[0][1]
    for (h0, w0), (h1, w1) in pairwise(points):
        if after_s <= h1:
            return w0 + (w1 - w0) * (after_s - h0) / (h1 - h0)
    return points[-1][1]


def take_ticket_in(view: HallView, service: str, travel_s: float) -> float | None:
    """When a customer ``travel_s`` away should take a ticket of ``service`` from
    home so that it is called as they arrive: now when the wait of a ticket
    taken now is at least the travel, else the first time ``t`` whose ticket's
    expected wait ends at the arrival (``t + wait_at(t) = travel_s``; the wait
    is continuous, so bisection finds it). ``None`` without a nowcast."""
    wait_now = wait_at(view, service, 0.0)
    if wait_now is None:
        return None
    if wait_now >= travel_s:
        return 0.0
    early, late = 0.0, travel_s  # the ticket is called before arrival at early, not at late
    for _ in range(40):  # to well under a second of travel times of hours
        mid = (early + late) / 2
        if mid + (wait_at(view, service, mid) or 0.0) < travel_s:
            early = mid
        else:
            late = mid
    return late


def _hall(
    view: HallView,
    service: str,
    *,
    apart: Apart | None = None,
    distance_m: float | None = None,
    travel_s: float | None = None,
) -> CityHall:
    wait_s = wait_at(view, service, 0.0)
    on_arrival = None if travel_s is None else wait_at(view, service, travel_s)
    called_in_s = None if on_arrival is None or travel_s is None else travel_s + on_arrival
    remote = service in view.info.remote
    take_in_s = None if not remote or travel_s is None else take_ticket_in(view, service, travel_s)
    remote_called_in_s = (
        None if take_in_s is None or wait_s is None else max(travel_s or 0.0, wait_s)
    )
    soonest = [t for t in (called_in_s, remote_called_in_s) if t is not None]
    return CityHall(
        view=view,
        rank=None,
        apart=apart,
        wait_s=wait_s,
        wait_median_s=wait_at(view, service, 0.0, median=True),
        distance_m=distance_m,
        travel_s=travel_s,
        wait_on_arrival_s=on_arrival,
        called_in_s=called_in_s,
        remote=remote,
        remote_called_in_s=remote_called_in_s,
        take_ticket_in_s=take_in_s,
        soonest_s=min(soonest, default=None),
        service_queue=view.live.queue.get(service, 0),
        service_on_the_way=view.live.away.get(service, 0),
    )


def rank_city(
    halls: Sequence[tuple[HallView, float]],
    service: str,
    origin: Point | None,
    travel: TravelTimes,
) -> CityRanking:
    """``halls`` (each view with its local time now, seconds after the hall's
    midnight) ranked for ``service``: by ``soonest_s`` from ``origin`` (walking
    in, or with a ticket taken from home where the hall takes them), else
    by ``wait_s``; halls without a prediction yet come after those with one
    (nearest first), ties go to the nearer hall, then the hall id."""
    apart: list[CityHall] = []
    candidates: list[tuple[HallView, float]] = []
    for view, local_s in halls:
        if service not in view.info.offered:
            apart.append(_hall(view, service, apart="not_offered"))
        elif not view.live.open:
            apart.append(_hall(view, service, apart="closed"))
        else:
            candidates.append((view, local_s))
    ranked: list[CityHall] = []
    if origin is None:
        ranked = [_hall(view, service) for view, _ in candidates]
    else:
        placed = [(v, s, v.info.location) for v, s in candidates]
        apart += [_hall(v, service, apart="no_location") for v, _, loc in placed if loc is None]
        reachable = [(v, s, Point(*loc)) for v, s, loc in placed if loc is not None]
        times = travel.travel_s(origin, [p for _, _, p in reachable])
        for (view, local_s, place), travel_s in zip(reachable, times, strict=True):
            distance_m = haversine_m(origin, place)
            closes_s = view.info.closes_s
            reason: Apart | None = None
            if travel_s is None:
                reason = "no_route"
            elif closes_s is not None and local_s + travel_s >= closes_s:
                reason = "closes_before_arrival"
            hall = _hall(view, service, apart=reason, distance_m=distance_m, travel_s=travel_s)
            (ranked if reason is None else apart).append(hall)

    def key(h: CityHall) -> tuple[bool, float, float, str]:
        value = h.soonest_s if origin is not None else h.wait_s
        return (value is None, value or 0.0, h.distance_m or 0.0, h.view.info.id)

    ordered = tuple(replace(h, rank=i) for i, h in enumerate(sorted(ranked, key=key), 1))
    order = {reason: i for i, reason in enumerate(APART_REASONS)}
    apart.sort(key=lambda h: (order[h.apart or "closed"], h.view.info.name, h.view.info.id))
    return CityRanking(
        service=service,
        origin=origin,
        basis="" if origin is None else travel.basis,
        ranked=ordered,
        apart=tuple(apart),
    )
