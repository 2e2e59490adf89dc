"""Weekday effects read from a log (:mod:`sim.calibration.weekdays`): on a
hall whose truth has busier Mondays, short Saturdays and closed Sundays the fit
finds each; on a hall whose days are alike it finds nothing; the level test
keeps its false-positive rate on days that differ only by noise; sparse tables
are merged before the chi-square test."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sim.calibration.fit import collect, fit_log
from sim.calibration.weekdays import ALPHA_LEVEL, WeekFit, _merged_columns, fit_week, level_test
from sim.eventlog.convert import calendar_days, day_events
from sim.model.scenario import Scenario, load_scenario
from tests.monitor.conftest import ROOT

TRUTH = ROOT / "tests/monitor/background/halls/truth.yaml"


def fitted_week(scn: Scenario, days: int, seed: int = 7) -> WeekFit:
    log = collect(
        e
        for day, one, records in calendar_days(scn, days, date(2026, 3, 2), seed)
        for e in day_events(records, one, day, "no_show")
    )
    return fit_week(log, fit_log(log).arrivals)


@pytest.mark.statistical
def test_a_hall_s_week_is_found() -> None:
    week = fitted_week(load_scenario(TRUTH), 28)
    assert week.closed == ("sun",)
    assert week.tests["level"].significant
    assert not week.tests["mix"].significant and not week.tests["profile"].significant
    plans = week.plans
    assert (plans["sat"]["open"], plans["sat"]["close"]) == ("10:00", "16:00")
    # Mondays 1.25 against 1 on Tuesday to Friday: relative to the mean of the five
    assert plans["mon"]["level"] == pytest.approx(1.25 / 1.05, rel=0.06)
    assert all(plans[d]["level"] == pytest.approx(1 / 1.05, rel=0.06) for d in ("tue", "fri"))
    assert plans["sat"]["level"] == pytest.approx(0.8 / 1.05, rel=0.1)
    assert week.day_noise_cv == pytest.approx(0.05, abs=0.04)
    block = week.week()
    assert block is not None and block["sun"] == "closed"


@pytest.mark.statistical
def test_a_hall_whose_days_are_alike_has_no_week() -> None:
    alike = load_scenario(TRUTH).model_copy(update={"week": None})
    assert fitted_week(alike, 21).week() is None


@pytest.mark.statistical
def test_the_level_test_keeps_its_false_positive_rate() -> None:
    """Daily totals that differ only by over-dispersed noise (gamma-Poisson, cv
    0.1, five weekdays of four days): the quasi-Poisson F test rejects on at
    most its level plus the binomial 99.9% margin of 1,000 tries."""
    rng = np.random.default_rng(5)
    tries, rejected = 1000, 0
    weekday = np.repeat(np.arange(5), 4)
    for _ in range(tries):
        totals = rng.poisson(1000 * rng.gamma(100.0, 0.01, size=20)).astype(float)
        rejected += level_test(totals, weekday).significant
    from scipy import stats

    assert rejected <= stats.binom.ppf(0.999, tries, ALPHA_LEVEL)
    assert rejected >= stats.binom.ppf(0.001, tries, ALPHA_LEVEL)  # not blind either


def test_sparse_columns_are_merged_with_their_neighbours() -> None:
    table = np.array([[10.0, 1.0, 0.0, 1.0, 30.0], [12.0, 0.0, 1.0, 2.0, 28.0]])
    merged = _merged_columns(table)
    assert merged.sum() == table.sum()
    expected = merged.sum(axis=0)[None, :] * merged.sum(axis=1)[:, None] / merged.sum()
    assert expected.min() >= 5.0
