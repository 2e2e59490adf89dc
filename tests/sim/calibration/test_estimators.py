"""The estimators behind ``hallsim fit`` on data with a known answer (issue 13):
counter speeds when a faster group serves only some services, shifts and
breaks from counters that close after their last customer, fixed service
times, how give-ups were logged, the nonparametric patience curve and the
parametric families when give-ups are many, few or none."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import integrate, stats

from sim.calibration import logmode
from sim.calibration.patience import Observations, fit_patience
from sim.calibration.service import fit_service_time
from sim.calibration.speeds import fit_speeds, relative_to
from sim.calibration.staffing import group_staffing, scheduled_close
from sim.calibration.survival import current_status, kaplan_meier
from sim.model.families import gamma_shape_scale, lognormal_mu_sigma
from tests.sim.calibration.recovery import assert_near_the_middle

# -- speeds -------------------------------------------------------------------------


def _durations(seed: int, n: int = 40000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Three services, four counters; counter 3 (speed 1.3) serves only the
    short service, as the faster group of the issue's halls did."""
    rng = np.random.default_rng(seed)
    speeds = np.array([1.0, 1.0, 1.0, 1.3])
    means = np.array([300.0, 900.0, 120.0])
    ctr = rng.integers(0, 4, n)
    svc = np.where(ctr == 3, 2, rng.integers(0, 3, n))
    mu, sigma = lognormal_mu_sigma(1.0, 0.8)
    work = means[svc] * rng.lognormal(mu, sigma, n)
    return work / speeds[ctr], svc, ctr, speeds


def _two_round_ratio(d: np.ndarray, svc: np.ndarray, ctr: np.ndarray) -> np.ndarray:
    """The estimator the fit used before issue 13: a ratio of totals, two rounds."""
    speed = np.ones(4)
    for _ in range(2):
        means = np.bincount(svc, weights=d * speed[ctr]) / np.bincount(svc)
        speed = np.bincount(ctr, weights=means[svc]) / np.bincount(ctr, weights=d)
    return speed


def test_speeds_of_a_group_serving_only_some_services_are_unbiased() -> None:
    d, svc, ctr, truth = _durations(1)
    old = _two_round_ratio(d, svc, ctr)
    assert old[3] / old[0] < 0.97 * 1.3  # the failure: the fast counter comes out slow
    fit = fit_speeds(d, svc, ctr, 3, 4, reference=0)
    for k in range(1, 4):
        lo, hi = fit.ci95[k]
        assert lo <= truth[k] <= hi, k
        assert fit.speed[k] == pytest.approx(truth[k], rel=0.03), k
    assert fit.speed[0] == 1.0  # the reference


def test_speed_cis_cover_the_truth_at_the_nominal_rate() -> None:
    covered: Counter[bool] = Counter()
    for seed in range(40):
        d, svc, ctr, truth = _durations(100 + seed, n=3000)
        fit = fit_speeds(d, svc, ctr, 3, 4, reference=0)
        for k in range(1, 4):
            covered[fit.ci95[k, 0] <= truth[k] <= fit.ci95[k, 1]] += 1
    assert covered[True] / 120 >= 0.88  # 95% nominal; 60% would give about 72 of 120


def test_speeds_relative_to_a_group_and_unconnected_counters() -> None:
    d, svc, ctr, _ = _durations(2)
    fit = fit_speeds(d, svc, ctr, 3, 4)
    speed, ci = relative_to(fit, [0, 1])  # the group of counters 0 and 1, speed 1
    assert speed[3] == pytest.approx(1.3, rel=0.03) and ci[3, 0] < 1.3 < ci[3, 1]
    # a counter serving a service nobody else serves is not comparable
    d2 = np.append(d, [100.0, 110.0])
    svc2, ctr2 = np.append(svc, [3, 3]), np.append(ctr, [4, 4])
    alone = fit_speeds(d2, svc2, ctr2, 4, 5)
    assert alone.speed[4] == 1.0 and np.isnan(alone.ci95[4]).all()


# -- staffing -------------------------------------------------------------------------


def test_a_counter_busy_at_its_scheduled_close_is_put_back_at_that_time() -> None:
    seen = Counter({43200: 5})  # closed idle at 12:00:00 on other days
    assert scheduled_close(43200.0, None, seen, 900.0) == 43200.0
    assert scheduled_close(43512.3, 43100.0, seen, 900.0) == 43200.0  # seen before
    assert scheduled_close(60312.3, 59900.0, Counter(), 900.0) == 60300.0  # 16:45 grid
    assert scheduled_close(60395.0, 60330.0, Counter(), 900.0) == 60360.0  # a whole minute
    # neither inside the service in progress: the close itself
    assert scheduled_close(60330.5, 60321.0, Counter(), 900.0) == 60330.5


