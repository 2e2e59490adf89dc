"""The HTTP API: every status of the ingest contract, atomic batches,
idempotency, and the read endpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2  # the TestClient's own HTTP client: Starlette prefers it to httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from monitor.core.config import Settings, load_settings
from monitor.server.app import create_app
from sim.eventlog.events import Event
from tests.monitor.conftest import ENV, as_json, auth, write_config

URL = "/v1/halls/{}/events"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, background=False)) as c:
        yield c


def _post(
    client: TestClient,
    events: list[dict[str, str]],
    hall: str = "county",
    headers: dict[str, str] | None = None,
) -> httpx2.Response:
    sent = auth(hall) if headers is None else headers
    response: httpx2.Response = client.post(URL.format(hall), json=events, headers=sent)
    return response


def _state(client: TestClient, hall: str = "county") -> dict[str, object]:
    response = client.get(f"/v1/halls/{hall}/state")
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def test_accepts_a_batch_and_is_idempotent(client: TestClient, flagship_day: list[Event]) -> None:
    batch = as_json(flagship_day[:300])
    first = _post(client, batch, "flagship")
    assert first.status_code == 200 and first.json() == {"accepted": 300, "duplicates": 0}
    before = _state(client, "flagship")
    again = _post(client, batch, "flagship")
    assert again.json() == {"accepted": 0, "duplicates": 300}
    after = _state(client, "flagship")
    wall = {"ingested", "silent_s"}  # counts since start, and the wall clock's
    assert {k: v for k, v in after.items() if k not in wall} == {
        k: v for k, v in before.items() if k not in wall
    }
    mixed = _post(client, as_json(flagship_day[250:350]), "flagship")
    assert mixed.json() == {"accepted": 50, "duplicates": 50}
    assert client.app.state.monitor.stored("flagship") == 350  # type: ignore[attr-defined]


def test_json_lines_body(client: TestClient, county_day: list[Event]) -> None:
    body = "\n".join(json.dumps(e, ensure_ascii=False) for e in as_json(county_day[:20])) + "\n"
    response = client.post(
        URL.format("county"),
        content=body.encode(),
        headers=auth("county") | {"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200 and response.json()["accepted"] == 20


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer wrong"}, 401), ({"Authorization": "Basic abc"}, 401)],
)
def test_no_or_wrong_token_is_401(
    client: TestClient, county_day: list[Event], headers: dict[str, str], status: int
) -> None:
    response = _post(client, as_json(county_day[:5]), headers=headers)
    assert response.status_code == status
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.app.state.monitor.stored() == 0  # type: ignore[attr-defined]


def test_another_halls_token_is_403(client: TestClient, county_day: list[Event]) -> None:
    response = _post(client, as_json(county_day[:5]), headers=auth("flagship"))
    assert response.status_code == 403 and "county" in response.json()["detail"]


def test_events_naming_another_hall_are_403_and_nothing_is_stored(
    client: TestClient, county_day: list[Event]
) -> None:
    batch = as_json(county_day[:10])
    batch[7] = batch[7] | {"hall": "flagship"}
    response = _post(client, batch)
    assert response.status_code == 403
    assert response.json()["detail"][0]["index"] == 7
    assert client.app.state.monitor.stored() == 0  # type: ignore[attr-defined]


def test_unknown_hall_is_404(client: TestClient, county_day: list[Event]) -> None:
    response = client.post(URL.format("atlantis"), json=[], headers=auth("county"))
    assert response.status_code == 404 and "atlantis" in response.json()["detail"]
    assert client.get("/v1/halls/atlantis/state").status_code == 404


def test_too_large_is_413(client: TestClient, county_day: list[Event]) -> None:
    big = as_json(county_day) * 80  # well over the 2 MB limit of the test config
    response = _post(client, big)
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    # also when the client does not declare a length (chunked upload)
    body = json.dumps(big).encode()
    response = client.post(
        URL.format("county"),
        content=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
        headers=auth("county"),
    )
    assert response.status_code == 413
    assert client.app.state.monitor.stored() == 0  # type: ignore[attr-defined]


def test_one_bad_event_rejects_the_whole_batch(client: TestClient, county_day: list[Event]) -> None:
    batch = as_json(county_day[:50])
    batch[3] = batch[3] | {"ts": "2026-03-02 09:00"}
    batch[9] = {k: v for k, v in batch[9].items() if k != "kind"}
    batch[12] = batch[12] | {"colour": "red"}
    response = _post(client, batch)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert [(p["index"], p["field"]) for p in problems] == [(3, "ts"), (9, "kind"), (12, "colour")]
    assert all(p["reason"] for p in problems)
    assert client.app.state.monitor.stored() == 0  # type: ignore[attr-defined]
    assert _state(client)["ingested"] == {
        "accepted": 0, "duplicate": 0, "rejected": 50, "future": 0, "error": 0,
        "conflict": 0, "backwards": 0,
    }  # fmt: skip


@pytest.mark.parametrize("body", [b"{not json", b'{"id": "x"}', b"", b"[1, 2]", b"\xff\xfe"])
def test_malformed_bodies_are_422_not_500(client: TestClient, body: bytes) -> None:
    response = client.post(
        URL.format("county"),
        content=body,
        headers=auth("county") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["reason"]


@pytest.mark.parametrize(
    "ts", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+08:00", "1970-01-01T00:00:00Z"]
)
def test_timestamps_without_a_local_date_are_422(client: TestClient, ts: str) -> None:
    event = {"id": "x", "hall": "county", "kind": "counter_opened", "counter": "C1", "ts": ts}
    response = _post(client, [event])
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {"index": 0, "field": "ts", "reason": response.json()["detail"][0]["reason"]}
    ]
    assert "outside 1970-01-02..9999-12-30" in response.json()["detail"][0]["reason"]


def test_bad_json_line_names_its_index(client: TestClient, county_day: list[Event]) -> None:
    lines = [json.dumps(e) for e in as_json(county_day[:4])]
    lines.insert(2, "{broken")
    response = client.post(
        URL.format("county"),
        content="\n".join(lines).encode(),
        headers=auth("county") | {"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 422 and response.json()["detail"][0]["index"] == 2


def test_read_endpoints(client: TestClient, county_day: list[Event]) -> None:
    _post(client, as_json(county_day[:200]))
    halls = client.get("/v1/halls").json()
    assert [h["id"] for h in halls] == ["county", "flagship"]
    assert halls[0]["last_event"].endswith("+08:00")
    state = _state(client)
    assert state["day"] == "2026-03-02" and str(state["now"]).startswith("2026-03-02T")
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    forecast = client.get("/v1/halls/county/forecast")
    assert forecast.status_code == 404 and "turned off" in forecast.json()["detail"]
    nowcast = client.get("/v1/halls/county/nowcast").json()
    assert nowcast["computed_at"] is None and nowcast["services"] == []
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'hall_info{city="广州",district="从化区",hall="county",name="县城营业厅"} 1.0' in (
        metrics.text
    )
    assert "_created" not in metrics.text


_TIMES = ["2026-03-02T09:00:00+08:00", "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+08:00"]
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
_FIELD = st.sampled_from(["id", "hall", "ts", "kind", "ticket", "service", "segment", "counter"])
_EVENTISH = st.dictionaries(
    _FIELD,
    _SCALARS
    | st.sampled_from(
        ["county", "flagship", "ticket_issued", "ticket_called", "counter_opened", "C1", *_TIMES]
    ),
)


_NEARLY_VALID = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=5),
        "hall": st.sampled_from(["county", "flagship"]),
        "kind": st.just("counter_opened"),
        "counter": st.just("C1"),
        "ts": st.sampled_from(_TIMES) | st.datetimes().map(lambda d: d.isoformat() + "Z"),
    }
)


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    directory = tmp_path_factory.mktemp("fuzz")
    app = create_app(load_settings(write_config(directory), environ=ENV), background=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(_NEARLY_VALID | _EVENTISH, max_size=5) | _JSON)
def test_no_body_gets_a_500(shared_client: TestClient, body: object) -> None:
    """Whatever JSON a client sends, the reply is an answer (200 or a 4xx with a
    reason), never a server error."""
    content = json.dumps(body).encode()  # NaN and Infinity too: not JSON, a client may send them
    response = shared_client.post(URL.format("county"), content=content, headers=auth("county"))
    assert response.status_code in (200, 403, 422), response.text
    if response.status_code != 200:
        assert response.json()["detail"]
