"""The nowcast: exact on a deterministic hall, median and 90th percentile behind a
known queue, breach probability per service, direction (more tickets, longer
waits), the expected real queue, horizons past closing and reproducibility.
Its cost against the live monitor's budget is a benchmark's
(``benchmarks/bench_ingest.py --only nowcast``), never a timed test."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from sim.live.nowcast import counter_service_shares, nowcast, state_at
from sim.live.warmstart import BusyCounter, HallStart, WaitingTicket
from sim.model.hall import simulate
from sim.model.records import ABANDONED, BALKED, SERVED
from sim.model.scenario import Scenario, load_scenario, scenario_from_dict

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
H = 3600.0


def flagship() -> Scenario:
    return load_scenario(SCENARIOS / "flagship.yaml")


def flagship_at_11() -> HallStart:
    """A realistic state: a simulated day of the flagship hall, read at 11:00."""
    return state_at(simulate(flagship(), 2, 7), 11 * H)


def one_counter(**changes: Any) -> Scenario:
    spec: dict[str, Any] = {
        "hall": "one",
        "open": "09:00",
        "close": "18:00",
        "target": {"wait": "15m"},
        "services": {"s": {"service_time": {"dist": "fixed", "mean": "10m"}}},
        "segments": {"g": {"share": 1.0}},
        "arrivals": {"mix": {"s": 1.0}, "rate_per_hour": 0},
        "counters": [{"id": "C", "count": 1, "services": ["s"]}],
    }
    spec.update(changes)
    return scenario_from_dict(spec)


def test_a_deterministic_hall_gives_exact_waits() -> None:
    """One counter busy for 10 more minutes, one 10-minute ticket waiting, nobody
    else coming: a ticket taken now is called at +20 min, at +15 min waits 5 min,
    from +30 min not at all."""
    scn = one_counter()
    start = HallStart(
        10 * H, waiting=(WaitingTicket("s", "g", 60.0),), busy=(BusyCounter("C1", "s", 0.0),)
    )
    nc = nowcast(scn, start, replications=3)
    assert nc.horizons_s == (0.0, 900.0, 1800.0, 3600.0)
    assert nc.wait_s == {
        ("s", 0.0): 1200.0,
        ("s", 900.0): 300.0,
        ("s", 1800.0): 0.0,
        ("s", 3600.0): 0.0,
    }
    assert set(nc.wait_ci_s.values()) == {0.0}
    assert nc.wait_median_s == nc.wait_p90_s == nc.wait_s
    assert nc.breach_probability == {0.0: 1.0, 900.0: 0.0, 1800.0: 0.0, 3600.0: 0.0}
    assert nc.service_breach_probability == {("s", h): p for h, p in nc.breach_probability.items()}
    assert nc.wait_by_segment_s[("s", "g", 0.0)] == 1200.0
    assert nc.queue == {"s": 1} and nc.present_queue == {"s": 1.0}


def test_more_waiting_tickets_mean_a_longer_wait_now() -> None:
    scn, start = flagship(), flagship_at_11()

    def with_extra(n: int, services: tuple[str, ...]) -> HallStart:
        extra = tuple(WaitingTicket(s, "easyown", 30.0) for s in services) * n
        return dataclasses.replace(start, waiting=start.waiting + extra)

    business = [nowcast(scn, with_extra(n, ("business",)), replications=20) for n in (0, 6, 12)]
    waits = [nc.wait_s[("business", 0.0)] for nc in business]
    assert waits[0] < waits[1] < waits[2], waits
    assert business[2].queue["business"] == business[0].queue["business"] + 12
    everyone = nowcast(scn, with_extra(4, tuple(counter_service_shares(scn))), replications=20)
    for service in counter_service_shares(scn):
        assert everyone.wait_s[(service, 0.0)] > business[0].wait_s[(service, 0.0)], service
    assert everyone.breach_probability[0.0] > business[0].breach_probability[0.0]


def test_present_queue_is_the_sum_of_presence_probabilities() -> None:
    """The expected real queue: each ticket counts with the survival of its
    segment's patience at its wait (flagship: lognormal VIPs, exponential others)."""
    scn = flagship()
    rng = np.random.default_rng(3)
    segments = list(scn.segments)
    waiting = tuple(
        WaitingTicket(service, segments[int(rng.integers(4))], float(rng.uniform(0, 3600)))
        for service in ("business", "consult", "business", "after_sales") * 6
    )
    nc = nowcast(scn, HallStart(11 * H, waiting=waiting), replications=2, horizons_s=(0.0,))
    sigma = math.sqrt(math.log1p(0.8**2))
    for service in scn.services:
        expected = 0.0
        for t in waiting:
            if t.service != service:
                continue
            patience = scn.segments[t.segment].patience
            assert patience is not None
            if patience.dist == "exponential":
                expected += math.exp(-t.waited_s / patience.mean_s)
            else:  # lognormal, mean 30 min, cv 0.8
                z = (math.log(t.waited_s) - math.log(1800.0) + sigma**2 / 2) / sigma
                expected += 0.5 * math.erfc(z / math.sqrt(2))
        assert nc.present_queue[service] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert nc.queue[service] == sum(t.service == service for t in waiting)
    assert sum(nc.present_queue.values()) < len(waiting)


