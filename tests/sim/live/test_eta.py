"""A waiting ticket's ETA (sim.live.eta): invariants of the simulated call
times, the baseline, and the ETA scored on replayed days against when the
tickets really were called, beating the position baseline on MAE by more
than the bootstrap interval of the paired difference allows to be chance."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sim.live.eta import (
    ahead_of,
    call_times,
    mean_service_s,
    open_counters,
    position_call_s,
    ticket_eta,
)
from sim.live.etascore import score_days, waiting_records
from sim.live.nowcast import state_at
from sim.live.warmstart import HallStart, WaitingTicket
from sim.model.days import day_scenario
from sim.model.hall import simulate
from sim.model.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[3]
WEDNESDAY, BUSY_MONDAY = date(2027, 1, 6), date(2027, 1, 4)  # the busy one: 元旦后首个工作日


def _day(name: str, day: date = WEDNESDAY) -> Scenario:
    scn = day_scenario(load_scenario(ROOT / "scenarios" / name), day)
    assert scn is not None
    return scn


@pytest.fixture(scope="module")
def flagship() -> Scenario:
    """The flagship on its busiest day (a queue of 22 at 18:30 of replication 0, seed 5)."""
    return _day("flagship.yaml", BUSY_MONDAY)


def test_every_waiting_ticket_is_called_after_now_and_first_come_first_served(
    flagship: Scenario,
) -> None:
    records = simulate(flagship, 5, 0)
    start = state_at(records, 18.5 * 3600)
    assert len(start.waiting) >= 10  # the evening peak: a queue worth predicting
    times = call_times(flagship, start, replications=12, seed=3)
    assert times.call_s.shape == (12, len(start.waiting))
    assert np.all(times.call_s >= start.now_s)  # serve_all: every one is called
    # within one class (service, segment, walk-in), the earlier ticket is called no later
    for i, a in enumerate(start.waiting):
        for j, b in enumerate(start.waiting):
            same = (a.service, a.segment, a.appointment) == (b.service, b.segment, b.appointment)
            if same and a.waited_s > b.waited_s:
                assert np.all(times.call_s[:, i] <= times.call_s[:, j])


def test_the_prediction_is_ordered_and_counts_its_replications(flagship: Scenario) -> None:
    start = state_at(simulate(flagship, 5, 0), 18.5 * 3600)
    times = call_times(flagship, start, replications=20, seed=3)
    for i in range(len(start.waiting)):
        eta = ticket_eta(times, i)
        assert eta.replications == 20 and eta.never_called == 0.0
        assert start.now_s <= eta.call_p10_s <= eta.call_median_s <= eta.call_p90_s
        calls = np.sort(times.call_s[:, i])
        assert eta.call_median_s == calls[9]  # the lower median: a call time some run had
        assert eta.call_p90_s == calls[17]


def test_the_same_seed_gives_the_same_times_and_another_seed_others(flagship: Scenario) -> None:
    start = state_at(simulate(flagship, 5, 0), 15 * 3600)
    a = call_times(flagship, start, replications=4, seed=3).call_s
    assert np.array_equal(a, call_times(flagship, start, replications=4, seed=3).call_s)
    assert not np.array_equal(a, call_times(flagship, start, replications=4, seed=4).call_s)


def test_a_ticket_never_called_counts_as_an_endless_wait() -> None:
    scn = _day("county.yaml").model_copy(update={"closing": "turn_away"})
    close_s = scn.close
    waiting = tuple(WaitingTicket("business", "easyown", 60.0 * k) for k in range(40, 0, -1))
    start = HallStart(now_s=close_s - 1800, waiting=waiting, issued=100)
    times = call_times(scn, start, replications=10, seed=1)
    last = ticket_eta(times, len(waiting) - 1)  # the 40th in line with half an hour left
    assert last.never_called > 0.5
    assert math.isnan(last.call_p90_s)


def test_the_baseline_is_position_times_mean_service_over_open_counters(
    flagship: Scenario,
) -> None:
    waiting = (
        WaitingTicket("business", "gotone", 300.0),
        WaitingTicket("consult", "mzone", 200.0),
        WaitingTicket("business", "mzone", 200.0),
    )
    start = HallStart(now_s=11 * 3600, waiting=waiting, open_counters=("B1", "B2", "Q1", "A1"))
    assert open_counters(flagship, start) == 4
    assert ahead_of(waiting, 2) == (2, 2)  # the second business ticket; two taken before it
    expected = 11 * 3600 + 2 * mean_service_s(flagship) / 4
    assert position_call_s(flagship, start, 2) == pytest.approx(expected)
    # by the schedule at 11:00: V1, five B and two Q, two A
    assert open_counters(flagship, HallStart(now_s=11 * 3600)) == 10


def test_the_scored_tickets_are_those_the_state_shows_waiting(flagship: Scenario) -> None:
    records = simulate(flagship, 5, 0)
    now_s = 16 * 3600.0
    start = state_at(records, now_s)
    mine = waiting_records(records, now_s)
    assert [now_s - float(records.arrival_s[k]) for k in mine] == [
        t.waited_s for t in start.waiting
    ]


MOMENTS_S = [h * 3600.0 for h in range(10, 21)]
CASES = [
    ("flagship.yaml", WEDNESDAY),
    ("flagship-remote.yaml", WEDNESDAY),
    ("flagship.yaml", BUSY_MONDAY),
]


@pytest.mark.statistical
@pytest.mark.slow
@pytest.mark.parametrize(("name", "day"), CASES, ids=["flagship", "flagship-remote", "busy"])
def test_the_eta_beats_position_times_service_time_on_replayed_days(name: str, day: date) -> None:
    """Ten replayed days, every hour from 10:00 to 20:00; the ETA's MAE is
    lower than the baseline's by more than chance: the 95% bootstrap interval
    of the mean paired difference (resampling moments, which share a future)
    is above 0."""
    errors = score_days(_day(name, day), range(10), MOMENTS_S, replications=30)
    assert errors.tickets >= 100 and errors.moments >= 20  # enough to tell
    gain_s, lo_s, _ = errors.gain_ci_s()
    eta_mae, base_mae = errors.mae_s()
    assert lo_s > 0, (name, eta_mae, base_mae, gain_s, lo_s)
    assert gain_s == pytest.approx(base_mae - eta_mae)
