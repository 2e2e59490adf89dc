"""Starting the model from a hall's state: an empty start replays the day, a
mid-day state of a deterministic day replays the rest exactly, the M/M/c wait
of a ticket behind a known queue, ghost tickets, residual service, staffing from
now on, and probes that leave the real customers' day untouched."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from sim.live import warmstart
from sim.live.nowcast import state_at
from sim.live.warmstart import (
    BusyCounter,
    HallStart,
    Probe,
    WaitingTicket,
    WarmStart,
    called_no_show_probability,
    presence_probabilities,
    presence_probability,
    remaining_service_s,
    simulate_from,
)
from sim.model.hall import simulate, simulate_resumed
from sim.model.records import ABANDONED, BALKED, SERVED, UNSERVED, Records
from sim.model.scenario import Distribution, Scenario, load_scenario, scenario_from_dict
from sim.model.streams import draw, stream
from tests.sim.stats import assert_mean_matches

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
H = 3600.0


def assert_same_records(a: Records, b: Records) -> None:
    for field in dataclasses.fields(Records):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, field.name)
            assert x.dtype == y.dtype, field.name
        else:
            assert x == y, field.name


def small_hall(**changes: Any) -> Scenario:
    """One service, one segment, two counters 09:00-18:00; ``changes`` update the tree."""
    spec: dict[str, Any] = {
        "hall": "small",
        "open": "09:00",
        "close": "18:00",
        "target": {"wait": "15m"},
        "services": {"s": {"service_time": {"dist": "exponential", "mean": "5m"}}},
        "segments": {"g": {"share": 1.0}},
        "arrivals": {"mix": {"s": 1.0}, "rate_per_hour": 0},
        "counters": [{"id": "C", "count": 2, "services": ["s"]}],
    }
    spec.update(changes)
    return scenario_from_dict(spec)


# -- replays -----------------------------------------------------------------------


@pytest.mark.parametrize("hall", ["flagship", "county", "flagship-remote"])
@pytest.mark.parametrize("seed", [1, 2])
def test_an_empty_start_at_opening_replays_simulate(hall: str, seed: int) -> None:
    scn = load_scenario(SCENARIOS / f"{hall}.yaml")
    day = simulate(scn, seed, 3)
    warm = simulate_from(scn, HallStart(scn.open), seed, 3)
    np.testing.assert_array_equal(warm.records.arrival_s, day.arrival_s)
    assert_same_records(warm.records, day)
    assert warm.end_s >= scn.close


REPLAY_SPEC: dict[str, Any] = {
    "hall": "replay",
    "open": "09:00",
    "close": "13:00",
    "target": {"wait": "10m"},
    "services": {
        "a": {"service_time": {"dist": "fixed", "mean": "7m"}},
        "b": {"service_time": {"dist": "fixed", "mean": "4m"}},
    },
    "segments": {
        "vip": {"share": 0.2, "priority": 0},
        "std": {"share": 0.8, "priority": 1, "balk_if_queue_over": 6},
    },
    "arrivals": {
        "mix": {"a": 0.5, "b": 0.5},
        "rate_per_hour": 48,
        "appointments": {"share": 0.2, "priority": 0},
    },
    "counters": [
        {"id": "C", "count": 3, "services": ["a", "b"]},
        {
            "id": "D",
            "count": 1,
            "services": ["b"],
            "speed": 1.5,
            "shift": "09:00-12:00",
            "breaks": ["10:45-11:00"],
        },
    ],
}
REPLAY = scenario_from_dict(REPLAY_SPEC)


@pytest.mark.parametrize("seed", [1, 2, 3, 6])
@pytest.mark.parametrize("clock", ["10:30", "10:46", "10:51", "11:30", "12:30"])
def test_a_deterministic_day_resumed_mid_day_replays_the_rest(seed: int, clock: str) -> None:
    """Fixed service times, no patience: from the state of a simulated day at
    ``now`` (before, during and after a break, after a shift) the warm run calls,
    serves and turns away (balks) everyone exactly as the day did."""
    now = int(clock[:2]) * H + int(clock[3:]) * 60.0
    day = simulate(REPLAY, seed, 0)
    start = state_at(day, now)
    warm = simulate_from(REPLAY, start, seed, 0).records

    # at counters now: same counters, same ends
    at_counter = np.flatnonzero((day.called_s <= now) & ~(day.ended_s <= now))
    seated = np.flatnonzero(warm.called_s == warm.arrival_s)
    seated = seated[warm.arrival_s[seated] < now]
    assert len(at_counter) == len(seated) == len(start.busy) > 0

    def ends(r: Records, idx: np.ndarray) -> list[tuple[str, float]]:
        return sorted((r.counters[r.counter[i]], round(float(r.ended_s[i]), 6)) for i in idx)

    assert ends(day, at_counter) == ends(warm, seated)

    # everyone else: waiting now or arriving later
    rest = (day.arrival_s >= now) | (~(day.called_s <= now) & (day.outcome != BALKED))
    a = np.flatnonzero(rest)
    b = np.setdiff1d(np.arange(len(warm)), seated)
    a = a[np.lexsort((day.segment[a], day.service[a], day.arrival_s[a]))]
    b = b[np.lexsort((warm.segment[b], warm.service[b], warm.arrival_s[b]))]
    assert len(a) == len(b) and len(start.waiting) == int((warm.arrival_s < now).sum()) - len(
        seated
    )
    np.testing.assert_allclose(warm.arrival_s[b], day.arrival_s[a], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(warm.outcome[b], day.outcome[a])
    np.testing.assert_allclose(warm.called_s[b], day.called_s[a], rtol=0, atol=1e-6)
    np.testing.assert_allclose(warm.ended_s[b], day.ended_s[a], rtol=0, atol=1e-6)
    assert (warm.outcome == BALKED).any()


# -- theory: the wait behind a known queue --------------------------------------------


@pytest.mark.parametrize(
    ("busy", "vip_ahead", "regular"), [(10, 3, 8), (7, 5, 8), (4, 3, 8), (4, 0, 0), (10, 0, 0)]
)
def test_mmc_wait_behind_a_known_queue(busy: int, vip_ahead: int, regular: int) -> None:
    """c exponential counters (rate μ each), ``busy`` of them serving, ``vip_ahead``
    vip and ``regular`` regular tickets waiting. Free counters call the tickets
    at once (vip first); a vip ticket taken now then has n customers ahead of it
    (those at counters and the vip tickets; regular tickets still waiting and
    later arrivals never get ahead). All counters stay busy until its call, the
    (n - c + 1)-th completion at rate cμ: E[W] = max(n - c + 1, 0) / (cμ)."""
    scn = load_scenario(SCENARIOS / "mmc-validation.yaml")
    assert scn.horizon is not None
    scn = scn.model_copy(update={"horizon": scn.horizon.model_copy(update={"duration": 1 * H})})
    c, mu_per_s = 10, 1 / 60.0
    now = 0.5 * H
    rng = np.random.default_rng(5)
    waiting = tuple(WaitingTicket("any", "vip", float(w)) for w in rng.uniform(0, 120, vip_ahead))
    waiting += tuple(
        WaitingTicket("any", "regular", float(w)) for w in rng.uniform(0, 300, regular)
    )
    start = HallStart(
        now,
        waiting=waiting,
        busy=tuple(
            BusyCounter(f"C{k + 1}", "any", float(rng.uniform(0, 600))) for k in range(busy)
        ),
    )
    waits = [
        simulate_from(scn, start, 7, r, [Probe(now, "any", "vip")]).probe_wait_s[0]
        for r in range(300)
    ]
    ahead = busy + vip_ahead + min(regular, max(c - busy - vip_ahead, 0))
    expected = max(ahead - c + 1, 0) / (c * mu_per_s)
    if expected == 0:
        assert max(waits) == 0
    else:
        assert_mean_matches(waits, expected, f"vip wait behind {busy} busy, {vip_ahead} vip")


# -- ghost tickets and patience ------------------------------------------------------


def _weibull(mean_s: float, cv: float) -> Any:
    """scipy's Weibull with this mean and cv, its shape solved by scipy (not by
    :func:`sim.model.families.weibull_shape_scale`, which it checks)."""
    k = optimize.brentq(
        lambda k: stats.weibull_min(k).std() / stats.weibull_min(k).mean() - cv, 0.2, 50
    )
    return stats.weibull_min(k, scale=mean_s / stats.weibull_min(k).mean())


def test_presence_probability_is_the_patience_survival() -> None:
    scn = small_hall(
        segments={
            "e": {"share": 0.2, "patience": {"dist": "exponential", "mean": "20m"}},
            "l": {"share": 0.2, "patience": {"dist": "lognormal", "mean": "20m", "cv": 0.8}},
            "g": {"share": 0.2, "patience": {"dist": "gamma", "mean": "20m", "cv": 0.6}},
            "w": {"share": 0.1, "patience": {"dist": "weibull", "mean": "20m", "cv": 0.5}},
            "f": {"share": 0.1, "patience": {"dist": "fixed", "mean": "20m"}},
            "x": {"share": 0.1, "patience": {"dist": "empirical", "samples": ["5m", "10m"]}},
            "n": {"share": 0.1},
        }
    )
    waited = np.array([0.0, 60.0, 400.0, 600.0, 1199.0, 1200.0, 3600.0])
    sigma = math.sqrt(math.log1p(0.8**2))
    expected = {
        "e": stats.expon(scale=1200).sf(waited),
        "l": stats.lognorm(sigma, scale=1200 * math.exp(-(sigma**2) / 2)).sf(waited),
        "g": stats.gamma(1 / 0.36, scale=1200 * 0.36).sf(waited),
        "w": _weibull(1200.0, 0.5).sf(waited),
        "f": (waited < 1200).astype(float),
        "x": np.array([1.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0]),
        "n": np.ones_like(waited),
    }
    for segment, sf in expected.items():
        np.testing.assert_allclose(presence_probabilities(scn, segment, waited), sf, atol=1e-12)
        assert presence_probability(scn, segment, 400.0) == pytest.approx(sf[2], abs=1e-12)


def test_ghost_tickets_become_no_shows_at_the_survival_rate() -> None:
    """Tickets that waited long are each gone with probability 1 - S(waited):
    when called, such a ticket is a no-show that costs the counter no_show_delay."""
    scn = small_hall(
        segments={"g": {"share": 1.0, "patience": {"dist": "exponential", "mean": "20m"}}},
        no_show_delay="30s",
    )
    now = 10 * H
    waited = np.linspace(0, 3600, 25)
    start = HallStart(
        now,
        waiting=tuple(WaitingTicket("s", "g", float(w)) for w in waited),
        busy=(BusyCounter("C1", "s", 30.0),),
    )
    expected = float(np.sum(1 - presence_probabilities(scn, "g", waited)))
    ghosts = []
    for r in range(200):
        rec = simulate_from(scn, start, 3, r).records
        gone = (rec.outcome == ABANDONED) & (rec.left_s <= now)
        assert np.isfinite(rec.called_s[gone]).all(), "a ghost is still called"
        np.testing.assert_allclose(rec.ended_s[gone] - rec.called_s[gone], 30.0)
        ghosts.append(int(gone.sum()))
    assert_mean_matches(ghosts, expected, "ghost tickets per run")


# -- calls that may be no-shows ----------------------------------------------------------


def no_show_hall(patience: dict[str, Any], counters: int = 1) -> Scenario:
    """``counters`` counters, fixed 10-minute services, a 60 s no-show delay,
    nobody else coming."""
    return small_hall(
        services={"s": {"service_time": {"dist": "fixed", "mean": "10m"}}},
        segments={"g": {"share": 1.0, "patience": patience}},
        counters=[{"id": "C", "count": counters, "services": ["s"]}],
        no_show_delay="60s",
    )


@pytest.mark.parametrize(
    ("waited", "elapsed", "expected"),
    [
        (1800.0, 20.0, 1.0),  # certainly gone before the call: frees up after the delay
        (300.0, 20.0, 0.0),  # certainly there: a full service
        (1800.0, 75.0, 0.0),  # called longer than the delay: the customer came
    ],
)
def test_a_call_that_is_a_no_show_frees_the_counter_after_the_delay(
    waited: float, elapsed: float, expected: float
) -> None:
    """Fixed patience of 20 min: a ticket called after 30 min of waiting was a
    no-show, so the counter is free once the 60 s delay is up (a probe taken now
    waits 40 s), not after 10 minutes of service; one called after 5 min is a
    customer; and a call that has outlasted the delay was answered."""
    scn = no_show_hall({"dist": "fixed", "mean": "20m"})
    now = 10 * H
    busy = BusyCounter("C1", "s", elapsed, "g", waited_s=waited)
    assert called_no_show_probability(scn, "g", "s", waited, elapsed) == expected
    run = simulate_from(scn, HallStart(now, busy=(busy,)), 1, 0, [Probe(now, "s", "g")])
    service_left = 600.0 - elapsed
    assert run.probe_wait_s.tolist() == [60.0 - elapsed if expected else service_left]
    rec = simulate_from(scn, HallStart(now, busy=(busy,)), 1, 0).records
    assert rec.outcome.tolist() == [ABANDONED if expected else SERVED]
    assert rec.ended_s.tolist() == [now + (60.0 - elapsed if expected else service_left)]
    # without the wait before the call the customer is taken to be there
    unknown = dataclasses.replace(busy, waited_s=None)
    run = simulate_from(scn, HallStart(now, busy=(unknown,)), 1, 0, [Probe(now, "s", "g")])
    assert run.probe_wait_s.tolist() == [service_left]


@pytest.mark.parametrize(
    "patience",
    [
        {"dist": "exponential", "mean": "20m"},
        {"dist": "lognormal", "mean": "15m", "cv": 0.8},
    ],
    ids=["exponential", "lognormal"],
)
@pytest.mark.parametrize(("waited", "elapsed"), [(600.0, 10.0), (1500.0, 30.0), (2400.0, 55.0)])
def test_the_no_show_probability_of_a_call_is_what_the_model_makes_of_it(
    patience: dict[str, Any], waited: float, elapsed: float
) -> None:
    """The model's own story, played out: customers who waited ``waited`` are
    gone if their patience was shorter; a call then lasts the no-show delay
    (60 s) or a lognormal service. Among the calls still under way after
    ``elapsed``, the share of no-shows is :func:`called_no_show_probability`."""
    scn = small_hall(
        services={"s": {"service_time": {"dist": "lognormal", "mean": "2m", "cv": 1.0}}},
        segments={"g": {"share": 1.0, "patience": patience}},
        no_show_delay="60s",
    )
    rng = np.random.default_rng(11)
    n = 400_000
    dist = scn.segments["g"].patience
    assert dist is not None
    gone = draw(dist, rng, n) < waited
    lasts = np.where(gone, 60.0, draw(scn.services["s"].service_time, rng, n))
    still = lasts > elapsed
    p = called_no_show_probability(scn, "g", "s", waited, elapsed)
    assert 0.05 < p < 0.99
    share = gone[still].mean()
    half = 2.576 * math.sqrt(p * (1 - p) / still.sum())  # 99 % binomial interval
    assert abs(share - p) <= half, f"{share:.4f} vs {p:.4f} ± {half:.4f}"


def test_calls_turn_out_no_shows_at_their_probability() -> None:
    """Over replications, a busy counter's call is a no-show (record abandoned,
    counter free after what is left of the delay) as often as its probability."""
    scn = no_show_hall({"dist": "exponential", "mean": "20m"}, counters=2)
    now = 10 * H
    busy = (
        BusyCounter("C1", "s", 15.0, "g", waited_s=1200.0),
        BusyCounter("C2", "s", 40.0, "g", waited_s=2400.0),
    )
    p = [called_no_show_probability(scn, "g", "s", b.waited_s or 0.0, b.elapsed_s) for b in busy]
    hits = np.zeros(2)
    reps = 600
    for r in range(reps):
        rec = simulate_from(scn, HallStart(now, busy=busy), 5, r).records
        by_counter = {rec.counters[k]: i for i, k in enumerate(rec.counter)}
        for j, b in enumerate(busy):
            i = by_counter[b.counter]
            if rec.outcome[i] == ABANDONED:
                hits[j] += 1
                assert rec.ended_s[i] == pytest.approx(now + 60.0 - b.elapsed_s)
            else:
                assert rec.ended_s[i] == pytest.approx(now + 600.0 - b.elapsed_s)
    for j in range(2):
        half = 2.576 * math.sqrt(p[j] * (1 - p[j]) / reps)
        assert abs(hits[j] / reps - p[j]) <= half, (j, hits[j] / reps, p[j])


# -- residual service ---------------------------------------------------------------


def test_residual_service_of_a_busy_counter_in_the_run() -> None:
    """Exponential: memoryless, the remaining time is the mean over the speed.
    Fixed: mean - elapsed x speed of work is left (none once the mean has passed)."""
    now = 10 * H
    exp_hall = small_hall(counters=[{"id": "C", "count": 2, "services": ["s"], "speed": 1.5}])
    start = HallStart(now, busy=(BusyCounter("C1", "s", 1200.0), BusyCounter("C2", "s", 10.0)))
    left: list[float] = []
    for r in range(400):
        rec = simulate_from(exp_hall, start, 1, r).records
        left.extend(rec.ended_s - now)
    assert_mean_matches(left, 300 / 1.5, "exponential remaining service")

    fixed = small_hall(
        services={"s": {"service_time": {"dist": "fixed", "mean": "5m"}}},
        counters=[{"id": "C", "count": 2, "services": ["s"], "speed": 1.5}],
    )
    start = HallStart(now, busy=(BusyCounter("C1", "s", 60.0), BusyCounter("C2", "s", 250.0)))
    rec = simulate_from(fixed, start, 1, 0).records
    by_counter = {rec.counters[k]: e - now for k, e in zip(rec.counter, rec.ended_s, strict=True)}
    assert by_counter == pytest.approx({"C1": (300 - 60 * 1.5) / 1.5, "C2": 0.0})
    assert sorted(rec.called_s) == [now - 250.0, now - 60.0]


def mean_residual(dist: Any, x: float) -> float:
    """E[D - x | D > x] = ∫_x^∞ S(t) dt / S(x)."""
    area, _ = integrate.quad(dist.sf, x, np.inf, limit=200)
    return float(area / dist.sf(x))


@pytest.mark.parametrize(
    ("dist", "reference"),
    [
        (
            Distribution(dist="lognormal", mean=300.0, cv=0.9),
            stats.lognorm(math.sqrt(math.log1p(0.81)), scale=300 * math.exp(-math.log1p(0.81) / 2)),
        ),
        (Distribution(dist="gamma", mean=300.0, cv=0.6), stats.gamma(1 / 0.36, scale=300 * 0.36)),
        (Distribution(dist="gamma", mean=300.0, cv=1.5), stats.gamma(1 / 2.25, scale=300 * 2.25)),
        (Distribution(dist="weibull", mean=300.0, cv=0.6), _weibull(300.0, 0.6)),
        (Distribution(dist="weibull", mean=300.0, cv=1.8), _weibull(300.0, 1.8)),
    ],
    ids=["lognormal", "gamma-0.6", "gamma-1.5", "weibull-0.6", "weibull-1.8"],
)
@pytest.mark.parametrize("elapsed", [0.0, 200.0, 900.0])
def test_residual_service_is_conditional_on_the_time_so_far(
    dist: Distribution, reference: Any, elapsed: float
) -> None:
    speed = 1.25
    rng = stream(9, 0, "test")
    left = remaining_service_s(dist, np.full(20_000, elapsed), rng, speed)
    assert (left >= 0).all()
    # the work drawn exceeds the work done, and its mean is the mean residual life
    expected = mean_residual(reference, elapsed * speed) / speed
    samples = left.reshape(200, 100).mean(axis=1)
    assert_mean_matches(list(samples), expected, f"{dist.dist} residual after {elapsed} s")


def test_residual_service_empirical_resamples_longer_samples() -> None:
    dist = Distribution(dist="empirical", samples=(60.0, 120.0, 300.0, 600.0, 600.0))
    rng = stream(1, 0, "test")
    left = remaining_service_s(dist, np.full(3000, 200.0), rng)
    assert set(np.unique(left)) == {100.0, 400.0}
    assert np.mean(left == 400.0) == pytest.approx(2 / 3, abs=0.04)
    np.testing.assert_array_equal(remaining_service_s(dist, [700.0], rng), [0.0])


# -- staffing from now on -----------------------------------------------------------------


def staffed_hall() -> Scenario:
    return small_hall(
        arrivals={"mix": {"s": 1.0}, "rate_per_hour": 40},
        counters=[
            {"id": "C", "count": 2, "services": ["s"]},
            {"id": "L", "count": {"09:00": 1, "11:00": 2}, "services": ["s"]},
        ],
    )


def spans_of(rec: Records, name: str) -> list[tuple[float, float]]:
    return [(s.opened_s, s.closed_s) for s in rec.spans() if s.counter == name]


def served_at(rec: Records, name: str) -> np.ndarray:
    return np.asarray(rec.called_s[rec.counter == rec.counters.index(name)])


def test_open_counters_now_and_by_schedule_later() -> None:
    scn, now = staffed_hall(), 10 * H
    waiting = tuple(WaitingTicket("s", "g", 60.0 * i) for i in range(20))
    start = HallStart(
        now,
        waiting=waiting,
        busy=(BusyCounter("C2", "s", 100.0),),
        open_counters=("C1", "L1", "L2", "Z9"),  # C2 off, L2 early, Z9 unknown
    )
    rec = simulate_from(scn, start, 4, 0).records
    # L2, off schedule until 11:00, opens now and stays on through its window
    [(opened, closed)] = spans_of(rec, "L2")
    assert opened == now and closed >= 18 * H
    assert served_at(rec, "L2").min() == now
    # C2 finishes its customer, then stays closed: it has no later window
    [(opened, closed)] = spans_of(rec, "C2")
    assert opened == now and closed == rec.ended_s[rec.counter == rec.counters.index("C2")][0]
    assert len(served_at(rec, "C2")) == 1
    # as scheduled: C2 is open and L2 waits for 11:00
    rec = simulate_from(scn, dataclasses.replace(start, open_counters=None), 4, 0).records
    assert served_at(rec, "C2").size > 1
    assert spans_of(rec, "L2")[0][0] == 11 * H


def test_a_closed_counter_opens_at_its_next_window() -> None:
    scn = small_hall(
        arrivals={"mix": {"s": 1.0}, "rate_per_hour": 30},
        counters=[{"id": "C", "count": 2, "services": ["s"], "breaks": ["12:00-12:30"]}],
    )
    start = HallStart(11 * H, waiting=(WaitingTicket("s", "g", 0.0),) * 5, open_counters=("C2",))
    rec = simulate_from(scn, start, 2, 0).records
    assert spans_of(rec, "C1")[0][0] == 12.5 * H and served_at(rec, "C1").min() >= 12.5 * H
    assert spans_of(rec, "C2")[0][0] == 11 * H and served_at(rec, "C2").min() == 11 * H
    assert not ((served_at(rec, "C2") >= 12 * H) & (served_at(rec, "C2") < 12.5 * H)).any()


def test_a_counter_past_its_window_finishes_its_customer_then_keeps_its_break() -> None:
    """At the start of a break the log still shows a counter open while it
    finishes its customer: it must close after that customer, not stay open."""
    scn = small_hall(
        arrivals={"mix": {"s": 1.0}, "rate_per_hour": 30},
        counters=[{"id": "C", "count": 2, "services": ["s"], "breaks": ["12:00-13:00"]}],
    )
    start = HallStart(
        12 * H + 60.0,
        waiting=(WaitingTicket("s", "g", 300.0),) * 8,
        busy=(BusyCounter("C1", "s", 400.0), BusyCounter("C2", "s", 200.0)),
        open_counters=("C1", "C2"),
    )
    rec = simulate_from(scn, start, 5, 0).records
    for name in ("C1", "C2"):
        served = served_at(rec, name)
        assert len(served[served < 13 * H]) == 1  # its own customer, then the break
        assert served[served >= 13 * H].min() == 13 * H  # back at the end of the break


# -- probes ---------------------------------------------------------------------------------


def balky_hall() -> Scenario:
    """Balking at a short display and fixed services: a probe counted on the
    display, or holding a counter for an instant, would change who stays."""
    return small_hall(
        services={"s": {"service_time": {"dist": "fixed", "mean": "5m"}}},
        segments={
            "g": {
                "share": 1.0,
                "balk_if_queue_over": 2,
                "patience": {"dist": "exponential", "mean": "10m"},
            }
        },
        arrivals={"mix": {"s": 1.0}, "rate_per_hour": 30},
        no_show_delay="20s",
    )


@pytest.mark.parametrize("hall", ["balky", "flagship"])
def test_probes_leave_the_real_customers_untouched(hall: str) -> None:
    scn = balky_hall() if hall == "balky" else load_scenario(SCENARIOS / "flagship.yaml")
    now = 11 * H
    start = state_at(simulate(scn, 2, 7), now)
    services, segments = list(scn.services), list(scn.segments)
    probes = [
        Probe(now + 60.0 * i, services[i % len(services)], segments[i % len(segments)])
        for i in range(40)
    ]
    plain = simulate_from(scn, start, 5, 1)
    probed = simulate_from(scn, start, 5, 1, probes, run_to_end=True)
    assert_same_records(plain.records, probed.records)
    assert plain.end_s == probed.end_s
    assert (probed.probe_wait_s >= 0).all()
    assert (plain.records.outcome == BALKED).any() or hall == "flagship"
    # stopped at the last probe's call: what was settled by then agrees
    stopped = simulate_from(scn, start, 5, 1, probes)
    np.testing.assert_array_equal(stopped.probe_wait_s, probed.probe_wait_s)
    last_call = max(p.at_s + w for p, w in zip(probes, stopped.probe_wait_s, strict=True))
    assert stopped.end_s == pytest.approx(last_call)
    done = stopped.records.ended_s <= stopped.end_s
    for name in ("outcome", "called_s", "ended_s", "counter"):
        np.testing.assert_array_equal(
            getattr(stopped.records, name)[done], getattr(plain.records, name)[done], name
        )
    assert not (stopped.records.called_s > stopped.end_s).any()
    # and what was under way is left as it was: a ticket still waiting at the
    # stop neither gave up nor left (as documented by simulate_resumed)
    rec = stopped.records
    assert not (rec.left_s > stopped.end_s).any()  # none settled after the stop
    queued = (rec.arrival_s <= stopped.end_s) & np.isnan(rec.called_s) & np.isnan(rec.left_s)
    assert (rec.outcome[queued] == UNSERVED).all()
    assert queued.any() or hall == "flagship"  # its queue is empty by the last call


def test_a_probe_holds_no_counter_even_for_an_instant() -> None:
    """Two counters free at the same moment with a probe at the head of the
    queue: the first calls the probe and at once the next real ticket, as it
    would without the probe, so the second counter gets the ticket after that."""
    scn = small_hall(
        services={"s": {"service_time": {"dist": "fixed", "mean": "5m"}}},
        arrivals={"mix": {"s": 1.0}, "rate_per_hour": 40},
    )
    now = 10 * H
    start = HallStart(now, busy=(BusyCounter("C1", "s", 0.0), BusyCounter("C2", "s", 0.0)))
    plain = simulate_from(scn, start, 1, 0)
    probed = simulate_from(scn, start, 1, 0, [Probe(now, "s", "g")], run_to_end=True)
    assert np.sum(plain.records.called_s == now + 300) == 2  # both free together, two waiting
    assert probed.probe_wait_s.tolist() == [300.0]
    assert_same_records(plain.records, probed.records)


def test_a_probe_at_an_idle_counter_waits_nothing_and_an_unserved_one_is_nan() -> None:
    scn = small_hall()
    now = 10 * H
    run = simulate_from(scn, HallStart(now), 1, 0, [Probe(now, "s", "g")])
    assert run.probe_wait_s.tolist() == [0.0] and run.end_s == now
    # turned away at closing before being called: NaN, and the day still ends
    late = small_hall(closing="turn_away", close="10:30")
    start = HallStart(now, waiting=(WaitingTicket("s", "g", 0.0),) * 30)
    run = simulate_from(late, start, 1, 0, [Probe(now + 60, "s", "g")])
    assert np.isnan(run.probe_wait_s).all() and run.end_s >= 10.5 * H


def test_bad_starts_are_refused() -> None:
    scn, now = small_hall(), 10 * H
    for start, probes in [
        (HallStart(now, waiting=(WaitingTicket("nope", "g", 1.0),)), []),
        (HallStart(now, waiting=(WaitingTicket("s", "nope", 1.0),)), []),
        (HallStart(now, waiting=(WaitingTicket("s", "g", -1.0),)), []),
        (HallStart(now, busy=(BusyCounter("C1", "s", 1.0), BusyCounter("C1", "s", 2.0))), []),
        (HallStart(now), [Probe(now - 1, "s", "g")]),
    ]:
        with pytest.raises(ValueError):
            simulate_from(scn, start, 1, 0, probes)
    # a counter the scenario does not know is ignored
    run = simulate_from(scn, HallStart(now, busy=(BusyCounter("X1", "s", 1.0),)), 1, 0)
    assert len(run.records) == 0


def test_importing_the_warm_start_loads_no_scipy() -> None:
    code = "import sys, sim.live.warmstart, sim.live.nowcast; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "scipy" not in out.stdout.split()


def test_served_outcome_for_customers_at_counters() -> None:
    scn, now = small_hall(), 10 * H
    start = HallStart(now, busy=(BusyCounter("C1", "s", 42.0, segment="g"),))
    rec = simulate_from(scn, start, 1, 0).records
    assert rec.outcome.tolist() == [SERVED] and rec.called_s.tolist() == [now - 42.0]


@pytest.mark.parametrize("hall", ["flagship", "flagship-remote"])
@pytest.mark.parametrize("lookahead_s", [60.0, warmstart.LOOKAHEAD_S])
def test_probe_waits_are_those_of_the_whole_run(
    hall: str, lookahead_s: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaving out the customers after the last probe's call changes no wait,
    to the bit, whether the first lookahead suffices or the run is redone."""
    monkeypatch.setattr(warmstart, "LOOKAHEAD_S", lookahead_s)
    scn = load_scenario(SCENARIOS / f"{hall}.yaml")
    redone = 0
    for day, hour in [(0, 10.0), (1, 11.0), (2, 18.5), (3, 20.5), (4, 11.0)]:
        start = state_at(simulate(scn, seed=3, replication=day), hour * 3600.0)
        if day == 4:  # a ticket taken now: tied with the probes taken now
            now_ticket = WaitingTicket("business", "easyown", 0.0)
            start = dataclasses.replace(start, waiting=(*start.waiting, now_ticket))
        probes = [
            Probe(start.now_s + h, svc, seg)
            for h in (0.0, 900.0, 3600.0)
            for svc in ("business", "after_sales")
            for seg in ("gotone_vip", "mzone", "easyown")
            if start.now_s + h < scn.close
        ]
        runs = WarmStart(scn, start, probes)
        assert len(runs.probes) < len(probes)  # easyown's stand in for mzone's
        for r in range(6):
            prepared = runs.prepare(1, r)  # every probe, none standing in for another
            every = dataclasses.replace(prepared.resume, probes=runs.all_probes)
            called_s = simulate_resumed(scn, prepared.demand, every)[1]
            want = called_s - np.array([p.at_s for p in probes])
            np.testing.assert_array_equal(runs.probe_waits(1, r), want)
            np.testing.assert_array_equal(
                simulate_from(scn, start, 1, r, probes).probe_wait_s, want
            )
        redone += runs.lookahead_s > lookahead_s
    if lookahead_s < 600:  # a minute is too short: some runs were redone
        assert redone