@pytest.mark.statistical
@pytest.mark.parametrize(("busy", "ahead"), [(3, 0), (3, 4), (2, 0)])
def test_median_and_p90_of_the_wait_behind_a_known_queue(busy: int, ahead: int) -> None:
    """Three exponential counters (mean 5 min), ``busy`` of them serving,
    ``ahead`` tickets waiting, nobody else coming, nobody giving up. With every
    counter busy a ticket taken now is called at the (ahead + 1)-th completion:
    its wait is Gamma(ahead + 1, 5 min / 3), so its median, 90th percentile and
    the chance of waiting past 15 min are known; with a counter free it waits 0.
    The nowcast's quantiles (of 1,000 replications) match them within the
    99 % interval of a sample quantile."""
    scn = one_counter(
        services={"s": {"service_time": {"dist": "exponential", "mean": "5m"}}},
        counters=[{"id": "C", "count": 3, "services": ["s"]}],
    )
    start = HallStart(
        10 * H,
        waiting=tuple(WaitingTicket("s", "g", 60.0) for _ in range(ahead)),
        busy=tuple(BusyCounter(f"C{k + 1}", "s", 100.0) for k in range(busy)),
    )
    n = 1000
    nc = nowcast(scn, start, horizons_s=(0.0,), replications=n, seed=3)
    if busy < 3:
        assert nc.wait_median_s[("s", 0.0)] == nc.wait_p90_s[("s", 0.0)] == 0.0
        return
    wait = stats.gamma(ahead + 1, scale=300.0 / 3)
    for q, found in ((0.5, nc.wait_median_s), (0.9, nc.wait_p90_s)):
        # the sample quantile's 99 % interval: order statistics around n·q
        k = 2.576 * math.sqrt(n * q * (1 - q))
        lo, hi = wait.ppf((n * q - k) / n), wait.ppf((n * q + k) / n)
        assert lo <= found[("s", 0.0)] <= hi, (q, found[("s", 0.0)], lo, hi)
    p = float(wait.sf(900.0))
    half = 2.576 * math.sqrt(p * (1 - p) / n)
    assert abs(nc.service_breach_probability[("s", 0.0)] - p) <= half
    assert nc.breach_probability[0.0] == nc.service_breach_probability[("s", 0.0)]


