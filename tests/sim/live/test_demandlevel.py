"""Today's demand level from the tickets issued so far: the expected count, the
conjugate posterior against the model's own story played out, and a warm start
that draws the rest of the day at that level."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.live.demandlevel import (
    counter_ticket_share,
    day_factor_posterior,
    demand_scenario,
    expected_tickets,
)
from sim.live.nowcast import state_at
from sim.live.warmstart import HallStart, simulate_from
from sim.model.demand import draw_demand
from sim.model.hall import simulate
from sim.model.records import BALKED
from sim.model.scenario import Scenario, load_scenario, scenario_from_dict
from tests.sim.stats import assert_mean_matches

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
H = 3600.0


def noisy_hall(cv: float = 0.3, **changes: Any) -> Scenario:
    spec: dict[str, Any] = {
        "hall": "noisy",
        "open": "09:00",
        "close": "17:00",
        "target": {"wait": "15m"},
        "services": {
            "s": {"service_time": {"dist": "exponential", "mean": "5m"}},
            "k": {"service_time": {"dist": "exponential", "mean": "1m"}},
        },
        "segments": {"g": {"share": 1.0}},
        "arrivals": {
            "mix": {"s": 0.7, "k": 0.3},
            "rate_per_hour": {"09:00": 30, "12:00": 60},
            "day_noise_cv": cv,
        },
        "counters": [{"id": "C", "count": 8, "services": ["s", "k"]}],
        "kiosks": [{"id": "K", "count": 1, "services": ["k"], "share": 0.5}],
    }
    spec.update(changes)
    return scenario_from_dict(spec)


def test_expected_tickets_leave_out_kiosk_users() -> None:
    """30/h until noon, 60/h after; 30 % of customers want k and half of those
    use the kiosk: 85 % take a counter ticket."""
    scn = noisy_hall()
    assert counter_ticket_share(scn) == pytest.approx(0.85)
    assert expected_tickets(scn, 9 * H) == 0.0
    assert expected_tickets(scn, 11 * H) == pytest.approx(60 * 0.85)
    assert expected_tickets(scn, 14 * H) == pytest.approx((90 + 120) * 0.85)
    assert expected_tickets(scn, 23 * H) == pytest.approx((90 + 300) * 0.85)
    flagship = load_scenario(SCENARIOS / "flagship.yaml")
    # payment: a quarter of customers, 60 % of them at the kiosks
    assert counter_ticket_share(flagship) == pytest.approx(1 - 0.25 * 0.6)


def test_the_posterior_is_the_model_played_out() -> None:
    """Days drawn as the model draws them (a gamma factor, then Poisson
    arrivals at that factor); among those with ``n`` counter tickets by 12:00,
    the mean factor is the posterior mean."""
    scn = noisy_hall(cv=0.25)
    rng = np.random.default_rng(4)
    days = 400_000
    shape, scale = 1 / 0.25**2, 0.25**2
    factor = rng.gamma(shape, scale, days)
    lam = expected_tickets(scn, 12 * H)
    count = rng.poisson(factor * lam)
    for n in (int(lam * 0.8), int(lam), int(lam * 1.25)):
        mine = factor[count == n]
        post_shape, post_scale = day_factor_posterior(scn, 12 * H, n)
        expected = post_shape * post_scale
        half = 2.576 * float(mine.std(ddof=1)) / math.sqrt(mine.size)
        assert abs(mine.mean() - expected) <= half, (n, mine.mean(), expected, half)
    with pytest.raises(ValueError):
        day_factor_posterior(noisy_hall(cv=0.0), 12 * H, 10)


def test_a_warm_start_draws_the_rest_of_the_day_at_the_level_seen() -> None:
    """A day with twice the tickets expected by noon: the afternoon's customers
    come at the posterior mean factor, not at 1; without ``issued`` at 1."""
    scn = noisy_hall(cv=0.3)
    now = 12 * H
    lam = expected_tickets(scn, now)
    issued = round(2 * lam)
    shape, scale = day_factor_posterior(scn, now, issued)
    rest = (expected_tickets(scn, scn.close) - lam) / counter_ticket_share(scn)  # customers

    def afternoon(start: HallStart, r: int) -> float:
        rec = simulate_from(scn, start, 3, r).records
        return float(np.sum(rec.arrival_s >= now))

    seen = [afternoon(HallStart(now, issued=issued), r) for r in range(300)]
    assert_mean_matches(seen, rest * shape * scale, "customers after noon, busy morning")
    prior = [afternoon(HallStart(now), r) for r in range(300)]
    assert_mean_matches(prior, rest, "customers after noon, no count")
    with pytest.raises(ValueError):
        simulate_from(scn, HallStart(now, issued=-1), 1, 0)


def test_demand_scenario_scales_the_customers() -> None:
    scn = noisy_hall(cv=0.3)
    fixed = demand_scenario(scn, 1.5)
    assert fixed.arrivals.day_noise_cv == 0.0 and fixed.arrivals.scale == 1.5
    assert draw_demand(fixed, 2, 0).day_factor == 1.0
    assert scn.arrivals.scale == 1.0  # the original is untouched


@pytest.mark.parametrize("factor", [0.7, 1.37])
def test_a_known_day_factor_draws_the_customers_of_the_scaled_scenario(factor: float) -> None:
    flagship = load_scenario(SCENARIOS / "flagship.yaml")
    noisy = noisy_hall(cv=0.3).model_copy(
        update={"arrivals": noisy_hall(cv=0.3).arrivals.model_copy(update={"scale": 1.3})}
    )
    for scn in (flagship, noisy):
        for replication in (0, 5):
            got = draw_demand(scn, 2, replication, day_factor=factor)
            want = draw_demand(demand_scenario(scn, factor), 2, replication)
            assert got.day_factor == factor and len(got) == len(want) > 0
            for name in ("arrival_s", "service", "segment", "appointment", "kiosk", "work_s"):
                assert np.array_equal(getattr(got, name), getattr(want, name)), name
            assert np.array_equal(got.patience_s, want.patience_s)


def test_state_at_counts_the_tickets_issued() -> None:
    scn = load_scenario(SCENARIOS / "flagship.yaml")
    day = simulate(scn, 2, 7)
    start = state_at(day, 11 * H)
    tickets = (day.arrival_s < 11 * H) & ~day.kiosk & (day.outcome != BALKED)
    assert start.issued == int(tickets.sum()) > 0
