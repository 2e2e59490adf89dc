"""Shared by the learning tests: the known hall (``halls/truth.yaml``), the
deliberately wrong model it starts from (``halls/wrong.yaml``), configs that
serve it with learning on, and its simulated days as a ticket system logs
them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import TypeVar

from monitor.background.learn import Learning
from monitor.core.monitor import Monitor
from sim.eventlog.convert import calendar_days, day_events
from sim.eventlog.events import Event
from sim.model.scenario import Scenario, load_scenario

HALLS = Path(__file__).resolve().parent / "halls"
TRUTH = HALLS / "truth.yaml"
WRONG = HALLS / "wrong.yaml"
TOKEN = "learner-secret-token"
ENV = {"T_LEARNER": TOKEN}
MONDAY = date(2026, 3, 2)
BATCH = 2000
T = TypeVar("T")


def wait_for(fetch: Callable[[], T], ready: Callable[[T], bool], what: str, within_s: float) -> T:
    """``fetch()`` again until ``ready`` holds, for at most ``within_s`` seconds."""
    deadline = time.monotonic() + within_s
    while True:
        value = fetch()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {within_s:g} s; last: {value!r}")
        time.sleep(0.2)


def learning_config(
    directory: Path,
    *,
    scenario: Path = WRONG,
    learn: str = "{replications: 4}",
    forecast: str = "{replications: 4}",
    nowcast: str = "{every: 0}",
    drift: str = "{every: 0}",
    extra: str = "",
) -> Path:
    """A config serving the learner hall (``clock: events``) with ``learn``."""
    path = directory / "monitor.yaml"
    path.write_text(
        f"""
store: {directory / "hallmon.db"}
clock: events
max_body_bytes: 8000000
forecast: {forecast}
nowcast: {nowcast}
drift: {drift}
learn: {learn}
{extra}
halls:
  - {{id: learner, name: 学习营业厅, district: 天河区, city: 广州,
      scenario: {scenario}, token_env: T_LEARNER}}
""",
        encoding="utf-8",
    )
    return path


def truth() -> Scenario:
    return load_scenario(TRUTH)


def hall_days(
    scn: Scenario, days: int, start: date = MONDAY, seed: int = 7
) -> Iterator[tuple[date, list[Event]]]:
    """The open days from ``start`` as the hall's ticket system logs them."""
    for day, one_day, records in calendar_days(scn, days, start, seed):
        yield day, day_events(records, one_day, day, "no_show")


def post(m: Monitor, events: list[Event]) -> None:
    hall = m.hall("learner")
    for i in range(0, len(events), BATCH):
        m.ingest(hall, events[i : i + BATCH])


def night(m: Monitor) -> int:
    """One learning check and the fit it starts, on two threads; how many started."""

    async def run() -> int:
        with ThreadPoolExecutor(2) as pool:
            learning = Learning(m, lambda: pool)
            started = await learning.check()
            await learning.wait()
            learning.cancel()
            return started

    return asyncio.run(run())
