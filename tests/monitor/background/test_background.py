"""The background work inside the app: the day forecast and the nowcast computed
in the worker pool while the app answers, as the JSON API and ``/metrics``
publish them (the two pure pieces of :mod:`monitor.background.loops` are in
``test_hall_start.py``)."""

from __future__ import annotations

import math
import multiprocessing
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

import monitor.background.loops
from monitor.core.config import Settings, load_settings
from monitor.core.monitor import Monitor
from monitor.server.app import create_app
from sim.eventlog.events import Event
from tests.monitor.conftest import DAY, ENV, as_json, auth, write_config

DEADLINE_S = 25.0  # forecast and nowcast need a second or two; a loaded machine more
HORIZONS = ("0m", "15m", "30m", "60m")
ZONE = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")


def background_config(directory: Path) -> Path:
    """The test config with the background work on: a small forecast at start
    and per local day, a nowcast every second, two worker processes."""
    return write_config(
        directory,
        nowcast="{every: 1s, replications: 2, seed: 5}",
        forecast="{replications: 4, seed: 3}",
        extra="workers: 2",
    )


def poll(fetch: Callable[[], T], ready: Callable[[T], bool], what: str) -> T:
    """``fetch()`` again until ``ready`` holds, for at most :data:`DEADLINE_S`."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        value = fetch()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not ready after {DEADLINE_S:g} s; last: {value!r}")
        time.sleep(0.05)


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def sample(found: Samples, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def of_hall(found: Samples, prefix: str, hall: str) -> list[str]:
    return sorted(n for n, labels in found if n.startswith(prefix) and ("hall", hall) in labels)


def local_s(ts: datetime) -> float:
    local = ts.astimezone(ZONE)
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


@pytest.fixture
def background_settings(tmp_path: Path) -> Settings:
    return load_settings(background_config(tmp_path), environ=ENV)


@pytest.fixture
def client(
    background_settings: Settings, county_day: list[Event], monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The app with its background work, over a store that already holds a whole
    county day (its last event comes after closing: with ``clock: events`` the
    county hall is closed from the start, so it never gets a nowcast)."""
    with TestClient(create_app(background_settings, background=False)) as c:
        posted = c.post("/v1/halls/county/events", json=as_json(county_day), headers=auth("county"))
        assert posted.status_code == 200
    # the flagship's first forecast is for the wall clock's day (it has no events
    # yet); after the posts below its day is DAY, checked for every 30 s by default
    monkeypatch.setattr(monitor.background.loops, "FORECAST_CHECK_S", 0.2)
    before = set(multiprocessing.active_children())
    with TestClient(create_app(background_settings)) as c:
        yield c
    # the lifespan shut the worker pool down: its processes go away
    poll(
        lambda: set(multiprocessing.active_children()) - before,
        lambda left: not left,
        "worker processes",
    )


