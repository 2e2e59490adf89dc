"""Closing the loop, end to end: a hall whose truth is known (``halls/city.yaml``)
is replayed for three weeks through a real ``hallmon serve`` (``clock:
events``, at full speed) that starts from a deliberately wrong model
(``halls/city-wrong.yaml``: demand 40% low, the service mix turned round,
other service times, no weekday levels). After the nights have passed:

* the model in use is a fitted one, and its next-day forecast of tickets per
  hour is within 15% of the truth's in every busy hour (an hour with at least
  three quarters of the day's busiest);
* on that next day, replayed from the truth, its queue forecast is closer to
  the queue the day had than the starting model's, and the drift test (what
  the ``HallModelDrift`` alert reads, ``hall_model_drift_score``) stays below
  1 all day;
* a day whose demand is 30% higher from noon raises it within an hour, and not
  before noon;
* after a restart the model and its history are still there.

Each night's fit ends before the next day is posted (a real night lasts
hours), so what is learned does not depend on the machine's speed. The day's
drift is read after each half hour (quarter hour after noon) of events, once
the exporter has tested up to them."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sim.eventlog.convert import day_events
from sim.eventlog.events import Event
from sim.live.demandlevel import expected_between
from sim.live.forecast import forecast_date
from sim.model.calendar import step_value
from sim.model.days import day_scenario
from sim.model.hall import simulate
from sim.model.scenario import Scenario, load_scenario, scenario_from_dict
from sim.model.scenario_io import clock_text, scenario_to_dict
from tests.monitor.background import learning
from tests.monitor.background.learning import HALLS, hall_days
from tests.monitor.server import Server, running_server

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.statistical]

TOKEN = "city-secret-token"
START = date(2026, 3, 2)  # a Monday
WEEKS = 3
NEXT = START + timedelta(days=7 * WEEKS)  # the Monday after: the forecast's next day
SURGE = NEXT + timedelta(days=1)  # a Tuesday with 30% more demand from noon
NOON_S = 12 * 3600.0
CLOSE_S = 17 * 3600.0
BATCH = 5000
WAIT_S = 600.0  # a fit of two weeks of a large hall in a worker, on a loaded machine
T = TypeVar("T")


def wait_for(fetch: Callable[[], T], ready: Callable[[T], bool], what: str) -> T:
    return learning.wait_for(fetch, ready, what, WAIT_S)


def config(directory: Path) -> Path:
    path = directory / "monitor.yaml"
    path.write_text(
        f"""
store: {directory / "hallmon.db"}
clock: events
workers: 2
max_body_bytes: 16000000
forecast: {{replications: 8}}
nowcast: {{every: 0}}
drift: {{every: 1s}}
learn: {{replications: 4}}
# three weeks posted at full speed: the per-hall limits are for ticket systems
# sending in real time (a replay at speed raises them, as the ops guide says)
limits: {{hall: {{events_per_s: 1000000, events_burst: 10000000}}}}
halls:
  - {{id: city, name: 城市旗舰营业厅, district: 天河区, city: 广州,
      scenario: {HALLS / "city-wrong.yaml"}, token_env: T_CITY}}
""",
        encoding="utf-8",
    )
    return path


class Hall:
    """The served hall, over HTTP."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=120.0)

    def post(self, events: list[Event]) -> None:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for i in range(0, len(events), BATCH):
            reply = self.client.post(
                "/v1/halls/city/events",
                json=[e.as_row() for e in events[i : i + BATCH]],
                headers=auth,
            )
            assert reply.status_code == 200, reply.text

    def get(self, path: str) -> Any:
        reply = self.client.get(path)
        assert reply.status_code == 200, (path, reply.status_code, reply.text)
        return reply.json()

    def model(self) -> dict[str, Any]:
        body: dict[str, Any] = self.get("/v1/halls/city/model")
        return body

    def drift_score(self) -> float:
        """``hall_model_drift_score{quantity="arrivals"}``, as the alert reads it."""
        text = self.client.get("/metrics").text
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == "hall_model_drift_score" and s.labels.get("quantity") == "arrivals":
                    return float(s.value)
        return math.nan


def surge_day(truth: Scenario) -> Scenario:
    """The truth's Tuesday with demand 30% higher from noon on."""
    one = day_scenario(truth, SURGE)
    assert one is not None
    data = scenario_to_dict(one)
    times = sorted({t for t, _ in one.arrivals.rate_per_hour} | {NOON_S})
    data["arrivals"]["rate_per_hour"] = {
        clock_text(t): step_value(one.arrivals.rate_per_hour, t) * (1.3 if t >= NOON_S else 1.0)
        for t in times
    }
    return scenario_from_dict(data)


def chunks(
    events: list[Event], day: date, every_s: Callable[[float], float]
) -> Iterator[tuple[float, list[Event]]]:
    """The day's events up to each step (seconds after midnight; the step
    after ``t`` is ``every_s(t)`` long), from opening to the end of the log."""
    zone = events[0].ts.tzinfo
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    local = [(e.ts - midnight).total_seconds() for e in events]
    t, i = 9 * 3600.0, 0
    while i < len(events):
        t += every_s(t)
        j = i
        while j < len(events) and local[j] < t:
            j += 1
        yield t, events[i:j]
        i = j


