"""Arrivals taken together in one callback (:meth:`sim.model.hall._Hall._on_arrival`)
give the same day, bit for bit, as one SimPy event per arrival: same outcomes,
same times, same counters, ties between an arrival and another event included."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.demand import draw_demand
from sim.model.hall import Resume, _Hall
from sim.model.records import Records
from sim.model.scenario import Scenario, scenario_from_dict
from sim.model.wakeup import Wakeup
from tests.sim.model.test_hall import days


class OneEventPerArrival(_Hall):
    """The hall with the arrival chain as it was: each arrival its own event,
    the next one scheduled before the customer is seen to."""

    def _on_arrival(self, event: Wakeup) -> None:
        now = event.at_s
        c = self.next_customer
        self.next_customer = c + 1
        if c + 1 < self.n_real:
            event.arm(self.arr[c + 1] - now, now)
        self._take(c, now)
        self.arrived_s = now


def assert_same_records(a: Records, b: Records) -> None:
    for field in dataclasses.fields(Records):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, field.name
            np.testing.assert_array_equal(x, y, err_msg=field.name, strict=True)
        else:
            assert x == y, field.name


def both(scn: Scenario, seed: int, resume: Resume | None = None) -> tuple[_Hall, _Hall]:
    demand = draw_demand(scn, seed, 0)
    batched, single = _Hall(scn, demand, resume), OneEventPerArrival(scn, demand, resume)
    assert_same_records(batched.run(), single.run())
    assert batched.end_s == single.end_s
    return batched, single


def ties(no_show_delay: str, closing: str) -> Scenario:
    """Fixed and whole-minute service times and appointments on the quarter hour
    (punctual): arrivals fall on the same instants as calls, ends of service and
    staffing changes."""
    fixed_15m = {"dist": "fixed", "mean": "15m"}
    spec: dict[str, Any] = {
        "hall": "ties",
        "open": "09:00",
        "close": "12:00",
        "target": {"wait": "10m"},
        "services": {
            "s": {"service_time": fixed_15m},
            "t": {"service_time": {"dist": "empirical", "samples": ["5m", "10m", "15m"]}},
        },
        "segments": {
            "a": {"share": 0.5, "priority": 0, "patience": fixed_15m, "balk_if_queue_over": 3},
            "b": {"share": 0.5, "priority": 1},
        },
        "arrivals": {
            "mix": {"s": 0.5, "t": 0.5},
            "rate_per_hour": 40,
            "appointments": {"share": 0.6, "slot": "15m", "punctuality": "0s", "priority": 0},
        },
        "counters": [
            {"id": "A", "count": {"09:00": 2, "10:00": 3, "11:00": 1}, "services": ["s", "t"]}
        ],
        "closing": closing,
        "no_show_delay": no_show_delay,
    }
    return scenario_from_dict(spec)


@pytest.mark.parametrize("closing", ["serve_all", "turn_away"])
@pytest.mark.parametrize("no_show_delay", ["0s", "15m"])
def test_ties_fall_the_same_way(no_show_delay: str, closing: str) -> None:
    scn = ties(no_show_delay, closing)
    tied = 0
    for seed in range(6):
        batched, _ = both(scn, seed)
        arrived = np.array(batched.arr[: batched.n_real])
        tied += np.intersect1d(arrived, np.array(batched.ended)).size
    assert tied >= 10  # the case is what it claims: arrivals at the instant a service ends


def test_a_resumed_run_with_probes_stops_at_the_same_point() -> None:
    scn = ties("0s", "serve_all")
    windows = tuple(inst.windows for inst in _Hall(scn, draw_demand(scn, 1, 0)).instances)
    now_s = 10 * 3600.0
    for seed in range(4):
        demand = draw_demand(scn, seed, 0)
        present = int(np.searchsorted(demand.arrival_s, now_s))
        later = demand.arrival_s[present:]
        probe_at = (now_s, now_s + 900.0, float(later[len(later) // 2]))  # one on an arrival
        probes = tuple((t, 0, 1) for t in probe_at)
        for to_end in (False, True):
            resume = Resume(now_s, present, ((0, 0, 300.0),), windows, probes, to_end)
            batched, single = both(scn, seed, resume)
            assert batched.called[batched.n_real :] == single.called[single.n_real :]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=days(), seed=st.integers(0, 2**32 - 1))
def test_random_days_are_the_same(spec: dict[str, Any], seed: int) -> None:
    both(scenario_from_dict(spec), seed)
