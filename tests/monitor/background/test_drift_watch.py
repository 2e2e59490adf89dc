"""The drift loop's references: computed once per model version and day plan
for a hall, and once for all the halls whose day is the same model but for
the hall's id, name and time zone; each hall's reference is what computing it
for that hall alone gives. Checked on a real monitor with the real
computation in a thread pool that counts the references it is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from monitor.background.drift import DriftWatch, _reference_job, reference_key
from monitor.background.usage import PoolUsage
from monitor.core.config import load_settings
from monitor.core.localdays import next_day
from monitor.core.monitor import Monitor
from sim.eventlog.events import Event
from sim.live.drift import drift_reference
from sim.live.forecast import forecast_key
from sim.model.days import day_scenario
from sim.model.scenario import load_scenario
from sim.model.scenario_io import write_scenario
from tests.monitor.conftest import DAY, ROOT, write_config

TOKENS = {"T_A": "county-a-token", "T_B": "county-b-token", "T_F": "flagship-token"}


class CountingPool(ThreadPoolExecutor):
    """A thread pool that counts the drift references it is sent."""

    def __init__(self) -> None:
        super().__init__(2)
        self.references = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        # a job is sent as is or under the pool's CPU count (fn(job, *its args))
        if _reference_job in (fn, *args[:1]):
            self.references += 1
        return super().submit(fn, *args, **kwargs)


def province(tmp_path: Path, days: dict[str, list[Event]]) -> Monitor:
    """Two county halls of one model but for their ids and time zones (both
    UTC+8 all year), and the flagship, with ``days[kind]`` applied."""
    county = load_scenario(ROOT / "scenarios/county.yaml")
    twin = county.model_copy(
        update={"hall": "county_b", "name": "另一县城", "timezone": "Asia/Hong_Kong"}
    )
    write_scenario(twin, tmp_path / "county_b.yaml")
    halls = f"""\
  - {{id: county_a, scenario: {ROOT / "scenarios/county.yaml"}, token_env: T_A}}
  - {{id: county_b, scenario: {tmp_path / "county_b.yaml"}, token_env: T_B}}
  - {{id: flagship, scenario: {ROOT / "scenarios/flagship.yaml"}, token_env: T_F}}"""
    config = write_config(tmp_path, extra="drift: {every: 60s}", halls=halls)
    m = Monitor(load_settings(config, environ=TOKENS))
    m.open()
    for hall_id in m.hall_ids():
        day = days["flagship" if hall_id == "flagship" else "county"]
        m.ingest(m.hall(hall_id), [e.model_copy(update={"hall": hall_id}) for e in day])
    return m


@pytest.fixture
def mornings(
    tmp_path: Path, county_day: list[Event], flagship_day: list[Event]
) -> Iterator[Monitor]:
    """Every hall open: its morning applied."""
    days = {"county": county_day, "flagship": flagship_day}
    m = province(tmp_path, {k: [e for e in v if e.ts.hour < 11] for k, v in days.items()})
    yield m
    m.close()


@pytest.fixture
def evenings(
    tmp_path: Path, county_day: list[Event], flagship_day: list[Event]
) -> Iterator[Monitor]:
    """Every hall closed: its whole day applied."""
    m = province(tmp_path, {"county": county_day, "flagship": flagship_day})
    yield m
    m.close()


def test_halls_of_one_model_share_one_reference_each_with_its_own_scenario(
    mornings: Monitor,
) -> None:
    monitor = mornings
    usage = PoolUsage()
    with CountingPool() as pool:
        watch = DriftWatch(monitor, lambda: pool, usage)
        assert asyncio.run(watch.refresh()) == 3  # every hall tested
        assert pool.references == 2  # one for the two county halls, one for the flagship
        assert asyncio.run(watch.refresh()) == 3
        assert pool.references == 2  # held: none computed again
    assert usage.jobs["drift"] == 2 and usage.cpu_s["drift"] > 0  # on /metrics

    alpha = monitor.settings.drift.false_alarm
    for hall_id in ("county_a", "county_b", "flagship"):
        (held,) = watch._references[hall_id].values()
        one_day = day_scenario(monitor.model(hall_id).scenario, DAY)
        assert one_day is not None
        assert held.scenario == one_day  # the hall's own (its id and zone), not a twin's
        assert held == drift_reference(one_day, alpha)  # what it alone would compute


def test_reference_key_reads_the_model_not_the_names() -> None:
    county = load_scenario(ROOT / "scenarios/county.yaml")
    day = date(2026, 3, 2)
    base = day_scenario(county, day)
    renamed = day_scenario(
        county.model_copy(update={"hall": "x", "name": "X", "timezone": "Europe/Paris"}), day
    )
    busier = day_scenario(
        county.model_copy(
            update={"arrivals": county.arrivals.model_copy(update={"day_noise_cv": 0.3})}
        ),
        day,
    )
    assert base is not None and renamed is not None and busier is not None
    assert reference_key(renamed) == reference_key(base)
    assert reference_key(busier) != reference_key(base)


def test_a_closed_hall_gets_the_references_of_its_day_and_the_next_ahead(
    evenings: Monitor,
) -> None:
    monitor = evenings
    wanted: dict[str, list[tuple[tuple[int, str], str]]] = {}
    for hall_id in monitor.hall_ids():
        now_s = monitor.now_s(hall_id)
        assert not monitor.is_open(hall_id, now_s)
        day = monitor.local_day(hall_id, now_s)
        model = monitor.model(hall_id)
        for one in (day, next_day(day)):
            one_day = day_scenario(model.scenario, date.fromisoformat(one))
            assert one_day is not None
            key = (model.version, forecast_key(model.scenario, one))
            wanted.setdefault(hall_id, []).append((key, reference_key(one_day)))
    distinct = {ref for pairs in wanted.values() for _, ref in pairs}
    with CountingPool() as pool:
        watch = DriftWatch(monitor, lambda: pool)
        assert asyncio.run(watch.refresh()) == 0  # none open: none tested
        assert pool.references == len(distinct)
        for hall_id, pairs in wanted.items():
            assert set(watch._references[hall_id]) == {key for key, _ in pairs}
        assert asyncio.run(watch.refresh()) == 0
        assert pool.references == len(distinct)  # held: none computed again
