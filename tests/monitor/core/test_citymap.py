"""The city wait map's ranking (:mod:`monitor.core.citymap`) on hand-made hall
pictures whose waits are known: by the wait of a ticket taken now, by travel
plus the wait on arrival from a location, and the halls listed apart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import pytest

from monitor.core.citymap import rank_city, take_ticket_in, wait_at
from monitor.core.snapshot import HORIZON_S, HallView, NowcastNow
from monitor.core.travel import EARTH_RADIUS_M, Point, StraightLine, haversine_m
from tests.monitor.api.test_collector import make_view

ORIGIN = Point(23.1300, 113.3200)
WALK = StraightLine(speed_km_per_h=3.6)  # 1 m/s: travel seconds = metres


def hall(
    hall_id: str,
    waits: dict[str, float] | None,
    *,
    at: tuple[float, float] | None = (23.13, 113.32),
    open_: bool = True,
    offered: tuple[str, ...] = ("consult", "payment"),
    closes_s: float | None = 21 * 3600.0,
    remote: tuple[str, ...] = (),
) -> HallView:
    """A hall whose consult ticket taken after each horizon (``"0m"`` ...)
    waits ``waits[horizon]`` seconds (None: no nowcast yet); ``remote``: the
    services whose tickets it takes from home."""
    view = make_view(hall_id)
    info = replace(view.info, location=at, offered=offered, closes_s=closes_s, remote=remote)
    nowcast = None
    if waits is not None:
        nowcast = NowcastNow(
            computed_s=view.live.now_s,
            wait_s={("consult", h): w for h, w in waits.items()},
            breach_probability={},
            present_queue={},
        )
    return replace(view, info=info, live=replace(view.live, open=open_), nowcast=nowcast)


def ids(halls: Sequence[object]) -> list[str]:
    return [h.view.info.id for h in halls]  # type: ignore[attr-defined]


NOON_S = 12 * 3600.0


def test_ranks_by_the_wait_of_a_ticket_taken_now_and_unknown_last() -> None:
    views = [
        (hall("slow", {"0m": 900.0}), NOON_S),
        (hall("unknown", None), NOON_S),
        (hall("fast", {"0m": 120.0}), NOON_S),
        (hall("middle", {"0m": 400.0}), NOON_S),
    ]
    ranking = rank_city(views, "consult", None, WALK)
    assert ids(ranking.ranked) == ["fast", "middle", "slow", "unknown"]
    assert [h.rank for h in ranking.ranked] == [1, 2, 3, 4]
    assert ranking.ranked[0].wait_s == 120.0
    assert ranking.ranked[-1].wait_s is None
    assert ranking.apart == ()
    assert ranking.basis == ""  # no travel without a location


def test_from_a_location_ranks_by_travel_plus_the_wait_on_arrival() -> None:
    # "near" is 1,000 m away (1,000 s on foot) with a long wait; "far" 3,000 m with none
    near = (23.13 + 1000.0 / EARTH_RADIUS_M * 180 / math.pi, 113.32)
    far = (23.13 + 3000.0 / EARTH_RADIUS_M * 180 / math.pi, 113.32)
    steady = {"0m": 2400.0, "15m": 2400.0, "30m": 2400.0, "60m": 2400.0}
    views = [
        (hall("near", steady, at=near), NOON_S),
        (hall("far", {"0m": 60.0, "15m": 60.0, "30m": 60.0, "60m": 60.0}, at=far), NOON_S),
    ]
    by_wait = rank_city(views, "consult", None, WALK)
    assert ids(by_wait.ranked) == ["far", "near"]  # same order: 60 s before 2,400 s
    ranking = rank_city(views, "consult", ORIGIN, WALK)
    assert ids(ranking.ranked) == ["far", "near"]  # 3,000 + 60 s before 1,000 + 2,400 s
    far_hall, near_hall = ranking.ranked
    assert far_hall.distance_m == pytest.approx(3000.0, rel=1e-6)
    assert far_hall.travel_s == pytest.approx(3000.0, rel=1e-6)
    assert far_hall.called_in_s == pytest.approx(3060.0, rel=1e-6)
    assert near_hall.called_in_s == pytest.approx(3400.0, rel=1e-6)
    assert ranking.basis == "straight_line"
    # a longer queue at the far hall turns the order
    longer = [views[0], (hall("far", {"0m": 2600.0}, at=far), NOON_S)]
    assert ids(rank_city(longer, "consult", ORIGIN, WALK).ranked) == ["near", "far"]


def test_a_ticket_taken_from_home_ranks_by_the_longer_of_travel_and_wait() -> None:
    # the same two halls; "near" (1,000 s away, 2,400 s wait) takes tickets from home:
    # taken now, it is called in 2,400 s, before "far"'s 3,060 s by walking in
    near = (23.13 + 1000.0 / EARTH_RADIUS_M * 180 / math.pi, 113.32)
    far = (23.13 + 3000.0 / EARTH_RADIUS_M * 180 / math.pi, 113.32)
    steady = {"0m": 2400.0, "15m": 2400.0, "30m": 2400.0, "60m": 2400.0}
    views = [
        (hall("near", steady, at=near, remote=("consult",)), NOON_S),
        (hall("far", {"0m": 60.0, "15m": 60.0, "30m": 60.0, "60m": 60.0}, at=far), NOON_S),
    ]
    ranking = rank_city(views, "consult", ORIGIN, WALK)
    assert ids(ranking.ranked) == ["near", "far"]
    near_hall, far_hall = ranking.ranked
    assert near_hall.remote and near_hall.take_ticket_in_s == 0.0  # the wait outlasts the walk
    assert near_hall.remote_called_in_s == 2400.0
    assert near_hall.called_in_s == pytest.approx(3400.0, rel=1e-6)  # walking in, as before
    assert near_hall.soonest_s == 2400.0
    assert not far_hall.remote and far_hall.remote_called_in_s is None
    assert far_hall.soonest_s == far_hall.called_in_s
    # without the remote ticket the order is the walk-in one of the test above
    walk_in = [(hall("near", steady, at=near), NOON_S), views[1]]
    assert ids(rank_city(walk_in, "consult", ORIGIN, WALK).ranked) == ["far", "near"]
    # a service the hall does not take from home is walked in for
    assert rank_city(views, "payment", ORIGIN, WALK).ranked[0].remote is False


def test_a_ticket_from_home_is_taken_so_that_it_is_called_on_arrival() -> None:
    # the wait grows from 100 s now to 1,000 s for a ticket taken in 30 minutes
    view = hall("h", {"0m": 100.0, "15m": 400.0, "30m": 1000.0, "60m": 1600.0}, remote=("consult",))
    travel_s = 1800.0  # half an hour away
    take_s = take_ticket_in(view, "consult", travel_s)
    assert take_s is not None and 0.0 < take_s < travel_s
    # taken then, its expected wait ends as the customer arrives
    assert take_s + (wait_at(view, "consult", take_s) or 0.0) == pytest.approx(travel_s, abs=1e-3)
    # between the 15m (900 s: 400 s) and 30m horizons: t + 400 + 0.6667 (t - 900) = 1800
    assert take_s == pytest.approx((1800.0 - 400.0 + 600.0) / (1 + 600.0 / 900.0), abs=1e-3)
    assert take_ticket_in(view, "consult", 50.0) == 0.0  # nearer than the wait: take it now
    assert take_ticket_in(hall("none", None), "consult", 600.0) is None


def test_the_wait_on_arrival_is_the_nowcast_between_its_horizons() -> None:
    view = hall("h", {"0m": 100.0, "15m": 400.0, "30m": 1000.0, "60m": 1600.0})
    assert wait_at(view, "consult", 0.0) == 100.0
    assert wait_at(view, "consult", HORIZON_S["15m"] / 2) == pytest.approx(250.0)
    assert wait_at(view, "consult", 45 * 60.0) == pytest.approx(1300.0)
    assert wait_at(view, "consult", 3 * 3600.0) == 1600.0  # past the last horizon: its wait
    assert wait_at(view, "payment", 0.0) is None  # the nowcast knows nothing of it
    assert wait_at(hall("none", None), "consult", 0.0) is None


def test_closed_halls_and_halls_without_the_service_are_listed_apart() -> None:
    views = [
        (hall("open", {"0m": 600.0}), NOON_S),
        (hall("closed", {"0m": 10.0}, open_=False), NOON_S),
        (hall("payment-only", {"0m": 5.0}, offered=("payment",)), NOON_S),
    ]
    ranking = rank_city(views, "consult", None, WALK)
    assert ids(ranking.ranked) == ["open"]
    assert [(h.view.info.id, h.apart, h.rank) for h in ranking.apart] == [
        ("closed", "closed", None),
        ("payment-only", "not_offered", None),
    ]
    # for payment, the payment-only hall ranks and the consult... hall offers both
    payment = rank_city(views, "payment", None, WALK)
    assert ids(payment.ranked) == ["open", "payment-only"]  # neither has a payment nowcast


def test_with_a_location_halls_closing_before_arrival_or_unplaced_are_apart() -> None:
    two_km = (23.13 + 2000.0 / EARTH_RADIUS_M * 180 / math.pi, 113.32)
    closing = 21 * 3600.0
    views = [
        # 2,000 s on foot: closes 1,000 s from now, so before the customer arrives
        (hall("closing", {"0m": 60.0}, at=two_km, closes_s=closing), closing - 1000.0),
        (hall("late", {"0m": 600.0}, at=two_km, closes_s=closing), closing - 3000.0),
        (hall("nowhere", {"0m": 30.0}, at=None), NOON_S),
    ]
    ranking = rank_city(views, "consult", ORIGIN, WALK)
    assert ids(ranking.ranked) == ["late"]
    assert [(h.view.info.id, h.apart) for h in ranking.apart] == [
        ("closing", "closes_before_arrival"),
        ("nowhere", "no_location"),
    ]
    # without a location the same halls all rank: nothing to travel
    assert ids(rank_city(views, "consult", None, WALK).ranked) == ["nowhere", "closing", "late"]


class NoBridge:
    """A routing service that finds no way to halls east of 113.4° E."""

    basis = "test_router"

    def travel_s(self, origin: Point, destinations: Sequence[Point]) -> list[float | None]:
        return [None if d.lon > 113.4 else 600.0 for d in destinations]


def test_a_routing_service_plugs_in_and_unreachable_halls_are_apart() -> None:
    views = [
        (hall("west", {"0m": 900.0}, at=(23.13, 113.30)), NOON_S),
        (hall("east", {"0m": 0.0}, at=(23.13, 113.50)), NOON_S),
    ]
    ranking = rank_city(views, "consult", ORIGIN, NoBridge())
    assert ids(ranking.ranked) == ["west"]
    assert ranking.ranked[0].travel_s == 600.0
    assert ranking.ranked[0].called_in_s == 1500.0
    assert [(h.view.info.id, h.apart) for h in ranking.apart] == [("east", "no_route")]
    assert ranking.basis == "test_router"


def test_haversine_against_the_arc_of_a_meridian_and_a_known_pair() -> None:
    one_degree_m = EARTH_RADIUS_M * math.pi / 180
    assert haversine_m(Point(23.0, 113.0), Point(24.0, 113.0)) == pytest.approx(one_degree_m)
    assert haversine_m(Point(0.0, 0.0), Point(0.0, 180.0)) == pytest.approx(
        math.pi * EARTH_RADIUS_M
    )
    # Guangzhou (23.1291, 113.2644) to Beijing (39.9042, 116.4074): about 1,888 km
    gz_bj = haversine_m(Point(23.1291, 113.2644), Point(39.9042, 116.4074))
    assert gz_bj == pytest.approx(1_888_000.0, rel=0.005)
    assert StraightLine(36.0).travel_s(Point(23.0, 113.0), [Point(24.0, 113.0)]) == [
        pytest.approx(one_degree_m / 10.0)
    ]
