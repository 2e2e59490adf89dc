"""``hall_model_day_open`` (and ``open_today`` of ``/v1/halls/{hall}/model``):
whether the model in use opens the hall on its current local day. A model
whose week or holidays keep the hall closed today has no nowcast, forecast or
drift test for it, so ``HallNowcastStale`` must not page the city over the
missing nowcast (``HallModelClosed`` tells the model's owners instead)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.metrics_core import Metric

from monitor.api.learning import hall_model
from monitor.api.model_metrics import ModelCollector
from monitor.core.config import Settings
from monitor.core.models import ModelVersion
from monitor.core.monitor import Monitor
from sim.eventlog.events import Event


@pytest.fixture
def monitor(settings: Settings, county_day: list[Event]) -> Iterator[Monitor]:
    """The county hall (``clock: events``) at 11:00 of the test day, a Monday."""
    m = Monitor(settings)
    m.open()
    m.ingest(m.hall("county"), [e for e in county_day if e.ts.hour < 11])
    yield m
    m.close()


def day_open(monitor: Monitor) -> float:
    """The county's ``hall_model_day_open`` (the flagship, without events, is
    on the wall clock's day)."""
    (family,) = [f for f in ModelCollector(monitor).collect() if f.name == "hall_model_day_open"]
    return _by_hall(family)["county"]


def _by_hall(family: Metric) -> dict[str, float]:
    return {s.labels["hall"]: s.value for s in family.samples}


def _adopt(monitor: Monitor, extra_yaml: str) -> None:
    text = monitor.model("county").in_use.model.scenario_yaml + extra_yaml
    fitted = ModelVersion("county", 0, "fitted", 0.0, text, days=("2026-02-23",),
                          holdout=("2026-02-24",), scores={}, night="2026-03-01")  # fmt: skip
    monitor.record_model(fitted, adopt=True, detail="test")


def test_the_model_in_use_opens_the_hall_today(monitor: Monitor) -> None:
    assert monitor.local_day("county", monitor.now_s("county")) == "2026-03-02"
    assert day_open(monitor) == 1.0
    assert hall_model(monitor.hall("county"), monitor, limit=0).open_today


def test_a_model_whose_holidays_close_today_says_so(monitor: Monitor) -> None:
    _adopt(monitor, "holidays:\n  2026-03-02: closed\n")
    assert day_open(monitor) == 0.0
    assert monitor.is_open("county", monitor.now_s("county"))  # by its configured hours
    body = hall_model(monitor.hall("county"), monitor, limit=0)
    assert (body.version, body.open_today) == (2, False)


def test_a_model_whose_week_closes_another_day_keeps_it_open(monitor: Monitor) -> None:
    week = "".join(f"  {d}: {{}}\n" for d in ("mon", "tue", "wed", "thu", "fri", "sat"))
    _adopt(monitor, "week:\n" + week + "  sun: closed\n")
    assert day_open(monitor) == 1.0
