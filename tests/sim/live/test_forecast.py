"""The day forecast: against Erlang C on the stationary validation case, against
the scenario's own demand on the flagship day, against a direct per-customer
computation, and for seed and executor stability."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.live.forecast import (
    DayForecast,
    counter_services,
    forecast_day,
    forecast_intervals,
    reduce_replication,
)
from sim.model.calendar import step_value
from sim.model.hall import simulate
from sim.model.kpis import _StepIntegral
from sim.model.records import BALKED
from sim.model.scenario import Scenario, load_scenario
from sim.planning import erlang
from sim.runs.executor import ProcessExecutor, SerialExecutor

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def widen_to_99(half: float, n: int) -> float:
    """A 95% Student-t half width over ``n`` replications, widened to 99%."""
    return half * float(stats.t.ppf(0.995, n - 1) / stats.t.ppf(0.975, n - 1))


@pytest.fixture(scope="module")
def flagship() -> Scenario:
    return load_scenario(SCENARIOS / "flagship.yaml")


@pytest.fixture(scope="module")
def flagship_forecast(flagship: Scenario) -> DayForecast:
    return forecast_day(flagship, replications=20, seed=3)


def mmc_scenario(hours: float) -> Scenario:
    scn = load_scenario(SCENARIOS / "mmc-validation.yaml")
    assert scn.horizon is not None
    horizon = scn.horizon.model_copy(update={"duration": hours * 3600.0})
    return scn.model_copy(update={"horizon": horizon})


# -- theory ----------------------------------------------------------------------


@pytest.mark.slow
def test_stationary_forecast_matches_erlang_c() -> None:
    """M/M/10 at 90% load: arrivals, mean wait (Erlang C) and mean queue
    (Little: λ·Wq) inside the forecast's own interval, widened to 99%."""
    scn = mmc_scenario(40.0)
    assert scn.horizon is not None
    reps = 10
    fc = forecast_day(scn, replications=reps, seed=5)
    assert fc.intervals == ((scn.horizon.warmup, scn.end_s),)
    assert fc.services == ("any",)
    rate_per_s = 540.0 / 3600.0
    wait_s = erlang.erlang_c_wait_mean_s(10, rate_per_s, 60.0)
    expected = {
        "arrivals_per_hour": (540.0, fc.arrivals_per_hour, fc.arrivals_half),
        "wait_s": (wait_s, fc.wait_s, fc.wait_half_s),
        "queue": (rate_per_s * wait_s, fc.queue, fc.queue_half),
    }
    for what, (theory, mean, half) in expected.items():
        tolerance = widen_to_99(half[0][0], reps)
        assert abs(mean[0][0] - theory) <= tolerance, (
            f"{what}: forecast {mean[0][0]:.4g} ± {tolerance:.3g} vs theory {theory:.4g}"
        )
    assert fc.wait_n == ((reps,),)


def test_a_stationary_forecast_has_one_interval_after_warmup() -> None:
    scn = mmc_scenario(2.0)
    assert scn.horizon is not None
    (interval,) = forecast_intervals(scn)
    assert interval == (scn.horizon.warmup, scn.horizon.warmup + 2 * 3600.0)
    fc = forecast_day(scn, replications=2, seed=1)
    assert fc.at(scn.horizon.warmup - 1.0) == {}
    assert set(fc.at(scn.horizon.warmup)) == {"any"}


# -- demand ----------------------------------------------------------------------


def expected_tickets_per_hour(scn: Scenario, start_s: float, service: str) -> float:
    """The scenario's counter demand for ``service`` at ``start_s``: rate × scale
    × mix × the share that does not use a kiosk (no balking in this check)."""
    kiosk_share = sum(k.share for k in scn.kiosks if service in k.services)
    rate = step_value(scn.arrivals.rate_per_hour, start_s) * scn.arrivals.scale
    return rate * scn.arrivals.mix[service] * (1.0 - kiosk_share)


def test_flagship_arrivals_match_the_scenario_demand(
    flagship: Scenario, flagship_forecast: DayForecast
) -> None:
    """Per interval and service, the 95% CI covers the scenario's rate about 95%
    of the time (appointments shift a few customers across interval edges, so
    misses are binomial, about 10 of 192: at most 10% allowed; small counts make
    the t interval rough, so a single cell only fails beyond 5 half widths), and
    each service's day mean lies within its pooled interval."""
    fc = flagship_forecast
    assert fc.services == ("consult", "business", "after_sales", "payment")
    mean = np.array(fc.arrivals_per_hour)
    half = np.array(fc.arrivals_half)
    expected = np.array(
        [
            [expected_tickets_per_hour(flagship, s, name) for name in fc.services]
            for s, _ in fc.intervals
        ]
    )
    off = np.abs(mean - expected) / half
    assert np.count_nonzero(off > 1.0) <= 0.10 * off.size, off.round(2)
    assert off.max() <= 5.0, off.round(2)
    day_mean, day_expected = mean.mean(axis=0), expected.mean(axis=0)
    # half widths of a mean of correlated intervals: no wider than the mean half width
    day_half = half.mean(axis=0)
    assert np.all(np.abs(day_mean - day_expected) <= day_half), (day_mean, day_expected, day_half)


