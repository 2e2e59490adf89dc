"""Issue 14, item 2: events dated in the future.

A ticket system with a wrong clock must not move a hall's clock, its "last
event" or its day into the future, in either clock mode, before or after a
restart. Events more than ``future_slack`` (default 5 minutes) ahead of the
wall clock are stored (the ticket system gets its acknowledgement) but
quarantined: never applied, counted as ``result="future"`` and listed at
``GET /v1/halls/{hall}/quarantine``."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from monitor.core.batches import to_rows
from monitor.core.store import EventStore
from sim.eventlog.events import Event
from tests.monitor.hardening.conftest import client_for, issued, post, settings_for

ZONE = timedelta(hours=8)


def _ts(unix_s: float) -> str:
    """RFC 3339 in the county hall's offset."""
    return datetime.fromtimestamp(unix_s, timezone(ZONE)).isoformat(timespec="seconds")


def _opened(i: int, unix_s: float) -> dict[str, str]:
    return {"id": f"o{i}", "hall": "county", "ts": _ts(unix_s), "kind": "counter_opened",
            "counter": "C1"}  # fmt: skip


def _sample(client: TestClient, name: str, **labels: str) -> float | None:
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def _fresh(client: TestClient) -> None:
    """Let the next scrape render anew (the exposition is cached for a second)."""
    client.app.state.exposition._rendered_at = float("-inf")  # type: ignore[attr-defined]


def _last_event(client: TestClient) -> float | None:
    _fresh(client)
    return _sample(client, "hall_last_event_timestamp_seconds", hall="county")


def test_wall_clock_an_event_hours_ahead_is_quarantined_not_applied(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, clock="wall")
    now = int(time.time())
    with client_for(settings) as client:
        assert post(client, [_opened(1, now - 1)]).json() == {"accepted": 1, "duplicates": 0}
        ahead = post(client, [_opened(2, now + 8 * 3600), _opened(3, now - 2)])
        assert ahead.status_code == 200
        assert ahead.json() == {"accepted": 1, "duplicates": 0, "quarantined": 1}
        assert _last_event(client) == now - 1  # not 8 hours ahead
        assert _sample(client, "hallmon_ingest_events_total", hall="county", result="future") == 1
        listed = client.get("/v1/halls/county/quarantine").json()
        assert listed["total"] == 1 and listed["future_slack_s"] == 300.0
        (entry,) = listed["events"]
        assert entry["event"] == _opened(2, now + 8 * 3600)
        assert 8 * 3600 - 60 < entry["ahead_s"] <= 8 * 3600 + 1
        assert entry["quarantined_at"].endswith("+08:00")
        assert post(client, [_opened(2, now + 8 * 3600)]).json() == {
            "accepted": 0,
            "duplicates": 1,
        }  # a quarantined id is stored: sent again, it is a duplicate
    with client_for(settings) as client:  # a restart applies none of it either
        assert _last_event(client) == now - 1
        assert client.get("/v1/halls/county/quarantine").json()["total"] == 1


def test_within_the_slack_is_applied_and_the_slack_is_configurable(tmp_path: Path) -> None:
    now = int(time.time())
    with client_for(settings_for(tmp_path, clock="wall", extra="future_slack: 1h")) as client:
        reply = post(client, [_opened(1, now + 1800), _opened(2, now + 7200)])
        assert reply.json() == {"accepted": 1, "duplicates": 0, "quarantined": 1}
        assert _last_event(client) == now + 1800
    (tmp_path / "b").mkdir()
    with client_for(settings_for(tmp_path / "b", clock="wall")) as client:  # default: 5 min
        reply = post(client, [_opened(1, now + 120), _opened(2, now + 600)])
        assert reply.json() == {"accepted": 1, "duplicates": 0, "quarantined": 1}


@pytest.mark.parametrize("clock", ["wall", "events"])
def test_an_event_dated_9999_never_moves_the_clock_nor_the_day(tmp_path: Path, clock: str) -> None:
    """With the event clock, one event dated 9999-12-30 made the hall's day
    9999-12-30 for good: every later real event was acknowledged and never
    counted, also after a restart."""
    settings = settings_for(tmp_path, clock=clock)
    now = int(time.time())
    # The wall clock's events fall on the hall's day today: up to an hour ago,
    # never before the hall's midnight (a run just after midnight failed).
    since_midnight = (now + int(ZONE.total_seconds())) % 86_400
    if since_midnight < 15:  # the eleven tickets must fit between midnight and now
        time.sleep(15 - since_midnight)
        now, since_midnight = int(time.time()), 15
    real = now - min(3600, since_midnight) if clock == "wall" else None

    def tickets(start: int, n: int) -> list[dict[str, Any]]:
        if real is None:  # the event clock: a replayed past day (2026-03-02)
            return [issued(i) for i in range(start, start + n)]
        return [issued(i, ts=_ts(real + i)) for i in range(start, start + n)]

    far = issued(10_000, ts="9999-12-30T00:00:00+00:00", id="far")
    with client_for(settings) as client:
        assert post(client, tickets(0, 5)).status_code == 200
        assert post(client, [far]).json() == {"accepted": 0, "duplicates": 0, "quarantined": 1}
        assert post(client, tickets(5, 5)).json() == {"accepted": 5, "duplicates": 0}
        state = client.get("/v1/halls/county/state").json()
        assert state["day"] != "9999-12-30" and sum(p["count"] for p in state["issued"]) == 10
        last = _last_event(client)
        assert last is not None and last < now + 1
    with client_for(settings) as client:
        state = client.get("/v1/halls/county/state").json()
        assert state["day"] != "9999-12-30" and sum(p["count"] for p in state["issued"]) == 10
        assert _last_event(client) == last
        assert post(client, tickets(10, 1)).json() == {"accepted": 1, "duplicates": 0}
        state = client.get("/v1/halls/county/state").json()
        assert sum(p["count"] for p in state["issued"]) == 11


@pytest.mark.parametrize("clock", ["wall", "events"])
def test_a_store_written_before_the_quarantine_is_cleaned_at_start(
    tmp_path: Path, clock: str
) -> None:
    """A store holding a far-future event that an older exporter stored without
    quarantine: the rebuild must not take the last event (or the day) from it."""
    settings = settings_for(tmp_path, clock=clock)
    now = int(time.time())
    real = Event.model_validate(_opened(1, now - 60))
    far = Event.model_validate(_opened(2, 253_402_000_000))  # 9999-12-2x
    store = EventStore(settings.store)
    store.append("county", to_rows([real, far], ZoneInfo("Asia/Shanghai")))
    store.close()
    with client_for(settings) as client:
        last = _last_event(client)
        assert last == now - 60
        quarantine = client.get("/v1/halls/county/quarantine").json()
        assert quarantine["total"] == 1 and quarantine["events"][0]["event"]["id"] == "o2"


def test_the_quarantine_listing(tmp_path: Path) -> None:
    now = int(time.time())
    with client_for(settings_for(tmp_path, clock="wall")) as client:
        batch = [_opened(i, now + 3600 + i) for i in range(30)]
        assert post(client, batch).json()["quarantined"] == 30
        listed = client.get("/v1/halls/county/quarantine", params={"limit": 5}).json()
        assert listed["total"] == 30
        ids = [e["event"]["id"] for e in listed["events"]]
        assert ids == [f"o{i}" for i in (29, 28, 27, 26, 25)]
        assert client.get("/v1/halls/flagship/quarantine").json()["total"] == 0
        assert client.get("/v1/halls/atlantis/quarantine").status_code == 404
        assert client.get("/v1/halls/county/quarantine", params={"limit": 0}).status_code == 422