def drift_after_each_step(
    hall: Hall, events: list[Event], day: date, every_s: Callable[[float], float]
) -> list[tuple[float, float]]:
    """(time, arrivals drift score) after each step of the opening hours is
    posted and tested (the events after closing are posted at the end: a
    closed hall is not tested)."""
    out = []
    for t, part in chunks(events, day, every_s):
        if not part:
            continue
        hall.post(part)
        if t > CLOSE_S:
            continue
        last = part[-1].ts.isoformat(timespec="seconds")

        def tested(drift: dict[str, Any] | None, last: str = last) -> bool:
            return drift is not None and drift["as_of"] >= last

        wait_for(lambda: hall.model().get("drift"), tested, f"a drift test as of {last}")
        out.append((t, hall.drift_score()))
    return out


def hourly(forecast: dict[str, Any]) -> dict[float, float]:
    """Tickets per hour by hour of the day, from a /forecast body's intervals."""
    per_hour: dict[float, list[float]] = {}
    for row in forecast["intervals"]:
        total = sum(c["arrivals_per_hour"]["mean"] for c in row["services"].values())
        per_hour.setdefault(row["start_s"] // 3600 * 3600, []).append(total)
    return {h: float(np.mean(v)) for h, v in per_hour.items()}


def test_a_hall_learns_its_model_back_and_tells_drift(tmp_path: Path) -> None:
    truth, wrong = load_scenario(HALLS / "city.yaml"), load_scenario(HALLS / "city-wrong.yaml")
    with running_server(
        config(tmp_path), {"T_CITY": TOKEN}, log=tmp_path / "hallmon.log"
    ) as server:
        hall = Hall(server)
        for day, events in hall_days(truth, 7 * WEEKS, START, seed=7):
            hall.post(events)
            # a night lasts hours: let its fit end before the next day, as in a real hall
            night = (day - timedelta(days=1)).isoformat()

            def slept(m: dict[str, Any], night: str = night) -> bool:
                learning = m["learning"]
                return bool(
                    learning["night"] is not None
                    and learning["night"] >= night
                    and not learning["running"]
                )

            wait_for(hall.model, slept, f"the fit of the night before {day}")
        next_day = day_scenario(truth, NEXT)
        assert next_day is not None
        next_events = day_events(simulate(next_day, 31, 0), next_day, NEXT, "no_show")
        hall.post(next_events[:1])  # the first event of the next day: the last night is due
        last_night = (NEXT - timedelta(days=1)).isoformat()
        model = wait_for(
            hall.model,
            lambda m: m["learning"]["night"] == last_night and not m["learning"]["running"],
            "the last night's fit",
        )
        assert model["source"] == "fitted", model["history"][:3]
        assert model["versions"][-1]["source"] == "configured"

        # the next day's forecast of tickets per hour against the truth's
        forecast = wait_for(
            lambda: hall.client.get("/v1/halls/city/forecast", params={"day": NEXT.isoformat()}),
            lambda r: r.status_code == 200,
            "the next day's forecast",
        ).json()
        known = day_scenario(truth, NEXT)
        assert known is not None
        truth_per_hour = {h: expected_between(known, h, h + 3600) for h in hourly(forecast)}
        busiest = max(truth_per_hour.values())
        busy = {h: v for h, v in truth_per_hour.items() if v >= 0.75 * busiest}
        ours = hourly(forecast)
        off = {clock_text(h): ours[h] / v - 1 for h, v in busy.items()}
        why = (off, model["fitted_days"], model["week"], model["history"][:6])
        assert len(busy) >= 4 and all(abs(x) <= 0.15 for x in off.values()), why

        # the next day itself: no drift, and a queue forecast closer than the wrong model's
        scores = drift_after_each_step(hall, next_events[1:], NEXT, lambda t: 1800.0)
        assert len(scores) >= 12 and max(s for _, s in scores) < 1.0, scores
        history = hall.get("/v1/halls/city/history")
        actual = np.array(
            [
                sum(c["queue_length"] for c in row["services"].values())
                for row in history["intervals"]
            ]
        )
        fitted_queue = np.array(
            [
                sum(c["queue_length"]["mean"] for c in row["services"].values())
                for row in forecast["intervals"]
            ]
        )
        start = forecast_date(wrong, NEXT.isoformat(), replications=8, seed=1)
        wrong_queue = np.array(start.queue).sum(axis=1)
        n = min(len(actual), len(fitted_queue), len(wrong_queue))
        fitted_error = float(np.abs(fitted_queue[:n] - actual[:n]).sum())
        wrong_error = float(np.abs(wrong_queue[:n] - actual[:n]).sum())
        assert fitted_error < wrong_error, (fitted_error, wrong_error)

        # a day 30% busier from noon: the drift is raised within the hour
        surge = surge_day(truth)
        events = day_events(simulate(surge, 37, 0), surge, SURGE, "no_show")
        steps = drift_after_each_step(
            hall, events, SURGE, lambda t: 1800.0 if t < NOON_S else 900.0
        )
        raised = [t for t, s in steps if s >= 1.0]
        assert raised and NOON_S < raised[0] <= NOON_S + 3600, steps
        version, changes = model["version"], len(model["history"])

    with running_server(
        config(tmp_path), {"T_CITY": TOKEN}, log=tmp_path / "hallmon.log"
    ) as server:
        again = Hall(server).model()
        assert again["version"] == version and len(again["history"]) >= changes
