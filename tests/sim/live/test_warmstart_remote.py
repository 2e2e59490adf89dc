"""The warm start of a hall whose customers may queue from home
(``arrivals.remote``): the tickets waiting now say whether their holders have
checked in, those on the way travel on, and the customers to come take their
tickets from afar as in a whole day."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from sim.live.conditional import survival
from sim.live.eta import call_times
from sim.live.nowcast import nowcast, state_at
from sim.live.warmstart import HallStart, WaitingTicket, WarmStart, simulate_from
from sim.model.hall import simulate
from sim.model.records import BALKED, Records
from sim.model.scenario import Scenario, load_scenario, scenario_from_dict
from tests.sim.live.test_warmstart import REPLAY, REPLAY_SPEC, SCENARIOS

H = 3600.0
TRAVEL_S = 900.0


def _remote(rule: str, **extra: Any) -> Scenario:
    """:data:`REPLAY_SPEC` (fixed service times, no patience, a break, a shift
    end, balking), busier, with 40% of both services' tickets taken from afar
    and a fixed travel."""
    spec = copy.deepcopy(REPLAY_SPEC)
    spec["arrivals"]["rate_per_hour"] = 60
    spec["arrivals"]["remote"] = {
        "share": {"a": 0.4, "b": 0.4},
        "travel": {"dist": "fixed", "mean": TRAVEL_S},
        "early_call": rule,
        **extra,
    }
    return scenario_from_dict(spec)


RULES = {
    "no_show": _remote("no_show"),
    "hold": _remote("hold", hold=300.0),
    "requeue": _remote("requeue"),
}


def _replayable(day: Records, now: float, rule: str) -> bool:
    """A moment that shows what the case is about: holders on the way now, some
    of the tickets taken by now called before their holders come; and no ticket
    held or requeued now after a call in vain, which the ticket system does not
    log (under ``no_show`` such a ticket is closed, and logged)."""
    assert day.travel_s is not None and day.early_called_s is not None
    waiting = (day.arrival_s < now) & ~(day.called_s <= now) & (day.outcome != BALKED)
    on_the_way = waiting & (day.hall_s > now)
    called_early_later = (day.early_called_s > now) & (day.arrival_s < now)
    in_flight = (day.early_called_s <= now) & ~(day.called_s <= now)
    return bool(on_the_way.any() and called_early_later.any()) and (
        rule == "no_show" or not in_flight.any()
    )


@pytest.mark.parametrize("rule", list(RULES))
def test_a_deterministic_remote_day_resumed_mid_day_replays_the_rest(rule: str) -> None:
    """With a fixed travel, a holder on the way reaches the hall when the day
    had them reach it: from the state of a simulated day at ``now`` the warm
    run calls (early or not), serves and gives up every ticket not at a
    counter now exactly as the day did. Every 5 minutes of six days (off the
    counters' shift and break times, at which the state is ambiguous) that shows
    it (:func:`_replayable`) is a case. Red when the holders on the way are
    taken to be in the hall, or the customers to come as walk-ins."""
    scn = RULES[rule]
    cases = 0
    for seed in range(1, 7):
        day = simulate(scn, seed, 0)
        for now in np.arange(9.5 * H + 150.0, 12.9 * H, 300.0):  # off the schedule's times
            if not _replayable(day, float(now), rule):
                continue
            cases += 1
            _assert_replays(scn, day, float(now), seed)
    assert cases >= 10


def _assert_replays(scn: Scenario, day: Records, now: float, seed: int) -> None:
    start = state_at(day, now)
    assert any(t.away for t in start.waiting)
    warm = simulate_from(scn, start, seed, 0).records
    assert warm.travel_s is not None and warm.early_called_s is not None
    assert day.travel_s is not None and day.early_called_s is not None
    # everyone not at a counter now: waiting now (on the way or not) or arriving later
    rest = (day.arrival_s >= now) | (~(day.called_s <= now) & (day.outcome != BALKED))
    seated = np.flatnonzero(warm.called_s == warm.arrival_s)
    seated = seated[warm.arrival_s[seated] < now]
    a = np.flatnonzero(rest)
    b = np.setdiff1d(np.arange(len(warm)), seated)
    a = a[np.lexsort((day.segment[a], day.service[a], day.arrival_s[a]))]
    b = b[np.lexsort((warm.segment[b], warm.service[b], warm.arrival_s[b]))]
    assert len(a) == len(b), now
    where = f"seed {seed}, now {now}"
    np.testing.assert_array_equal(warm.outcome[b], day.outcome[a], where)
    for name in ("arrival_s", "travel_s", "called_s", "early_called_s", "ended_s"):
        np.testing.assert_allclose(
            getattr(warm, name)[b], getattr(day, name)[a], rtol=0, atol=1e-6, err_msg=where
        )


def test_the_state_says_who_is_on_the_way_and_who_checked_in() -> None:
    scn = RULES["hold"]
    day = simulate(scn, 1, 0)
    now = 11 * H
    start = state_at(day, now)
    assert day.travel_s is not None
    issued = {round(now - t.waited_s, 6): t for t in start.waiting}
    for i in np.flatnonzero(day.arrival_s < now):
        t = issued.get(round(float(day.arrival_s[i]), 6))
        if t is None:
            continue
        assert t.remote == (not math.isnan(day.travel_s[i]))
        if t.remote:
            checked_in = day.hall_s[i] <= now
            assert t.away == (not checked_in)
            assert t.travel_s == (pytest.approx(day.travel_s[i]) if checked_in else None)
    assert any(t.away for t in start.waiting)
    assert any(t.remote and not t.away for t in start.waiting)


def test_the_rest_of_a_travel_is_drawn_beyond_what_it_has_lasted() -> None:
    """A holder on the way for 10 minutes of a lognormal travel reaches the hall
    after the travel's conditional rest, every replication: never before now,
    and on average later than a travel drawn afresh would say."""
    scn = scenario_from_dict(
        {
            **REPLAY_SPEC,
            "arrivals": {
                "mix": {"a": 1.0},
                "rate_per_hour": 0,
                "remote": {
                    "share": {"a": 1.0},
                    "travel": {"dist": "lognormal", "mean": 720.0, "cv": 0.5},
                    "early_call": "hold",
                    "hold": 900.0,
                },
            },
        }
    )
    start = HallStart(10 * H, waiting=(WaitingTicket("a", "std", 600.0, remote=True),))
    runs = WarmStart(scn, start)
    arrived = np.array([float(runs.prepare(1, r).demand.hall_s[0]) for r in range(400)]) - (
        10 * H - 600.0
    )
    assert (arrived >= 600.0).all()
    # E[T | T > 600] of that lognormal, by quadrature of its survival function
    grid = np.linspace(600.0, 20_000.0, 200_001)
    assert scn.arrivals.remote is not None
    tail = survival(scn.arrivals.remote.travel, grid)
    expected = 600.0 + np.trapezoid(tail, grid) / tail[0]
    se = arrived.std(ddof=1) / math.sqrt(arrived.size)
    assert abs(arrived.mean() - expected) < 4 * se  # z = 4: a false alarm 6 in 100,000
    assert arrived.mean() > 720.0 + 4 * se  # a fresh travel's mean: less than what is left


def test_a_hall_without_remote_takes_remote_tickets_as_walk_ins() -> None:
    start = HallStart(10 * H, waiting=(WaitingTicket("a", "std", 600.0, remote=True),))
    assert WarmStart(REPLAY, start).prepare(1, 0).demand.travel_s is None


def test_travel_must_fit_the_wait() -> None:
    scn = RULES["hold"]
    for bad in (
        WaitingTicket("a", "std", 600.0, travel_s=100.0),  # a walk-in's
        WaitingTicket("a", "std", 600.0, remote=True, travel_s=700.0),
        WaitingTicket("a", "std", 600.0, remote=True, travel_s=-1.0),
    ):
        with pytest.raises(ValueError, match="travel_s"):
            WarmStart(scn, HallStart(10 * H, waiting=(bad,)))


def test_a_holder_on_the_way_has_not_given_up() -> None:
    """``present_queue`` counts a holder on the way whole and a checked-in one
    by the time since the check-in."""
    spec = copy.deepcopy(REPLAY_SPEC)
    spec["segments"]["std"]["patience"] = {"dist": "exponential", "mean": 600.0}
    spec["arrivals"]["remote"] = {
        "share": {"a": 0.5},
        "travel": {"dist": "fixed", "mean": TRAVEL_S},
        "early_call": "hold",
        "hold": 300.0,
    }
    scn = scenario_from_dict(spec)
    waiting = (
        WaitingTicket("a", "std", 1800.0, remote=True),  # on the way
        WaitingTicket("a", "std", 1800.0, remote=True, travel_s=1200.0),  # in the hall 600 s
    )
    nc = nowcast(scn, HallStart(10 * H, waiting=waiting), horizons_s=(0.0,), replications=2)
    assert nc.present_queue["a"] == pytest.approx(1.0 + math.exp(-1.0))


def test_flagship_remote_nowcast_from_a_mid_day_state_runs() -> None:
    scn = load_scenario(SCENARIOS / "flagship-remote.yaml")
    start = state_at(simulate(scn, 2, 1), 14 * H)
    assert any(t.away for t in start.waiting)
    nc = nowcast(scn, start, horizons_s=(0.0, 1800.0), replications=8, seed=1)
    assert all(math.isfinite(v) for v in nc.wait_s.values())


def test_an_early_call_is_the_eta_and_moves_the_tickets_behind() -> None:
    """One counter, five-minute services, a 29-minute travel: at 10:00 a walk-in
    (waiting 2 min), a holder on the way (1 min) and another walk-in (30 s). The
    counter calls the first, reaches the remote ticket at 10:05 (its holder
    comes at 10:28: held), spends the 20 s no-show delay on it and calls the
    third at 10:05:20. Red when the holder is taken to be in the hall (the third
    called at 10:10) or the ETA is the call after the check-in."""
    spec = {
        "hall": "one",
        "open": "09:00",
        "close": "18:00",
        "target": {"wait": "10m"},
        "no_show_delay": "20s",
        "services": {"a": {"service_time": {"dist": "fixed", "mean": "5m"}}},
        "segments": {"g": {"share": 1.0}},
        "arrivals": {
            "mix": {"a": 1.0},
            "rate_per_hour": 0,
            "remote": {
                "share": {"a": 1.0},
                "travel": {"dist": "fixed", "mean": "29m"},
                "early_call": "hold",
                "hold": "30m",
            },
        },
        "counters": [{"id": "C", "count": 1, "services": ["a"]}],
    }
    scn = scenario_from_dict(spec)
    now = 10 * H
    start = HallStart(
        now,
        waiting=(
            WaitingTicket("a", "g", 120.0),
            WaitingTicket("a", "g", 60.0, remote=True),
            WaitingTicket("a", "g", 30.0),
        ),
    )
    times = call_times(scn, start, replications=3)
    np.testing.assert_allclose(times.call_s - now, [[0.0, 300.0, 320.0]] * 3, atol=1e-6)
    run = simulate_from(scn, start, 1, 0, run_to_end=True).records
    assert run.early_called_s is not None
    remote = int(np.flatnonzero(run.remote)[0])
    assert run.early_called_s[remote] == pytest.approx(now + 300.0)
    assert run.called_s[remote] == pytest.approx(now - 60.0 + 29 * 60.0)  # on check-in
    assert run.next_call_s(now)[remote] == pytest.approx(now + 300.0)
    assert math.isclose(run.next_call_s(now + 301.0)[remote], now - 60.0 + 29 * 60.0)
