"""One hall whose forecast or nowcast always fails must not starve the others:
each hall's failure is logged, counted in ``hallmon_background_failures_total``
and isolated. The failing hall is a real one whose scenario lost its services
(built around validation), so the real simulation job raises."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import CollectorRegistry

from monitor.api.collector import HallCollector
from monitor.background.loops import Background
from monitor.core.config import Settings, token_hash
from monitor.core.monitor import Monitor
from sim.eventlog.events import Event


@pytest.fixture
def monitor(settings: Settings, county_day: list[Event]) -> Iterator[Monitor]:
    """County, flagship and, first in line, a broken copy of county; every hall
    open (its events up to 11:00 applied)."""
    county = settings.halls[0]
    broken = county.model_copy(
        update={
            "id": "broken",
            "scenario": county.scenario.model_copy(update={"services": {}}),
            "token_sha256": token_hash("broken-token"),
        }
    )
    tuned = settings.model_copy(
        update={
            "halls": (broken, *settings.halls),
            "forecast": settings.forecast.model_copy(update={"replications": 2}),
            "nowcast": settings.nowcast.model_copy(update={"every": 60.0, "replications": 2}),
        }
    )
    m = Monitor(tuned)
    m.open()
    morning = [e for e in county_day if e.ts.hour < 11]
    for hall in m.halls():
        m.ingest(hall, [e.model_copy(update={"hall": hall.id}) for e in morning])
    yield m
    m.close()


def _failures(m: Monitor) -> dict[tuple[str, str], float | None]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HallCollector(m.views))
    return {
        (hall, job): registry.get_sample_value(
            "hallmon_background_failures_total", {"hall": hall, "task": job}
        )
        for hall in m.hall_ids()
        for job in ("forecast", "nowcast")
    }


def test_a_failing_hall_does_not_starve_the_others(
    monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    async def two_rounds() -> tuple[int, int]:
        with ThreadPoolExecutor(2) as pool:
            workers = Background(monitor, pool)
            forecasts = await workers.refresh_forecasts()
            nowcasts = await workers.refresh_nowcasts()
            await workers.refresh_forecasts()  # the broken hall is due again, and fails again
            return forecasts, nowcasts

    with caplog.at_level(logging.ERROR, logger="hallmon"):
        forecasts, nowcasts = asyncio.run(two_rounds())
    # done: county (one forecast serves today and tomorrow: every day is alike)
    # and flagship (a Monday and a Tuesday, whose plans differ), and their nowcasts
    assert (forecasts, nowcasts) == (3, 2)
    published = {h for h in monitor.hall_ids() if monitor.held_forecasts(h)}
    assert published == {"county", "flagship"}
    assert {v.info.id for v in monitor.views() if v.nowcast} == {"county", "flagship"}
    assert _failures(monitor) == {
        ("broken", "forecast"): 2.0,
        ("broken", "nowcast"): 1.0,
        ("county", "forecast"): 0.0,
        ("county", "nowcast"): 0.0,
        ("flagship", "forecast"): 0.0,
        ("flagship", "nowcast"): 0.0,
    }
    failed = [r for r in caplog.records if "broken" in r.getMessage()]
    assert [r.getMessage().split(":")[0] for r in failed] == [
        "forecast of hall broken failed",
        "nowcast of hall broken failed",
        "forecast of hall broken failed",
    ]
    assert all(r.exc_info is not None for r in failed)  # with the traceback