def test_shifts_and_breaks_come_back_as_the_scenario_writes_them() -> None:
    """A counter with a 12:00–12:30 break and a shift ending 18:00, busy at both
    ends on most days: the old fit read this as 12:15 and 18:15."""
    rng = np.random.default_rng(4)
    spans = []
    for day in range(30):
        busy = rng.random(2) < 0.8
        over = rng.uniform(10, 600, 2)
        for start, end, b, extra in ((9 * 3600.0, 12 * 3600.0, busy[0], over[0]),
                                     (12.5 * 3600, 18 * 3600.0, busy[1], over[1])):  # fmt: skip
            close = end + extra if b else end
            spans.append(
                (day, start, close, close - rng.uniform(extra + 1, extra + 900) if b else None)
            )
    steps = group_staffing(spans, 30, 9 * 3600.0, 21 * 3600.0, 900.0)
    assert steps == ((9 * 3600.0, 1), (12 * 3600.0, 0), (12.5 * 3600, 1), (18 * 3600.0, 0))


# -- fixed service ------------------------------------------------------------------------


def test_fixed_service_times_are_fixed_not_empirical() -> None:
    rng = np.random.default_rng(5)
    durations = 240.0 * (1 + rng.normal(0, 1e-4, 500))  # speed estimates' leftover spread
    fit = fit_service_time("check", durations)
    assert fit.chosen == "fixed" and fit.distribution().dist == "fixed"
    assert fit.distribution().mean == pytest.approx(240.0, abs=0.01)
    varied = fit_service_time("talk", rng.gamma(25.0, 240.0 / 25.0, 500))  # cv 0.2
    assert varied.chosen != "fixed"


# -- how give-ups were logged -------------------------------------------------------------


def test_exact_or_no_show_is_read_from_the_log() -> None:
    day = np.zeros(5, dtype=np.int64)
    issued = np.array([100.0, 200.0, 300.0, 400.0, 500.0])
    called = np.array([150.0, np.nan, 350.0, np.nan, np.nan])
    last = np.array([2000.0])
    # a no_show log: the two never-called tickets are closed out at the day's last event
    closed_at_end = np.array([np.nan, 2000.0, np.nan, 2000.0, np.nan])
    closed = logmode.closed_out(day, issued, called, closed_at_end, last)
    assert closed.tolist() == [False, True, False, True, False]
    assert logmode.detect(issued, called, closed_at_end, closed) == "no_show"
    # an exact log, zero delay, cancelled tickets never called: the old rule said no_show
    given_up = np.array([np.nan, 260.7, np.nan, 431.2, np.nan])
    closed = logmode.closed_out(day, issued, called, given_up, last)
    assert not closed.any()
    assert logmode.detect(issued, called, given_up, closed) == "exact"
    # one give-up logged before its ticket's call is exact too
    before = np.array([np.nan, np.nan, 340.0, np.nan, np.nan])
    assert logmode.detect(issued, called, before, np.zeros(5, dtype=bool)) == "exact"
    # a turn_away close-out at a whole minute, shared or not, is no evidence
    at_close = np.array([np.nan, np.nan, np.nan, np.nan, 64800.0])
    closed = logmode.closed_out(day, issued, called, at_close, np.array([65000.0]))
    assert closed.tolist() == [False, False, False, False, True]


# -- the nonparametric curve --------------------------------------------------------------


def test_kaplan_meier_restricted_mean_and_survival_match_the_truth() -> None:
    rng = np.random.default_rng(6)
    truth = stats.lognorm(0.6, scale=600.0)
    patience, wait = truth.rvs(3000, random_state=rng), rng.exponential(500.0, 3000)
    gone = patience <= wait
    km = kaplan_meier(np.where(gone, patience, wait), gone, wait)
    tau = km.known_until_s
    assert tau == pytest.approx(np.quantile(wait, 0.95))
    rmst = integrate.quad(truth.sf, 0, tau)[0]
    assert km.restricted_mean_ci95_s[0] <= rmst <= km.restricted_mean_ci95_s[1]
    assert km.survival_ci95[0] <= truth.sf(tau) <= km.survival_ci95[1]
    assert km.mean_lower_bound_s <= truth.mean()


