"""Remote tickets in the hall model: the reduction to today's model (zero travel),
a day worked by hand under each early-call rule, the rules' invariants on random
days, and common random numbers against the hall without remote tickets."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.demand import Demand, draw_demand
from sim.model.hall import simulate
from sim.model.kpis import aggregate, replication_kpis
from sim.model.records import ABANDONED, SERVED, Records
from sim.model.remote import REMOTE_KEYS
from sim.model.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict
from tests.sim.model.test_hall import assert_day_invariants, days

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
T0 = 9 * 3600.0
M = 60.0
NAN = math.nan
RULES = ("hold", "requeue", "no_show")


def with_remote(scn: Scenario, **remote: Any) -> Scenario:
    data = scenario_to_dict(scn)
    data["arrivals"]["remote"] = remote
    return scenario_from_dict(data)


def remote_county(rule: str, no_show_delay: str = "15s") -> Scenario:
    scn = load_scenario(SCENARIOS / "county.yaml")
    scn = scn.model_copy(update={"no_show_delay": float(no_show_delay.removesuffix("s"))})
    return with_remote(
        scn,
        share={"business": 0.5, "consult": 0.3},
        travel={"dist": "lognormal", "mean": "12m", "cv": 0.6},
        early_call=rule,
    )


def assert_same_records(a: Records, b: Records) -> None:
    for field in dataclasses.fields(Records):
        if field.name in ("travel_s", "early_called_s", "early_counter"):
            continue
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, field.name)
        else:
            assert x == y, field.name


# -- the reduction -------------------------------------------------------------------


@pytest.mark.parametrize("delay", ["0s", "15s"])
@pytest.mark.parametrize("rule", RULES)
def test_zero_travel_is_todays_model(rule: str, delay: str) -> None:
    """Remote holders who are in the hall the moment they take their ticket are
    never called early, and the day is today's model's: the same records, the same
    KPIs (the remote table aside)."""
    scn = remote_county(rule, delay)
    base = load_scenario(SCENARIOS / "county.yaml").model_copy(
        update={"no_show_delay": scn.no_show_delay}
    )
    for replication in range(4):
        demand = draw_demand(scn, 3, replication)
        assert demand.travel_s is not None and (~np.isnan(demand.travel_s)).sum() >= 5
        zero = dataclasses.replace(demand, travel_s=np.where(np.isnan(demand.travel_s), NAN, 0.0))
        remote = simulate(scn, demand=zero)
        today = simulate(base, demand=dataclasses.replace(demand, travel_s=None))
        assert_same_records(remote, today)
        assert remote.early_called_s is not None and np.isnan(remote.early_called_s).all()
        got, want = replication_kpis(remote, scn), replication_kpis(today, base)
        for part in ("overall", "by_segment", "by_service", "by_interval", "kiosk"):
            assert str(getattr(got, part)) == str(getattr(want, part)), part
        assert got.remote is not None and got.remote["early_calls"] == 0
        assert got.remote["saved_mean_s"] == 0.0 and got.remote["away_mean"] == 0.0


def test_a_scenario_without_remote_draws_and_reports_as_before() -> None:
    scn = load_scenario(SCENARIOS / "county.yaml")
    demand = draw_demand(scn, 1, 0)
    assert demand.travel_s is None
    rec = simulate(scn, 1, 0)
    assert rec.travel_s is None and rec.early_called_s is None
    summary = aggregate([replication_kpis(rec, scn)])
    assert summary.remote is None and "remote" not in summary.to_json()


# -- a day worked by hand ----------------------------------------------------------------

# one counter, 10-minute services, nobody gives up. Tickets (minutes after 09:00):
# A walk-in 0; B remote 1, in the hall at 21; C walk-in 2; D remote 5, in at 23;
# E walk-in 15; F remote 25, in at 29.
TICKET_M = [0, 1, 2, 5, 15, 25]
TRAVEL_M = [NAN, 20, NAN, 18, NAN, 4]


def hand_hall(rule: str) -> Scenario:
    return scenario_from_dict(
        {
            "hall": "hand",
            "open": "09:00",
            "close": "12:00",
            "target": {"wait": "10m"},
            "services": {"s": {"service_time": {"dist": "fixed", "mean": "10m"}}},
            "segments": {"all": {"share": 1.0}},
            "arrivals": {
                "mix": {"s": 1.0},
                "rate_per_hour": 2,
                "remote": {
                    "share": {"s": 0.5},
                    "travel": {"dist": "fixed", "mean": "10m"},
                    "early_call": rule,
                }
                | ({"hold": "5m"} if rule == "hold" else {}),
            },
            "counters": [{"id": "C", "count": 1, "services": ["s"]}],
        }
    )


def hand_demand() -> Demand:
    n = len(TICKET_M)
    return Demand(
        arrival_s=T0 + np.array(TICKET_M) * M,
        service=np.zeros(n, dtype=np.int64),
        segment=np.zeros(n, dtype=np.int64),
        appointment=np.zeros(n, dtype=bool),
        kiosk=np.zeros(n, dtype=bool),
        work_s=np.full(n, 10 * M),
        patience_s=np.full(n, np.inf),
        day_factor=1.0,
        travel_s=np.array(TRAVEL_M) * M,
    )


# per rule: (called, ended, left, outcome, early call) in minutes after 09:00, per ticket
HAND: dict[str, list[tuple[float, float, float, int, float]]] = {
    # B called at 10 while away, kept until 15, not back: a no-show; D called at 20
    # while away, back at 23 (within 25): called next, at 30; F behind D
    "hold": [
        (0, 10, NAN, SERVED, NAN),
        (10, 10, 15, ABANDONED, 10),
        (10, 20, NAN, SERVED, NAN),
        (30, 40, NAN, SERVED, 20),
        (20, 30, NAN, SERVED, NAN),
        (40, 50, NAN, SERVED, NAN),
    ],
    # B and D back at 21 and 23 join the queue behind E, before F (taken at 25)
    "requeue": [
        (0, 10, NAN, SERVED, NAN),
        (30, 40, NAN, SERVED, 10),
        (10, 20, NAN, SERVED, NAN),
        (40, 50, NAN, SERVED, 20),
        (20, 30, NAN, SERVED, NAN),
        (50, 60, NAN, SERVED, NAN),
    ],
    # B and D lost when called; F is in the hall (29) when E ends (30)
    "no_show": [
        (0, 10, NAN, SERVED, NAN),
        (10, 10, 10, ABANDONED, 10),
        (10, 20, NAN, SERVED, NAN),
        (20, 20, 20, ABANDONED, 20),
        (20, 30, NAN, SERVED, NAN),
        (30, 40, NAN, SERVED, NAN),
    ],
}

# per rule, the remote KPIs worked out from HAND (minutes where the key says _s)
HAND_KPIS: dict[str, dict[str, float]] = {
    # waits from the ticket: D 25, F 15; in the hall: D 7, F 11; saved: D to its
    # first call 15, F its trip 4; away: B 1-15, D 5-23, F 25-29 = 36 of 180 minutes
    "hold": {
        "tickets": 3,
        "share": 0.5,
        "served": 2,
        "no_shows": 1,
        "no_show_rate": 1 / 3,
        "early_calls": 2,
        "early_call_rate": 2 / 3,
        "wait_ticket_mean_s": 20,
        "wait_ticket_p90_s": 24,
        "wait_hall_mean_s": 9,
        "wait_hall_p90_s": 10.6,
        "saved_mean_s": (15 + 4) / 2,
        "away_mean": 36 / 180,
    },
    # B 29 from the ticket, 9 in the hall, 9 saved; D 35, 17, 15; F 25, 21, 4;
    # away: B 1-21, D 5-23, F 25-29 = 42 minutes
    "requeue": {
        "tickets": 3,
        "share": 0.5,
        "served": 3,
        "no_shows": 0,
        "no_show_rate": 0,
        "early_calls": 2,
        "early_call_rate": 2 / 3,
        "wait_ticket_mean_s": (29 + 35 + 25) / 3,
        "wait_ticket_p90_s": 29 + 0.8 * 6,
        "wait_hall_mean_s": (9 + 17 + 21) / 3,
        "wait_hall_p90_s": 17 + 0.8 * 4,
        "saved_mean_s": (9 + 15 + 4) / 3,
        "away_mean": 42 / 180,
    },
    # F only: 5 from the ticket, 1 in the hall, 4 saved; away: B 1-10, D 5-20, F 25-29
    "no_show": {
        "tickets": 3,
        "share": 0.5,
        "served": 1,
        "no_shows": 2,
        "no_show_rate": 2 / 3,
        "early_calls": 2,
        "early_call_rate": 2 / 3,
        "wait_ticket_mean_s": 5,
        "wait_ticket_p90_s": 5,
        "wait_hall_mean_s": 1,
        "wait_hall_p90_s": 1,
        "saved_mean_s": 4,
        "away_mean": 28 / 180,
    },
}


@pytest.mark.parametrize("rule", RULES)
def test_a_day_by_hand(rule: str) -> None:
    scn = hand_hall(rule)
    rec = simulate(scn, demand=hand_demand())
    called, ended, left, outcome, early = (np.array(col) for col in zip(*HAND[rule], strict=True))
    minutes = {
        "called_s": called,
        "ended_s": ended,
        "left_s": left,
    }
    for name, want in minutes.items():
        np.testing.assert_allclose((getattr(rec, name) - T0) / M, want, err_msg=name)
    np.testing.assert_array_equal(rec.outcome, outcome)
    assert rec.early_called_s is not None
    np.testing.assert_allclose((rec.early_called_s - T0) / M, early)
    kpis = replication_kpis(rec, scn).remote
    assert kpis is not None and list(kpis) == list(REMOTE_KEYS)
    for key, want_value in HAND_KPIS[rule].items():
        scale = M if key.endswith("_s") else 1.0
        assert kpis[key] == pytest.approx(want_value * scale, rel=1e-12, abs=1e-9), key


def test_the_queue_in_the_hall_starts_at_check_in() -> None:
    """The hand day under ``hold``: C 2-10, E 15-20, D 23-30, F 29-40 wait in the
    hall (31 minutes of 180); B is never in it."""
    scn = hand_hall("hold")
    overall = replication_kpis(simulate(scn, demand=hand_demand()), scn).overall
    assert overall["queue_mean"] == pytest.approx(31 / 180)
    assert overall["queue_max"] == 2  # D and F, 29-30


def test_a_call_in_vain_keeps_the_counter_for_the_no_show_delay() -> None:
    """The hand day under ``hold`` with a 1-minute no-show delay: B's call keeps
    the counter 10-11, so C is served 11-21; D is called in vain at 21 (back at 23,
    within the hold), E served 22-32, D 32-42, F 42-52."""
    scn = hand_hall("hold").model_copy(update={"no_show_delay": 60.0})
    rec = simulate(scn, demand=hand_demand())
    np.testing.assert_allclose((rec.called_s - T0) / M, [0, 10, 11, 32, 22, 42])
    np.testing.assert_allclose((rec.ended_s - T0) / M, [10, 11, 21, 42, 32, 52])
    busy_m = 10 + 1 + 10 + 1 + 10 + 10 + 10  # services and the two calls in vain
    overall = replication_kpis(rec, scn).overall
    assert overall["utilisation"] == pytest.approx(busy_m / 180)


# -- the rules on random days ------------------------------------------------------------


@st.composite
def remote_days(draw: st.DrawFn) -> dict[str, Any]:
    spec = draw(days())
    services = list(spec["services"])
    remote: dict[str, Any] = {
        "share": {s: draw(st.floats(0.0, 1.0)) for s in services},
        "travel": draw(
            st.sampled_from(
                [
                    {"dist": "exponential", "mean": "8m"},
                    {"dist": "lognormal", "mean": "15m", "cv": 0.7},
                    {"dist": "fixed", "mean": "3m"},
                ]
            )
        ),
        "early_call": draw(st.sampled_from(RULES)),
    }
    if remote["early_call"] == "hold":
        remote["hold"] = draw(st.sampled_from(["0s", "2m", "10m"]))
    spec["arrivals"]["remote"] = remote
    return spec


def assert_remote_invariants(scn: Scenario, demand: Demand, rec: Records) -> None:
    """What each early-call rule promises, read off the records."""
    rule = scn.arrivals.remote
    assert rule is not None and rec.early_called_s is not None and rec.early_counter is not None
    remote, hall = rec.remote, rec.hall_s
    early, called = rec.early_called_s, rec.called_s
    was_early = ~np.isnan(early)
    assert not (was_early & ~remote).any(), "a walk-in called before being in the hall"
    assert (early[was_early] < hall[was_early]).all(), "an early call after the check-in"
    assert (early[was_early] >= rec.arrival_s[was_early]).all()
    assert (rec.early_counter[was_early] >= 0).all()
    served = rec.outcome == SERVED
    assert (called[served] >= hall[served]).all(), "served before being in the hall"
    assert not (remote & rec.kiosk).any() and not (remote & rec.appointment).any()
    lost = was_early & (called == early)
    np.testing.assert_array_equal(rec.outcome[lost], ABANDONED)
    if rule.early_call == "no_show":
        np.testing.assert_array_equal(lost, was_early)
        np.testing.assert_array_equal(rec.left_s[lost], early[lost])
    elif rule.early_call == "requeue":
        assert not lost.any()
    else:
        np.testing.assert_array_equal(lost, was_early & (hall > early + rule.hold))
        np.testing.assert_allclose(rec.left_s[lost], early[lost] + rule.hold)
    # patience runs from the check-in
    bad = np.flatnonzero(served & ~rec.kiosk & ~(called < hall + demand.patience_s))
    assert not bad.size, f"ticket {bad[:1]} served after its patience ran out"
    # calls in vain keep their counter for the no-show delay: no overlap with its services
    for k in range(len(rec.counters)):
        jobs = sorted(
            [(c, e) for c, e, kk in zip(called, rec.ended_s, rec.counter, strict=True) if kk == k]
            + [
                (c, c + scn.no_show_delay)
                for c, kk, cc in zip(early, rec.early_counter, called, strict=True)
                if kk == k and c != cc
            ]
        )
        for (_, e0), (c1, _) in itertools.pairwise(jobs):
            assert c1 >= e0 - 1e-9, f"counter {k} calls at {c1} while busy to {e0}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=remote_days(), seed=st.integers(0, 2**32 - 1))
def test_random_days_keep_the_rules(spec: dict[str, Any], seed: int) -> None:
    scn = scenario_from_dict(spec)
    demand = draw_demand(scn, seed, 0)
    rec = simulate(scn, demand=demand)
    assert_remote_invariants(scn, demand, rec)
    kpis = replication_kpis(rec, scn)
    assert kpis.remote is not None
    assert kpis.remote["tickets"] >= kpis.remote["served"] + kpis.remote["no_shows"]
    if demand.travel_s is not None:  # with everyone in at once, today's invariants hold
        zero = dataclasses.replace(demand, travel_s=np.where(np.isnan(demand.travel_s), NAN, 0.0))
        assert_day_invariants(scn, zero, simulate(scn, demand=zero))


# -- common random numbers -----------------------------------------------------------------


def test_remote_tickets_change_no_other_draw() -> None:
    """A hall with and without remote tickets sees the same customers: the remote
    choice and travel come from their own streams."""
    base = load_scenario(SCENARIOS / "flagship.yaml")
    remote = with_remote(
        base, share={"business": 0.3}, travel={"dist": "lognormal", "mean": "15m", "cv": 0.5}
    )
    for replication in range(3):
        a, b = draw_demand(base, 4, replication), draw_demand(remote, 4, replication)
        for field in dataclasses.fields(Demand):
            if field.name != "travel_s":
                x, y = getattr(a, field.name), getattr(b, field.name)
                np.testing.assert_array_equal(x, y, field.name)
        assert b.travel_s is not None
        business = b.service == list(base.services).index("business")
        chosen = ~np.isnan(b.travel_s)
        assert not (chosen & ~business).any()
        counter_business = business & ~b.kiosk & ~b.appointment
        share = chosen.sum() / counter_business.sum()
        assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / counter_business.sum())


# -- the schema -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "message"),
    [
        (
            {"share": {"nope": 0.3}, "travel": {"dist": "fixed", "mean": "5m"}},
            "arrivals.remote.share.nope: 'nope' is not a service",
        ),
        (
            {"share": {"s": 1.3}, "travel": {"dist": "fixed", "mean": "5m"}},
            "arrivals.remote.share.s: 1.3",
        ),
        (
            {"share": {"s": 0.3}, "travel": {"dist": "fixed", "mean": "5m"}, "early_call": "x"},
            "arrivals.remote.early_call: 'x'",
        ),
        (
            {
                "share": {"s": 0.3},
                "travel": {"dist": "fixed", "mean": "5m"},
                "early_call": "requeue",
                "hold": "5m",
            },
            "hold applies to early_call: hold, not requeue",
        ),
        ({"share": {"s": 0.3}}, "arrivals.remote.travel: is required"),
    ],
)
def test_bad_remote_blocks_are_named(remote: dict[str, Any], message: str) -> None:
    data = scenario_to_dict(hand_hall("hold"))
    data["arrivals"]["remote"] = remote
    with pytest.raises(ScenarioError, match=message.replace(".", r"\.")):
        scenario_from_dict(data)