def test_forecast_and_nowcast_are_published(
    client: TestClient, flagship_day: list[Event], county_day: list[Event]
) -> None:
    half = flagship_day[: len(flagship_day) // 2]
    last = half[-1].ts
    assert 9 * 3600 < local_s(last) < 20 * 3600  # open, every horizon before closing
    assert local_s(county_day[-1].ts) > 17.5 * 3600  # the county hall closed at 17:30
    before_post = time.time()  # the nowcast of the posted state is computed after this
    posted = client.post("/v1/halls/flagship/events", json=as_json(half), headers=auth("flagship"))
    assert posted.json() == {"accepted": len(half), "duplicates": 0}

    # -- the day forecast ---------------------------------------------------------
    def computed(reply: Any) -> bool:
        if reply.status_code != 200:  # meanwhile: 503 with a hint when to come back
            assert reply.status_code == 503 and reply.headers["retry-after"], reply.text
        return bool(reply.status_code == 200)

    forecast = poll(
        lambda: client.get("/v1/halls/flagship/forecast"), computed, "flagship forecast"
    ).json()
    assert forecast["hall"] == "flagship" and forecast["day"] == DAY.isoformat()
    assert multiprocessing.active_children()  # the pool's workers, for the lifespan to stop
    assert forecast["replications"] == 4 and forecast["seed"] == 3
    services = forecast["services"]
    assert services == ["consult", "business", "after_sales", "payment"]
    intervals = forecast["intervals"]
    assert len(intervals) == 48  # 09:00-21:00 by 15 min
    assert (intervals[0]["start"], intervals[-1]["end"]) == ("09:00", "21:00")
    for row in intervals:
        assert re.fullmatch(r"\d\d:\d\d", row["start"]) and re.fullmatch(r"\d\d:\d\d", row["end"])
        assert row["end_s"] - row["start_s"] == 900.0
        assert set(row["services"]) == set(services)
        for cell in row["services"].values():
            for stat in ("queue_length", "wait_s", "arrivals_per_hour"):
                assert set(cell[stat]) >= {"mean", "ci95_half_width"}
                assert cell[stat]["mean"] is None or cell[stat]["mean"] >= 0
            assert 0 <= cell["wait_s"]["n"] <= 4
    now = next(r for r in intervals if r["start_s"] <= local_s(last) < r["end_s"])
    found = samples(client.get("/metrics").text)
    for svc in services:
        cell = now["services"][svc]
        for name, stat in (
            ("hall_forecast_queue_length", "queue_length"),
            ("hall_forecast_wait_seconds", "wait_s"),
            ("hall_forecast_arrivals_per_hour", "arrivals_per_hour"),
        ):
            value = sample(found, name, hall="flagship", service=svc)
            assert value == pytest.approx(cell[stat]["mean"], rel=1e-12), (name, svc)
    assert of_hall(found, "hall_forecast_", "county") == []  # closed: no interval now

    # -- the nowcast --------------------------------------------------------------
    as_of = last.astimezone(ZONE).isoformat(timespec="milliseconds")
    nowcast = poll(
        lambda: client.get("/v1/halls/flagship/nowcast").json(),
        lambda body: body["as_of"] == as_of,  # from the posted state
        "flagship nowcast",
    )
    # as of the hall's clock (its latest event), computed on the wall clock
    computed_at = datetime.fromisoformat(nowcast["computed_at"])
    assert computed_at.utcoffset() == timedelta(hours=8)
    assert before_post <= computed_at.timestamp() <= time.time() + 1
    assert nowcast["open"] is True and nowcast["target_wait_s"] == 900.0
    assert [s["service"] for s in nowcast["services"]] == services
    for entry in nowcast["services"]:
        assert set(entry["by_horizon"]) == set(HORIZONS) == set(entry["horizons"])
        assert all(w is not None and w >= 0 for w in entry["by_horizon"].values())
        assert entry["expected_wait_s"] == entry["by_horizon"]["0m"]
        assert 0 <= entry["expected_present"] <= entry["waiting"]
        for h, wait in entry["horizons"].items():
            assert wait["mean_s"] == entry["by_horizon"][h]
            assert 0 <= wait["median_s"] <= wait["p90_s"]
            assert 0 <= wait["breach_probability"] <= 1
        now = entry["horizons"]["0m"]
        assert (entry["median_wait_s"], entry["p90_wait_s"], entry["breach_probability"]) == (
            now["median_s"],
            now["p90_s"],
            now["breach_probability"],
        )
    assert set(nowcast["breach_probability"]) == set(HORIZONS)
    assert all(0 <= p <= 1 for p in nowcast["breach_probability"].values())

    found = samples(client.get("/metrics").text)
    for entry in nowcast["services"]:
        svc = entry["service"]
        for h in HORIZONS:
            for name, value in (
                ("hall_nowcast_wait_seconds", entry["by_horizon"][h]),
                ("hall_nowcast_wait_median_seconds", entry["horizons"][h]["median_s"]),
                ("hall_nowcast_wait_p90_seconds", entry["horizons"][h]["p90_s"]),
                (
                    "hall_nowcast_service_breach_probability",
                    entry["horizons"][h]["breach_probability"],
                ),
            ):
                got = sample(found, name, hall="flagship", service=svc, horizon=h)
                assert got == pytest.approx(value, rel=1e-12), (name, svc, h)
        queue = sample(found, "hall_nowcast_queue_length", hall="flagship", service=svc)
        assert queue == pytest.approx(entry["expected_present"], rel=1e-12)
    for h in HORIZONS:
        value = sample(found, "hall_nowcast_breach_probability", hall="flagship", horizon=h)
        assert value == pytest.approx(nowcast["breach_probability"][h], rel=1e-12), h
    as_of_s = sample(found, "hall_nowcast_as_of_timestamp_seconds", hall="flagship")
    assert as_of_s == pytest.approx(last.timestamp(), abs=1e-6)
    computed_s = sample(found, "hall_nowcast_computed_timestamp_seconds", hall="flagship")
    assert computed_s is not None and before_post <= computed_s <= time.time() + 1

    # -- the closed hall and the counts ------------------------------------------
    assert of_hall(found, "hall_nowcast_", "county") == []
    county = client.get("/v1/halls/county/nowcast").json()
    assert county["open"] is False and county["computed_at"] is None
    assert county["as_of"] is None
    assert county["services"] == []
    ready = client.get("/readyz")
    assert ready.status_code == 200
    counts = {
        k: v for k, v in ready.json().items() if k in ("ready", "halls", "forecasts", "nowcasts")
    }
    assert counts == {"ready": True, "halls": 2, "forecasts": 2, "nowcasts": 1}

    # -- what the pool's CPU went to, exporter-wide (no hall label) --------------
    for task in ("forecast", "nowcast"):
        assert (sample(found, "hallmon_pool_jobs_total", task=task) or 0) >= 1, task
        assert (sample(found, "hallmon_pool_cpu_seconds_total", task=task) or 0) > 0, task
    assert sample(found, "hallmon_pool_jobs_total", task="eta") == 0  # none asked for
    assert sample(found, "hallmon_pool_cpu_seconds_total", task="eta") == 0
    assert sample(found, "hallmon_nowcast_interval_seconds") == 1.0  # nowcast.every: 1s


def test_an_exporter_without_nowcasts_publishes_an_interval_of_0(tmp_path: Path) -> None:
    """``nowcast: {every: 0}``, its background work on: the interval the
    stale-nowcast alert reads is 0, not the default's 60 s."""
    config = write_config(tmp_path, nowcast="{every: 0}", extra="drift: {every: 0}")
    with TestClient(create_app(load_settings(config, environ=ENV))) as c:
        found = samples(c.get("/metrics").text)
    assert sample(found, "hallmon_nowcast_interval_seconds") == 0.0


# -- the forecast of a new day ---------------------------------------------------------


def test_a_new_day_starts_with_its_forecast(
    tmp_path: Path, flagship_day: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At start the forecast is of the hall's own date (its latest event, with
    ``clock: events``), not the wall clock's, and the next day's is held too:
    when the next day's first event comes, ``/forecast`` answers for that day
    at once, although the loop checks again only an hour later. Each is of its
    own weekday's plan (the flagship's Mondays are 15% busier than Tuesdays)."""
    settings = load_settings(
        write_config(tmp_path, forecast="{replications: 2, seed: 3}", extra="workers: 1"),
        environ=ENV,
    )
    with TestClient(create_app(settings, background=False)) as c:
        morning = as_json(flagship_day[:200])
        posted = c.post("/v1/halls/flagship/events", json=morning, headers=auth("flagship"))
        assert posted.status_code == 200
    monkeypatch.setattr(monitor.background.loops, "FORECAST_CHECK_S", 3600.0)  # one check, at start
    with TestClient(create_app(settings)) as client:
        reply = poll(
            lambda: client.get("/v1/halls/flagship/forecast"),
            lambda r: r.status_code == 200,
            "the first forecast",
        )
        assert reply.json()["day"] == DAY.isoformat() != datetime.now(ZONE).date().isoformat()
        held: Monitor = client.app.state.monitor  # type: ignore[attr-defined]
        next_day = (DAY + timedelta(days=1)).isoformat()
        poll(  # the next day's plan differs from today's: computed in a second round
            lambda: [day for day, _ in held.held_forecasts("flagship")],
            lambda days: days[-1:] == [next_day],
            "the next day's forecast",
        )
        first = flagship_day[0]
        tomorrow = first.model_copy(
            update={"id": first.id + "-next", "ts": first.ts + timedelta(days=1)}
        )
        posted = client.post(
            "/v1/halls/flagship/events", json=as_json([tomorrow]), headers=auth("flagship")
        )
        assert posted.json() == {"accepted": 1, "duplicates": 0}
        assert client.get("/v1/halls/flagship/state").json()["day"] == next_day
        ahead = client.get("/v1/halls/flagship/forecast")
        assert ahead.status_code == 200 and ahead.json()["day"] == next_day

        def arrivals(body: dict[str, Any]) -> float:
            return math.fsum(
                cell["arrivals_per_hour"]["mean"]
                for row in body["intervals"]
                for cell in row["services"].values()
            )

        monday, tuesday = arrivals(reply.json()), arrivals(ahead.json())
        assert 1.05 < monday / tuesday < 1.25
