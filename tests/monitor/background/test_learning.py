"""The nightly learning of a hall's model (:mod:`monitor.background.learn`),
driven by hand on a monitor in this process: a hall learns only after enough
days, its night's candidate replaces a wrong model when the back-test says it
is better, versions survive a restart (and a night is not fitted twice), a fit
that fails is recorded and counted while the model in use stays, and a
rollback by ops is taken at the next check. The served exporter, its /model
and metrics: :mod:`tests.monitor.background.test_learning_served`."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.background.learn import due_night, split_days
from monitor.core.config import Settings, load_settings
from monitor.core.models import ModelRegistry
from monitor.core.monitor import Monitor
from sim.eventlog.events import Event
from sim.live.demandlevel import expected_tickets
from sim.model.days import day_scenario
from tests.monitor.background.learning import (
    ENV,
    MONDAY,
    hall_days,
    learning_config,
    night,
    post,
    truth,
)


@pytest.fixture(scope="module")
def days() -> list[tuple[object, list[Event]]]:
    """Eight open days of the known hall, Monday 2 to Tuesday 10 March (closed Sunday)."""
    return list(hall_days(truth(), 9))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(learning_config(tmp_path), environ=ENV)


@pytest.fixture
def monitor(settings: Settings) -> Iterator[Monitor]:
    m = Monitor(settings)
    m.open()
    yield m
    m.close()


def test_a_night_is_due_after_its_next_day_s_learning_time() -> None:
    from datetime import datetime

    at = 3 * 3600 + 600
    assert due_night(datetime(2026, 3, 10, 3, 9), at).isoformat() == "2026-03-08"
    assert due_night(datetime(2026, 3, 10, 3, 10), at).isoformat() == "2026-03-09"
    days = [MONDAY + timedelta(days=i) for i in range(28)]
    assert split_days(days, 7) == (days[:21], days[21:])
    assert split_days(days[:7], 7) == (days[:6], days[6:7])  # at most a quarter, at least 1


def test_a_hall_learns_once_it_has_enough_days(
    monitor: Monitor, days: list[tuple[object, list[Event]]], settings: Settings
) -> None:
    for _, events in days[:3]:
        post(monitor, events)
    assert night(monitor) == 0
    status = monitor.learning("learner")
    assert status is not None and (status.days, status.needed) == (2, 7)  # the night before day 3
    assert monitor.model("learner").in_use.model.source == "configured"

    for _, events in days[3:]:
        post(monitor, events)
    assert night(monitor) == 1  # the night of Monday 9 March: 7 days with events
    model = monitor.model("learner")
    version = model.in_use.model
    assert (version.version, version.source, version.night) == (2, "fitted", "2026-03-09")
    assert version.days[0] == MONDAY.isoformat() and len(version.days) == 6
    assert version.holdout == ("2026-03-09",)
    candidate, replaced = version.scores["candidate"], version.scores["current"]
    assert candidate["arrivals_wmape"] < replaced["arrivals_wmape"]
    assert candidate["total"] < replaced["total"]
    change = monitor.model_changes("learner")[0]
    assert change.action == "adopted" and change.detail.startswith("better than the model in use")
    # what the log cannot tell stays as configured; demand and service come from the log
    configured = monitor.hall("learner").scenario
    learned = model.scenario
    assert learned.counters == tuple(
        g.model_copy(update={"speed": learned.counters[i].speed})
        for i, g in enumerate(configured.counters)
    )
    assert (learned.open, learned.close, learned.target) == (
        configured.open,
        configured.close,
        configured.target,
    )
    assert learned.week is not None and learned.week.sun.closed
    tuesday = MONDAY + timedelta(days=8)
    seen, known = (day_scenario(s, tuesday) for s in (learned, truth()))
    assert seen is not None and known is not None
    ratio = expected_tickets(seen, seen.close) / expected_tickets(known, known.close)
    assert 0.85 < ratio < 1.15, ratio  # the configured model had 40% too few
    assert abs(learned.services["business"].service_time.mean_s - 420.0) < 0.1 * 420.0

    # the same night again does nothing; after a restart neither
    assert night(monitor) == 0
    monitor.close()
    again = Monitor(settings)
    again.open()
    try:
        assert again.model("learner").in_use.model.version == 2
        assert night(again) == 0
    finally:
        again.close()
        monitor.open()  # for the fixture's close


def test_a_failed_fit_is_recorded_and_the_model_stays(
    monitor: Monitor, days: list[tuple[object, list[Event]]]
) -> None:
    issued_only = [e for _, events in days for e in events if e.kind == "ticket_issued"]
    post(monitor, issued_only)  # nobody is ever served: no service time to fit
    assert night(monitor) == 1
    assert monitor.model("learner").in_use.model.version == 1
    change = monitor.model_changes("learner")[0]
    assert change.action == "failed" and "no ticket was served" in change.detail
    assert change.hall_time_s is not None and math.isfinite(change.hall_time_s)
    assert monitor.view("learner").failures["learn"] == 1


def test_a_rollback_by_ops_is_taken_at_the_next_check(
    monitor: Monitor, days: list[tuple[object, list[Event]]], settings: Settings
) -> None:
    for _, events in days:
        post(monitor, events)
    assert night(monitor) == 1
    assert monitor.model("learner").version == 2
    ops = ModelRegistry(settings.store, create=False)
    ops.rollback("learner")
    ops.close()
    assert night(monitor) == 0
    in_use = monitor.model("learner").in_use
    assert (in_use.model.version, in_use.pinned) == (1, True)
    assert monitor.model("learner").scenario == monitor.hall("learner").scenario
