"""Today's queue per interval and the wait percentiles (monitor.core.today): by
hand on a few tickets, and on the forecast's own terms for a simulated day."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from monitor.core.batches import to_rows
from monitor.core.config import Settings
from monitor.core.snapshot import TicketSpan
from monitor.core.state import HallState
from monitor.core.today import interval_actuals, wait_quantiles
from sim.eventlog.convert import day_events
from sim.eventlog.events import AbandonEvents
from sim.live.forecast import counter_services, forecast_intervals, reduce_replication
from sim.model.hall import simulate
from tests.monitor.conftest import DAY


def test_intervals_by_hand() -> None:
    spans = [
        TicketSpan("a", 100.0, 400.0, None),  # waits 300 s in the first interval
        TicketSpan("a", 500.0, None, None),  # still waiting at now = 900
        TicketSpan("a", 700.0, None, 800.0),  # gave up after 100 s
        TicketSpan("b", 550.0, 650.0, None),  # crosses into the second interval
    ]
    got = interval_actuals(
        spans, ["a", "b"], [(0.0, 600.0), (600.0, 1200.0), (1200.0, 1800.0)], 900.0
    )
    assert len(got) == 2  # the third has not begun
    first, second = got
    assert first["a"].queue == pytest.approx((300 + 100) / 600)
    assert (first["a"].issued, first["a"].called, first["a"].wait_mean_s) == (2, 1, 300.0)
    assert first["b"].queue == pytest.approx(50 / 600)
    assert second["a"].queue == pytest.approx((300 + 100) / 300)  # over the 300 s elapsed
    assert (second["a"].issued, second["a"].called, second["a"].wait_mean_s) == (1, 0, None)
    assert second["b"].queue == pytest.approx(50 / 300)
    assert (second["b"].issued, second["b"].called) == (0, 0)


def test_an_unknown_service_is_listed_after_the_known_ones() -> None:
    spans = [TicketSpan("<script>", 10.0, 20.0, None)]
    got = interval_actuals(spans, ["a"], [(0.0, 600.0)], 600.0)
    assert list(got[0]) == ["a", "<script>"]
    assert got[0]["<script>"].issued == 1


def test_nearest_rank_percentiles() -> None:
    spans = [TicketSpan("a", 0.0, float(w), None) for w in range(1, 11)]
    spans.append(TicketSpan("b", 0.0, 100.0, None))
    spans.append(TicketSpan("b", 0.0, None, None))  # not called: no wait yet
    q = wait_quantiles(spans)
    assert q["a"].n == 10
    assert q["a"].quantiles_s == {"p50": 5.0, "p90": 9.0, "p95": 10.0}
    assert q["a"].max_s == 10.0
    assert q["b"].n == 1 and q["b"].quantiles_s["p50"] == 100.0
    assert q["*"].n == 11 and q["*"].max_s == 100.0
    assert wait_quantiles([]) == {}


def test_a_simulated_day_on_the_forecasts_terms(settings: Settings) -> None:
    """The live history of a day's events, logged as a real ticket system logs
    them (a give-up seen only as a no-show when called), equals what the
    forecast computes from the same day's records: actual and forecast compare
    on equal terms. (A system that logs give-ups as they happen ends those
    tickets' waits there, in the live queue and its history alike.)"""
    mode: AbandonEvents = "no_show"
    hall = settings.halls[1]  # flagship: kiosks, VIPs, no-shows
    scn = hall.scenario
    records = simulate(scn, 7, 0)
    state = HallState(hall)
    state.apply(to_rows(day_events(records, scn, DAY, mode), state.days))
    end = datetime.combine(DAY, time(23, 59), state.zone).timestamp()
    live = state.snapshot(end, tickets=True)
    midnight = datetime.combine(DAY, time(0), state.zone).timestamp()
    bounds = forecast_intervals(scn)
    services = counter_services(scn)
    got = interval_actuals(
        live.tickets, services, [(midnight + lo, midnight + hi) for lo, hi in bounds], end
    )
    want = reduce_replication(records, bounds, services)
    # events carry times to the microsecond: each wait is off by at most 2 µs
    for i in range(len(bounds)):
        for j, svc in enumerate(services):
            assert got[i][svc].queue == pytest.approx(want.queue[i, j], abs=1e-6)
            hours = (bounds[i][1] - bounds[i][0]) / 3600
            assert got[i][svc].issued == pytest.approx(want.arrivals_per_hour[i, j] * hours)
            mean = got[i][svc].wait_mean_s
            assert (mean is None) == (want.wait_s[i, j] != want.wait_s[i, j])  # NaN
            if mean is not None:
                assert mean == pytest.approx(want.wait_s[i, j], abs=2e-6)