def test_the_hall_wide_breach_probability_weighs_the_services() -> None:
    """Per service, a ticket of that service; hall-wide, a counter customer:
    the services weighted by their share of counter customers."""
    scn, start = flagship(), flagship_at_11()
    nc = nowcast(scn, start, replications=10)
    shares = counter_service_shares(scn)
    for h in nc.horizons_s:
        mixed = math.fsum(w * nc.service_breach_probability[(s, h)] for s, w in shares.items())
        assert nc.breach_probability[h] == pytest.approx(mixed, rel=1e-12, abs=1e-15)
        for s in shares:
            assert nc.wait_median_s[(s, h)] <= nc.wait_p90_s[(s, h)]


def test_horizons_at_or_after_closing_are_left_out() -> None:
    scn = flagship()
    start = state_at(simulate(scn, 1, 0), scn.close - 20 * 60)
    nc = nowcast(scn, start, replications=2)
    assert nc.horizons_s == (0.0, 900.0)
    assert {h for _, h in nc.wait_s} == {0.0, 900.0} == set(nc.breach_probability)
    assert {h for _, _, h in nc.wait_by_segment_s} == {0.0, 900.0}


def test_an_empty_hall_at_opening_waits_nothing_now() -> None:
    scn = flagship()
    nc = nowcast(scn, HallStart(scn.open), replications=5, horizons_s=(0.0,))
    assert set(nc.wait_s.values()) == {0.0} and nc.breach_probability == {0.0: 0.0}
    assert set(nc.queue.values()) == {0} and set(nc.present_queue.values()) == {0.0}


def test_same_seed_same_nowcast_and_sane_values() -> None:
    scn, start = flagship(), flagship_at_11()
    first, again = nowcast(scn, start, replications=6), nowcast(scn, start, replications=6)
    assert first == again
    other = nowcast(scn, start, replications=6, seed=2)
    assert other.wait_s != first.wait_s
    assert all(0.0 <= p <= 1.0 for p in first.breach_probability.values())
    assert all(w >= 0 for w in first.wait_s.values())
    assert all(ci > 0 for (_, h), ci in first.wait_ci_s.items() if h == 3600.0)
    with pytest.raises(ValueError):
        nowcast(scn, start, replications=0)


def test_counter_service_shares_leave_out_the_kiosk_share() -> None:
    shares = counter_service_shares(flagship())
    assert shares == pytest.approx(
        {
            name: w / (1.0 - 0.25 * 0.6)
            for name, w in {
                "consult": 0.25,
                "business": 0.35,
                "after_sales": 0.15,
                "payment": 0.25 * 0.4,
            }.items()
        }
    )


def test_state_at_reads_a_simulated_day() -> None:
    scn, now = flagship(), 11 * H
    day = simulate(scn, 2, 7)
    start = state_at(day, now)
    called = (day.called_s <= now) & (day.ended_s > now)
    busy = called & ((day.outcome == SERVED) | (day.outcome == ABANDONED))  # a no-show's call
    assert len(start.busy) == int(busy.sum()) and start.open_counters is None
    waited = sorted(day.called_s[busy] - day.arrival_s[busy])
    assert sorted(b.waited_s or 0.0 for b in start.busy) == pytest.approx(waited)
    assert len({b.counter for b in start.busy}) == len(start.busy)
    assert all(t.waited_s > 0 for t in start.waiting)
    assert all(b.elapsed_s >= 0 for b in start.busy)
    assert len(start.waiting) == int(
        (
            (day.arrival_s < now) & ~day.kiosk & ~(day.called_s <= now) & (day.outcome != BALKED)
        ).sum()
    )


def test_a_busy_hall_gets_every_replication_and_finite_waits() -> None:
    """Without a precision, the flagship at 11:00 runs all 30 replications and
    every service's wait at every horizon is a number (what the timed test
    this replaces also checked; its cost is ``bench_ingest.py --only nowcast``'s)."""
    nc = nowcast(flagship(), flagship_at_11())
    assert nc.replications == 30
    assert nc.wait_s and np.isfinite(list(nc.wait_s.values())).all()
