"""``GET /v1/halls/{hall}/tickets/{ticket}/eta``: the prediction of a waiting
ticket, one simulation per hall state shared by every request, the answers for
tickets no longer waiting, the refusals, and the counters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from monitor.api.eta import EtaBody
from monitor.core.config import Settings
from monitor.server.app import create_app
from sim.eventlog.events import Event
from tests.monitor.conftest import as_json, auth

CUT_HOUR = 11  # the flagship's day up to 11:00: a queue, tickets served, some given up


@pytest.fixture
def client(settings: Settings, flagship_day: list[Event]) -> Iterator[TestClient]:
    with TestClient(create_app(settings, background=False)) as c:
        morning = [e for e in flagship_day if e.ts.hour < CUT_HOUR]
        posted = c.post(
            "/v1/halls/flagship/events", json=as_json(morning), headers=auth("flagship")
        )
        assert posted.status_code == 200
        yield c


def _waiting(client: TestClient) -> tuple[str, ...]:
    monitor = client.app.state.monitor  # type: ignore[attr-defined]
    ids: tuple[str, ...] = monitor.picture("flagship", monitor.now_s("flagship")).waiting_ids
    assert ids, "the morning leaves tickets waiting"
    return ids


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_a_waiting_ticket_gets_its_place_call_times_and_when_to_leave(client: TestClient) -> None:
    ids = _waiting(client)
    body = client.get(f"/v1/halls/flagship/tickets/{ids[-1]}/eta?travel=15m").json()
    assert body["state"] == "waiting" and body["reason"] is None
    assert body["replications"] == client.app.state.monitor.settings.eta.replications  # type: ignore[attr-defined]
    assert body["ahead"] == len(ids) - 1  # issued last of those waiting
    now = _at(body["now"])
    p10, median, p90 = (_at(body[k]) for k in ("call_p10", "call_median", "call_p90"))
    assert now <= p10 <= median <= p90
    assert body["call_in_median_s"] == pytest.approx(median - now, abs=0.1)
    assert body["travel_s"] == 900.0
    assert _at(body["leave_at"]) == pytest.approx(p10 - 900, abs=0.01)
    assert body["leave_in_s"] == pytest.approx(max(0.0, p10 - 900 - now), abs=0.1)
    assert set(body) == set(EtaBody.model_fields) and EtaBody.model_validate(body)
    # seconds work as well as a duration
    again = client.get(f"/v1/halls/flagship/tickets/{ids[-1]}/eta?travel=900").json()
    assert again["leave_at"] == body["leave_at"]


def test_requests_for_one_hall_state_share_one_simulation(client: TestClient) -> None:
    ids = _waiting(client)
    for ticket in ids * 3:
        assert client.get(f"/v1/halls/flagship/tickets/{ticket}/eta").status_code == 200
    etas = client.app.state.etas  # type: ignore[attr-defined]
    assert etas.simulations == {"flagship": 1}
    assert etas.requests == {("flagship", "ok"): 3 * len(ids)}
    metrics = client.get("/metrics").text
    assert f'hall_eta_requests_total{{hall="flagship",result="ok"}} {3.0 * len(ids)}' in metrics
    assert 'hall_eta_simulations_total{hall="flagship"} 1.0' in metrics


def test_on_the_events_clock_etas_do_not_age_until_an_event_comes(
    client: TestClient, flagship_day: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _waiting(client)
    assert client.get(f"/v1/halls/flagship/tickets/{ids[0]}/eta").status_code == 200
    etas = client.app.state.etas  # type: ignore[attr-defined]
    later = time.time() + 10 * client.app.state.monitor.settings.eta.max_age  # type: ignore[attr-defined]
    monkeypatch.setattr("monitor.background.etas.time.time", lambda: later)
    assert client.get(f"/v1/halls/flagship/tickets/{ids[0]}/eta").status_code == 200
    assert etas.simulations == {"flagship": 1}  # the same state: the same answer
    first_after = next(e for e in flagship_day if e.ts.hour >= CUT_HOUR)
    posted = client.post(
        "/v1/halls/flagship/events", json=as_json([first_after]), headers=auth("flagship")
    )
    assert posted.status_code == 200
    client.get(f"/v1/halls/flagship/tickets/{ids[-1]}/eta")
    assert etas.simulations == {"flagship": 2}


def test_concurrent_requests_wait_for_the_same_simulation(
    settings: Settings, flagship_day: list[Event]
) -> None:
    app = create_app(settings, background=False)

    async def run() -> list[int]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://hallmon") as c:
                morning = [e for e in flagship_day if e.ts.hour < CUT_HOUR]
                await c.post(
                    "/v1/halls/flagship/events", json=as_json(morning), headers=auth("flagship")
                )
                monitor = app.state.monitor
                ids = monitor.picture("flagship", monitor.now_s("flagship")).waiting_ids
                answers = await asyncio.gather(
                    *(c.get(f"/v1/halls/flagship/tickets/{ids[k % len(ids)]}/eta")
                      for k in range(30))
                )  # fmt: skip
                return [a.status_code for a in answers]

    assert asyncio.run(run()) == [200] * 30
    assert app.state.etas.simulations == {"flagship": 1}


def test_a_ticket_no_longer_waiting_answers_its_state(
    client: TestClient, flagship_day: list[Event]
) -> None:
    morning = [e for e in flagship_day if e.ts.hour < CUT_HOUR]
    served = next(e.ticket for e in morning if e.kind == "service_ended")
    body = client.get(f"/v1/halls/flagship/tickets/{served}/eta?travel=10m").json()
    assert body["state"] == "served" and body["called_at"] is not None
    assert body["call_median"] is None and body["leave_at"] is None
    gone = {e.ticket or "" for e in morning if e.kind == "ticket_abandoned"}
    called = {e.ticket or "" for e in morning if e.kind == "ticket_called"}
    if cancelled := sorted(gone - called):
        assert client.get(f"/v1/halls/flagship/tickets/{cancelled[0]}/eta").json()["state"] == (
            "cancelled"
        )
    assert client.app.state.etas.simulations == {}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("travel", "reason"),
    [
        ("soon", "is not a duration (use e.g. 900, 90s, 15m, 1.5h)"),
        ("-5m", "is not a duration (use e.g. 900, 90s, 15m, 1.5h)"),
        ("1e3", "is not a duration (use e.g. 900, 90s, 15m, 1.5h)"),
        ("15 m", "is not a duration (use e.g. 900, 90s, 15m, 1.5h)"),
    ],
)
def test_a_bad_travel_time_is_a_422_naming_it(client: TestClient, travel: str, reason: str) -> None:
    ticket = _waiting(client)[0]
    answer = client.get(f"/v1/halls/flagship/tickets/{ticket}/eta", params={"travel": travel})
    assert answer.status_code == 422
    assert answer.json() == {"detail": [{"index": None, "field": "travel", "reason": reason}]}


def test_unknown_hall_and_ticket_are_404_in_the_error_shape(client: TestClient) -> None:
    answer = client.get("/v1/halls/flagship/tickets/20260302-99999/eta")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "hall flagship has no ticket '20260302-99999' today"}
    answer = client.get("/v1/halls/nowhere/tickets/x/eta")
    assert answer.status_code == 404 and "nowhere" in answer.json()["detail"]
    assert client.app.state.etas.requests == {("flagship", "not_found"): 1}  # type: ignore[attr-defined]


def test_the_endpoint_is_in_the_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    operation = doc["paths"]["/v1/halls/{hall}/tickets/{ticket}/eta"]["get"]
    assert set(operation["responses"]) >= {"200", "404", "422", "503"}
    assert {p["name"] for p in operation["parameters"]} >= {"hall", "ticket", "travel"}


def test_a_slow_simulation_is_a_503_and_the_retry_gets_its_result(
    settings: Settings, flagship_day: list[Event]
) -> None:
    """eta.timeout bounds a request; the simulation goes on and serves the retry."""
    slow = settings.model_copy(
        update={"eta": settings.eta.model_copy(update={"timeout": 0.001, "replications": 200})}
    )
    with TestClient(create_app(slow, background=False)) as client:
        morning = [e for e in flagship_day if e.ts.hour < CUT_HOUR]
        client.post("/v1/halls/flagship/events", json=as_json(morning), headers=auth("flagship"))
        ticket = _waiting(client)[0]
        answer = client.get(f"/v1/halls/flagship/tickets/{ticket}/eta")
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert "being simulated" in answer.json()["detail"]
        etas = client.app.state.etas  # type: ignore[attr-defined]
        deadline = time.monotonic() + 120
        while etas.simulations.get("flagship", 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        again = client.get(f"/v1/halls/flagship/tickets/{ticket}/eta")
        assert again.status_code == 200 and again.json()["replications"] == 200
        assert etas.simulations == {"flagship": 1}
        assert etas.requests == {("flagship", "pending"): 1, ("flagship", "ok"): 1}


def test_every_hall_has_its_counters_from_the_start(client: TestClient) -> None:
    metrics = client.get("/metrics").text
    for hall in ("county", "flagship"):
        assert f'hall_eta_requests_total{{hall="{hall}",result="ok"}} 0.0' in metrics
        assert f'hall_eta_simulations_total{{hall="{hall}"}} 0.0' in metrics
    # no notify: in the config: the family is announced, without samples
    assert "# TYPE hall_notifications_sent_total counter" in metrics
    assert "hall_notifications_sent_total{" not in metrics


def test_a_failed_simulation_is_a_503_and_the_next_request_simulates_again(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = _waiting(client)[0]

    def broken(*args: object) -> None:
        raise RuntimeError("the model is broken")

    with monkeypatch.context() as patched:
        patched.setattr("monitor.background.etas.eta_job", broken)
        answer = client.get(f"/v1/halls/flagship/tickets/{ticket}/eta")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json() == {
        "detail": "the ETAs of hall flagship could not be simulated: the model is broken"
    }
    assert client.get(f"/v1/halls/flagship/tickets/{ticket}/eta").status_code == 200
    etas = client.app.state.etas  # type: ignore[attr-defined]
    assert etas.requests == {("flagship", "failed"): 1, ("flagship", "ok"): 1}
