"""How staffing judges an interval: by arrival or by call (a thin interval
cannot borrow the next one's counters unnoticed), the probability of meeting
the target with its Wilson interval, and the evaluator's common random
numbers and sequential stages."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from sim.model.calendar import intervals
from sim.model.hall import simulate
from sim.model.kpis import replication_kpis
from sim.model.records import SERVED
from sim.model.scenario import Scenario, scenario_from_dict
from sim.model.summary import wilson_interval
from sim.planning.evaluate import Evaluator, ladder
from sim.planning.grid import apply_plan
from sim.planning.judge import IntervalOdds, MeetRule, called_service_levels
from sim.runs.executor import ProcessExecutor
from tests.sim.planning.test_staffing import SINGLE_GROUP


@pytest.fixture(scope="module")
def hall() -> Scenario:
    return scenario_from_dict(copy.deepcopy(SINGLE_GROUP) | {"interval": "15m"})


def test_both_judges_count_every_customer_once(hall: Scenario) -> None:
    """Over the day, judging by call moves customers between intervals but
    loses or adds none: the day's service level is the same."""
    for r in range(3):
        records = simulate(hall, 4, r)
        kpis = replication_kpis(records, hall)
        counter = (
            ~records.kiosk & (records.arrival_s >= hall.open) & (records.arrival_s < hall.close)
        )
        on_time = counter & (records.outcome == SERVED)
        on_time &= records.called_s - records.arrival_s <= hall.target.wait
        assert kpis.overall["service_level"] == pytest.approx(on_time.sum() / counter.sum())
        levels = called_service_levels(records, hall)
        assert len(levels) == len(intervals(hall))
        assert np.nanmin(levels) >= 0 and np.nanmax(levels) <= 1


def test_judged_by_call_the_interval_that_calls_late_answers_for_it(hall: Scenario) -> None:
    """Nine counters, one for 11:30-11:45, nine again: judged by arrival the
    thin quarter hour answers for its customers; judged by call, the quarter
    hour whose counters call them (late) does, and the thin one calls few."""
    spans = intervals(hall)
    thin = next(i for i, (start, _) in enumerate(spans) if start == 11.5 * 3600)
    counts = tuple(1 if i == thin else 9 for i in range(len(spans)))
    scn = apply_plan(hall, (0,), (counts,))
    by_arrival, by_call = [], []
    for r in range(30):
        records = simulate(scn, 9, r)
        by_arrival.append(
            [row["service_level"] for row in replication_kpis(records, scn).by_interval]
        )
        by_call.append(called_service_levels(records, scn))
    arrival, call = np.nanmean(by_arrival, axis=0), np.nanmean(by_call, axis=0)
    assert arrival[thin] < 0.7 < call[thin]
    assert call[thin + 1] < arrival[thin + 1] - 0.1
    assert abs(call[thin - 3] - arrival[thin - 3]) < 0.05  # far from the dip: alike


@pytest.mark.parametrize(("met", "days"), [(0, 10), (10, 10), (144, 160), (7, 20), (1, 3)])
def test_wilson_interval_is_scipys_and_stays_inside_zero_and_one(met: int, days: int) -> None:
    from scipy.stats import binomtest

    expected = binomtest(met, days).proportion_ci(method="wilson")
    lo, hi = wilson_interval(met, days)
    assert (lo, hi) == pytest.approx((expected.low, expected.high), abs=1e-12)
    assert 0.0 <= lo <= met / days <= hi <= 1.0
    assert (lo == 0.0) == (met == 0) and (hi == 1.0) == (met == days)


def test_wilson_interval_without_days() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_interval_odds_decide_clearly_or_by_the_estimate() -> None:
    assert IntervalOdds(40, 40).clear(0.9) and IntervalOdds(40, 40).meets(0.9)
    assert IntervalOdds(5, 10).clear(0.9) and not IntervalOdds(5, 10).meets(0.9)
    close = IntervalOdds(146, 160)  # 0.9125: the interval holds 0.9
    assert not close.clear(0.9) and close.meets(0.9)
    assert not IntervalOdds(142, 160).meets(0.9)
    assert math.isnan(IntervalOdds(0, 0).probability)


def test_the_ladder_ends_at_the_cap_whatever_the_start() -> None:
    assert ladder(20, 160) == (20, 40, 80, 160)
    assert ladder(10, 160) == (10, 20, 40, 80, 160)
    assert ladder(40, 160) == (40, 80, 160)
    assert ladder(30, 100) == (30, 40, 80, 100)
    assert ladder(50, 50) == (50,)


def test_the_evaluator_extends_replications_and_never_repeats_them(hall: Scenario) -> None:
    rule = MeetRule(0.8, 0.9)
    row = tuple([3] * len(intervals(hall)))
    serial = Evaluator(hall, (0,), rule, 5, (10, 20))
    (first,) = serial.run([(row,)], [lambda _: False])
    assert first.days == 10 and serial.days == 10
    (more,) = serial.run([(row,)], [lambda _: True])
    assert more.days == 20 and serial.days == 20  # the first 10 kept, 10 added
    np.testing.assert_array_equal(more.levels["arrival"][:10], first.levels["arrival"])
    # the same days whatever runs them, in whatever chunks
    pool = ProcessExecutor(2)
    try:
        (pooled,) = Evaluator(hall, (0,), rule, 5, (20,), pool).run([(row,)])
    finally:
        pool.close()
    for judge in ("arrival", "called"):
        np.testing.assert_array_equal(pooled.levels[judge], more.levels[judge])


def test_plans_are_compared_on_the_same_customers(hall: Scenario) -> None:
    """Replication r of every plan sees the same customers (common random
    numbers), so more counters never lower a day's service level much."""
    rule = MeetRule(0.8, 0.9)
    n = len(intervals(hall))
    ev = Evaluator(hall, (0,), rule, 2, (20,))
    low, high = ev.run([(tuple([2] * n),), (tuple([4] * n),)])
    assert low.levels["arrival"].shape == (20, n)
    assert (
        np.nan_to_num(high.levels["arrival"], nan=1)
        >= np.nan_to_num(low.levels["arrival"], nan=1) - 0.2
    ).all()
    assert ev.plans == 2 and ev.days == 40