def test_current_status_npmle_is_the_isotonic_regression_of_gone_on_wait() -> None:
    waits = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    gone = np.array([0, 1, 0, 0, 1, 1], dtype=bool)
    cs = current_status(waits, gone)
    # PAVA pools 20 s and 30 s (1, 0) and then 40 s: 1/3 each; S = 1 - F
    (t0, s0), (t1, s1), (t2, s2) = cs.curve
    assert (t0, s0, t1, t2, s2) == (0.0, 1.0, 20.0, 50.0, 0.0)
    assert s1 == pytest.approx(2 / 3)


def test_current_status_cis_on_a_known_curve() -> None:
    rng = np.random.default_rng(7)
    truth = stats.gamma(2.0, scale=400.0)
    patience, wait = truth.rvs(4000, random_state=rng), rng.exponential(500.0, 4000)
    cs = current_status(wait, patience <= wait)
    tau = cs.known_until_s
    rmst = integrate.quad(truth.sf, 0, tau)[0]
    assert cs.restricted_mean_s == pytest.approx(rmst, rel=0.03)
    assert cs.restricted_mean_ci95_s[0] <= rmst <= cs.restricted_mean_ci95_s[1]
    assert cs.survival_ci95[0] <= truth.sf(tau) <= cs.survival_ci95[1]


def test_nobody_gave_up_gives_a_lower_bound_not_never() -> None:
    wait = np.random.default_rng(8).exponential(120.0, 500)
    for s in (
        kaplan_meier(wait, np.zeros(500, dtype=bool), wait),
        current_status(wait, np.zeros(500, dtype=bool)),
    ):
        assert s.survival_at_tau == 1.0 and s.survival_ci95[1] == 1.0
        # about 25 calls at or past τ, none gone: Clopper–Pearson's 0.025^(1/25)
        assert s.survival_ci95[0] == pytest.approx(0.025 ** (1 / s.beyond))
        lo, hi = s.restricted_mean_ci95_s
        assert lo == pytest.approx(s.known_until_s * s.survival_ci95[0])
        assert hi == s.known_until_s
        assert s.mean_lower_bound_s == s.restricted_mean_ci95_s[0]
    fit = fit_patience("vip", Observations(np.array([]), wait, np.array([]), wait), False)
    assert fit.chosen is None and fit.distribution() is None and not fit.fits
    assert fit.mean_range_s == (fit.survival.mean_lower_bound_s, math.inf)


# -- the parametric families ---------------------------------------------------------------


def test_gamma_patience_is_fitted_as_gamma() -> None:
    """Gamma was not a candidate before issue 13: it came back lognormal, 7–65% high."""
    shape, scale = gamma_shape_scale(1200.0, 0.5)
    rng = np.random.default_rng(9)
    patience, wait = rng.gamma(shape, scale, 6000), rng.exponential(900.0, 6000)
    gone = patience <= wait
    for exact in (True, False):
        if exact:
            fit = fit_patience(
                "s", Observations(patience[gone], wait[~gone], np.array([]), wait), True
            )
        else:
            fit = fit_patience(
                "s", Observations(np.array([]), wait[~gone], wait[gone], wait), False
            )
        assert fit.identified and fit.chosen == "gamma" and fit.best_aic in ("gamma", "weibull")
        lo, hi = fit.best.mean_ci95_s
        assert lo <= 1200.0 <= hi
        assert fit.best.mean_s == pytest.approx(1200.0, rel=0.1)


@pytest.mark.parametrize("seed", range(4))
def test_few_give_ups_do_not_fall_back_to_the_most_extreme_family(seed: int) -> None:
    """Lognormal patience with a mean of 40 min, waits of a few minutes: a
    handful of give-ups. Exponential (constant hazard) makes the mean many
    times too long; the fit must say it does not know rather than pick it."""
    mu, sigma = lognormal_mu_sigma(2400.0, 0.4)
    rng = np.random.default_rng(10 + seed)
    patience, wait = rng.lognormal(mu, sigma, 3000), rng.exponential(300.0, 3000)
    gone = patience <= wait
    assert 3 <= gone.sum() <= 40
    fit = fit_patience("s", Observations(np.array([]), wait[~gone], wait[gone], wait), False)
    assert not fit.identified
    exponential = next(f for f in fit.fits if f.family == "exponential")
    assert exponential.mean_s > 5 * 2400.0  # the old fallback: many times too patient
    assert fit.chosen != "exponential"
    assert fit.chosen in {f.family for f in fit.plausible}
    assert_near_the_middle(fit)
    lo, hi = fit.mean_range_s
    assert lo <= 2400.0 <= hi
    assert fit.survival.mean_lower_bound_s <= 2400.0