def test_payment_forecast_leaves_out_kiosk_users(flagship_forecast: DayForecast) -> None:
    """Payment: 25% of the mix, 60% of it at kiosks, so a tenth of all arrivals
    queue for a counter; business (35%, no kiosk) must see 3.5× as many."""
    day = np.array(flagship_forecast.arrivals_per_hour).sum(axis=0)
    services = flagship_forecast.services
    ratio = day[services.index("business")] / day[services.index("payment")]
    assert 3.0 < ratio < 4.1


# -- the reduction against a per-customer computation ----------------------------------


def test_reduction_matches_a_per_customer_count(flagship: Scenario) -> None:
    r = simulate(flagship, 7, 0)
    bounds = forecast_intervals(flagship)
    services = counter_services(flagship)
    red = reduce_replication(r, bounds, services)
    for i, (lo, hi) in enumerate(bounds):
        for j, name in enumerate(services):
            mine = (~r.kiosk) & (r.outcome != BALKED) & (r.service == r.services.index(name))
            issued = mine & (r.arrival_s >= lo) & (r.arrival_s < hi)
            assert red.arrivals_per_hour[i, j] == pytest.approx(issued.sum() / ((hi - lo) / 3600.0))
            called = issued & ~np.isnan(r.called_s)
            waits = r.called_s[called] - r.arrival_s[called]
            if len(waits):
                assert red.wait_s[i, j] == pytest.approx(waits.mean())
            else:
                assert math.isnan(red.wait_s[i, j])
            end = np.where(np.isnan(r.called_s), r.left_s, r.called_s)
            area = _StepIntegral(r.arrival_s[mine], end[mine]).integral(lo, hi)
            assert red.queue[i, j] == pytest.approx(area / (hi - lo), abs=1e-9)


def test_a_no_show_ticket_waits_until_it_is_called(flagship: Scenario) -> None:
    """The forecast queue counts tickets the system sees waiting: a no-show's
    ticket until the call, so it is never below the customers-present queue."""
    r = simulate(flagship, 7, 1)
    bounds = forecast_intervals(flagship)
    red = reduce_replication(r, bounds, counter_services(flagship))
    present_end = np.fmin(r.called_s, r.left_s)
    counter = ~r.kiosk
    present = _StepIntegral(r.arrival_s[counter], present_end[counter])
    for i, (lo, hi) in enumerate(bounds):
        assert red.queue[i].sum() >= present.integral(lo, hi) / (hi - lo) - 1e-9


# -- the read-out and JSON -----------------------------------------------------------


def test_at_gives_the_interval_holding_the_time(flagship_forecast: DayForecast) -> None:
    fc = flagship_forecast
    assert fc.at(9 * 3600.0 - 1.0) == {} and fc.at(21 * 3600.0) == {}
    point = fc.at(18 * 3600.0 + 600.0)  # 18:10 lies in 18:00-18:15
    i = fc.intervals.index((18 * 3600.0, 18 * 3600.0 + 900.0))
    j = fc.services.index("business")
    assert point["business"] == (fc.queue[i][j], fc.wait_s[i][j], fc.arrivals_per_hour[i][j])
    assert point["business"].arrivals_per_hour > 0


def test_json_is_plain_and_names_times_of_day(flagship_forecast: DayForecast) -> None:
    out = flagship_forecast.to_json()
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text) == out
    first = out["intervals"][0]
    assert (first["start"], first["end"], first["start_s"]) == ("09:00", "09:15", 32400.0)
    assert out["intervals"][-1]["end"] == "21:00"
    cell = first["services"]["business"]
    assert set(cell) == {"queue_length", "wait_s", "arrivals_per_hour"}
    assert set(cell["wait_s"]) == {"mean", "ci95_half_width", "n"}


def test_one_replication_has_no_interval(flagship: Scenario) -> None:
    fc = forecast_day(flagship, replications=1, seed=2)
    assert all(math.isnan(h) for row in fc.arrivals_half for h in row)
    assert (
        fc.to_json()["intervals"][20]["services"]["consult"]["arrivals_per_hour"]["ci95_half_width"]
        is None
    )


def test_at_least_one_replication(flagship: Scenario) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        forecast_day(flagship, replications=0)


# -- seed and executor stability -------------------------------------------------------


def test_same_seed_same_forecast_other_seed_other(flagship: Scenario) -> None:
    a = forecast_day(flagship, replications=4, seed=11).to_json()
    assert forecast_day(flagship, replications=4, seed=11).to_json() == a
    assert forecast_day(flagship, replications=4, seed=12).to_json() != a


def test_serial_and_process_executors_agree(flagship: Scenario) -> None:
    serial = forecast_day(flagship, replications=6, seed=4, executor=SerialExecutor())
    pool = ProcessExecutor(2)
    try:
        parallel = forecast_day(flagship, replications=6, seed=4, executor=pool)
    finally:
        pool.close()
    assert parallel.to_json() == serial.to_json()
