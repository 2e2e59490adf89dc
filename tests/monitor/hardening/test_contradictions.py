"""Issue 25, item 5: events that contradict the store or their ticket.

An id sent again with other content is a *conflict*: acknowledged, counted
(``result="conflict"``), listed at ``/v1/halls/{hall}/conflicts`` beside the
quarantine, never stored as an event or applied (before the fix it counted as
a plain duplicate and the conflict went unseen). An event that runs time
backwards within its ticket (called before it was issued, ended before it
was called) is stored but quarantined with its reason; before the fix a call
before the issue counted as a 0 s wait within target. Both survive a
restart."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.monitor.hardening.conftest import at, client_for, issued, post, settings_for


def _called(i: int, seconds: int, counter: str = "C1", **kw: Any) -> dict[str, Any]:
    return {"id": f"c{i}", "hall": "county", "ts": at(seconds), "kind": "ticket_called",
            "ticket": f"T{i}", "counter": counter} | kw  # fmt: skip


def _ended(i: int, seconds: int, kind: str = "service_ended") -> dict[str, Any]:
    return {"id": f"e{i}", "hall": "county", "ts": at(seconds), "kind": kind,
            "ticket": f"T{i}", "counter": "C1"}  # fmt: skip


def _state(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/v1/halls/county/state").json()
    return body


def _served(client: TestClient) -> int:
    return sum(p["count"] for p in _state(client)["served"])


def _waits(client: TestClient) -> int:
    return int(sum(h["count"] for h in _state(client)["wait"].values()))


def test_an_id_sent_again_with_other_content_is_a_conflict(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with client_for(settings) as client:
        assert post(client, [issued(1)]).json() == {"accepted": 1, "duplicates": 0}
        assert post(client, [issued(1)]).json() == {"accepted": 0, "duplicates": 1}
        other = issued(1, service="business")  # same id, other service
        reply = post(client, [other, other, issued(2)])
        assert reply.json() == {"accepted": 1, "duplicates": 0, "conflicts": 2}
        issued_now = {(p["service"], p["count"]) for p in _state(client)["issued"] if p["count"]}
        assert issued_now == {("consult", 2)}  # the stored version stands, applied once
        listed = client.get("/v1/halls/county/conflicts").json()
        assert listed["total"] == 1  # one distinct version, sent twice
        (entry,) = listed["events"]
        assert entry["stored"]["service"] == "consult" and entry["received"] == other
        assert entry["received_at"].endswith("+08:00")
        assert _state(client)["ingested"]["conflict"] == 2
        # the same instant written with another offset is the same event
        utc = issued(1) | {"ts": "2026-03-02T01:00:01+00:00"}
        assert post(client, [utc]).json() == {"accepted": 0, "duplicates": 1}
    with client_for(settings) as client:  # after a restart: still listed, still not applied
        assert client.get("/v1/halls/county/conflicts").json()["total"] == 1
        assert {(p["service"], p["count"]) for p in _state(client)["issued"] if p["count"]} == {
            ("consult", 2)
        }


def test_a_call_before_its_issue_is_quarantined_not_a_0_s_wait(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    with client_for(settings) as client:
        assert post(client, [issued(1, ts=at(600))]).status_code == 200
        reply = post(client, [_called(1, 300)])  # five minutes before the ticket was issued
        assert reply.json() == {"accepted": 0, "duplicates": 0, "quarantined": 1}
        assert _served(client) == 0 and _waits(client) == 0
        listed = client.get("/v1/halls/county/quarantine").json()
        (entry,) = listed["events"]
        assert entry["reason"] == "called_before_issued"
        assert entry["event"] == _called(1, 300)
        assert _state(client)["ingested"]["backwards"] == 1
        # a later call in order is applied: the wait is the real one
        assert post(client, [_called(1, 900) | {"id": "c1b"}]).json()["accepted"] == 1
        assert _served(client) == 1
        assert _state(client)["wait"]["consult"]["sum_s"] == 300.0
    with client_for(settings) as client:
        assert _served(client) == 1
        assert _state(client)["wait"]["consult"]["sum_s"] == 300.0


def test_an_end_before_the_first_call_is_quarantined(tmp_path: Path) -> None:
    with client_for(settings_for(tmp_path)) as client:
        batch = [issued(1), _called(1, 600), _ended(1, 300)]  # ended before it was called
        assert post(client, batch).json() == {"accepted": 2, "duplicates": 0, "quarantined": 1}
        (entry,) = client.get("/v1/halls/county/quarantine").json()["events"]
        assert (entry["event"]["id"], entry["reason"]) == ("e1", "ended_before_called")
        no_show = post(client, [issued(2), _called(2, 600), _ended(2, 500, "ticket_no_show")])
        assert no_show.json()["quarantined"] == 1


def test_a_ticket_sent_whole_in_any_order_keeps_its_issue(tmp_path: Path) -> None:
    """Within a batch the issue is checked first, whatever the order sent; the
    call dated before it is the one held."""
    with client_for(settings_for(tmp_path)) as client:
        batch = [_called(1, 100), issued(1, ts=at(200))]
        assert post(client, batch).json() == {"accepted": 1, "duplicates": 0, "quarantined": 1}
        (entry,) = client.get("/v1/halls/county/quarantine").json()["events"]
        assert entry["reason"] == "called_before_issued"
        # sent the other way round, apart: the issue after its call is the one held
        assert post(client, [_called(2, 100)]).json()["accepted"] == 1
        late = post(client, [issued(2, ts=at(200))])
        assert late.json()["quarantined"] == 1
        reasons = {e["event"]["id"]: e["reason"] for e in
                   client.get("/v1/halls/county/quarantine").json()["events"]}  # fmt: skip
        assert reasons == {"c1": "called_before_issued", "i2": "issued_after_called"}


def test_equal_times_are_in_order(tmp_path: Path) -> None:
    with client_for(settings_for(tmp_path)) as client:
        same = [issued(1), _called(1, 1), _ended(1, 1)]  # all at one instant: a 0 s wait
        assert post(client, same).json() == {"accepted": 3, "duplicates": 0}
        assert _served(client) == 1


def test_a_batch_committed_but_not_yet_applied_counts_for_the_next(tmp_path: Path) -> None:
    """Two clients of one hall: one batch is applied while the next is
    decided and committed; the next still sees it (``storing.Pending``)."""
    from monitor.core.batches import read_batch
    from monitor.core.intake import HallIntake
    from monitor.core.state import HallState
    from monitor.core.store import EventStore
    from monitor.core.storing import Pending, store_batch

    settings = settings_for(tmp_path)
    hall = settings.halls[0]
    state, store, pending = HallState(hall), EventStore(tmp_path / "s.db"), Pending()
    intake = HallIntake(hall.id, hall.limits)

    def stored(events: list[dict[str, Any]]) -> Any:
        body = json.dumps(events).encode()
        rows = read_batch(body, "application/json", "county", state.days)
        return store_batch(store, state, intake, "county", rows, len(body), pending=pending,
                           today="2026-03-02", to_midnight_s=3600.0)  # fmt: skip

    first = stored([issued(1, ts=at(600))])
    assert first.applied == 1 and state.snapshot().issued.get(("consult", "gotone")) == 0
    second = stored([_called(1, 300)])  # before the issue that is not applied yet
    assert (second.applied, second.backwards) == (0, 1)
    state.apply(first.to_apply)
    pending.remove(first.to_apply)
    assert pending.rows() == [] and state.snapshot().issued[("consult", "gotone")] == 1
    store.close()


def test_a_batch_applied_is_answered_while_the_halls_next_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clients of one hall: the first batch is applied while the second is
    committed (its ``fsync`` held here); the first is answered without waiting
    for that commit to end (before, it waited for the hall's lock to say it was
    applied: each reply waited for the next batch's commit)."""
    from monitor.core.monitor import Monitor
    from monitor.core.state import HallState
    from monitor.core.store import EventStore

    committing, release = threading.Event(), threading.Event()
    commit, apply = EventStore.commit, HallState.apply

    def slow_commit(store: EventStore, *args: Any) -> Any:
        if threading.current_thread().name == "second":
            committing.set()
            assert release.wait(30)
        return commit(store, *args)

    def apply_once_second_commits(state: HallState, rows: Any) -> int:
        if threading.current_thread().name == "first":
            assert committing.wait(30)
        return apply(state, rows)

    monkeypatch.setattr(EventStore, "commit", slow_commit)
    monkeypatch.setattr(HallState, "apply", apply_once_second_commits)
    monitor = Monitor(settings_for(tmp_path))
    monitor.open()
    hall = monitor.hall("county")
    answers: dict[str, Any] = {}

    def send(events: list[dict[str, Any]]) -> None:
        body = json.dumps(events).encode()
        answers[threading.current_thread().name] = monitor.receive(hall, body, "application/json")

    first = threading.Thread(target=send, args=([issued(1)],), name="first")
    second = threading.Thread(target=send, args=([_called(1, 60)],), name="second")
    try:
        first.start()
        second.start()
        first.join(10)
        assert not first.is_alive() and answers["first"].accepted == 1
        assert "second" not in answers  # still committing
    finally:
        release.set()
        second.join(30)
        monitor.close()
    assert answers["second"].accepted == 1
