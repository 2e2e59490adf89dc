"""``/openapi.json`` documents every route's body and every status it answers
with, and the documented models describe the bodies actually served."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from monitor.api.futuremodels import ForecastBody, NowcastBody
from monitor.api.learning import ModelBody
from monitor.api.models import (
    ErrorBody,
    HallStateBody,
    HallSummary,
    Health,
    HistoryBody,
    IngestResult,
    Readiness,
)
from monitor.core.config import Settings
from monitor.core.modelconfig import ForecastConfig
from monitor.core.monitor import Monitor
from monitor.core.snapshot import NowcastNow
from monitor.server.app import create_app
from monitor.web.alerts import AlertsBody
from sim.eventlog.events import Event
from sim.live.forecast import forecast_day
from tests.monitor.conftest import as_json, auth

# route -> the error statuses it must document
ERRORS = {
    ("post", "/v1/halls/{hall}/events"): {401, 403, 404, 413, 415, 422, 429, 503},
    ("get", "/v1/halls"): set(),
    ("get", "/v1/halls/{hall}/state"): {404},
    ("get", "/v1/halls/{hall}/history"): {404},
    ("get", "/v1/alerts"): set(),
    ("get", "/v1/halls/{hall}/forecast"): {404, 503},
    ("get", "/v1/halls/{hall}/nowcast"): {404},
    ("get", "/v1/halls/{hall}/tickets/{ticket}/eta"): {404, 422, 503},
    ("get", "/v1/halls/{hall}/model"): {404},
    ("get", "/v1/halls/{hall}/quarantine"): {401, 404, 422},
    ("get", "/v1/halls/{hall}/conflicts"): {401, 404, 422},
    ("get", "/v1/cities"): set(),
    ("get", "/v1/cities/{city}/halls"): {404, 422},
    ("get", "/v1/cities/{city}/outline"): {404},
    ("get", "/metrics"): set(),
    ("get", "/healthz"): set(),
    ("get", "/readyz"): {503},
}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, background=False)) as c:
        yield c


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return found


def test_every_route_documents_its_body_and_error_statuses(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    routes = {(m, p): op for p, ops in doc["paths"].items() for m, op in ops.items()}
    assert set(routes) == set(ERRORS)
    for route, op in routes.items():
        responses = op["responses"]
        assert "200" in responses, route
        for status, response in responses.items():
            (media, body), *_ = response["content"].items()
            schema = _resolve(doc, body["schema"])
            assert schema, (route, status)  # not the empty schema
            if media == "application/json":
                assert schema.get("properties") or schema.get("items"), (route, status)
        documented = {int(s) for s in responses if s != "200"}
        assert ERRORS[route] <= documented, route
        for status in ERRORS[route]:
            ref = responses[str(status)]["content"]["application/json"]["schema"]["$ref"]
            expected = "Readiness" if route[1] == "/readyz" else "ErrorBody"
            assert ref.endswith("/" + expected), (route, status)
            assert responses[str(status)]["description"], (route, status)
    events = routes[("post", "/v1/halls/{hall}/events")]
    assert "WWW-Authenticate" in events["responses"]["401"]["headers"]
    assert events["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    forecast = routes[("get", "/v1/halls/{hall}/forecast")]
    assert "Retry-After" in forecast["responses"]["503"]["headers"]
    detail = _resolve(doc, {"$ref": "#/components/schemas/ErrorBody"})["properties"]["detail"]
    assert len(detail["anyOf"]) == 2  # a reason, or the list of bad events


def _described(model: type[BaseModel], body: Any) -> None:
    """``body`` is exactly what ``model`` describes: nothing missing, nothing extra."""
    parsed = model.model_validate(body)
    assert parsed.model_dump(mode="json", exclude_unset=True) == body


def test_the_models_describe_the_bodies_served(client: TestClient, county_day: list[Event]) -> None:
    posted = client.post(
        "/v1/halls/county/events", json=as_json(county_day), headers=auth("county")
    )
    _described(IngestResult, posted.json())
    bad = client.post("/v1/halls/county/events", json=[{"id": "x"}], headers=auth("county"))
    assert bad.status_code == 422
    _described(ErrorBody, bad.json())
    unknown = client.get("/v1/halls/atlantis/state")
    assert unknown.status_code == 404
    _described(ErrorBody, unknown.json())
    for summary in client.get("/v1/halls").json():
        _described(HallSummary, summary)
    _described(HallStateBody, client.get("/v1/halls/county/state").json())
    _described(HistoryBody, client.get("/v1/halls/county/history").json())
    _described(AlertsBody, client.get("/v1/alerts").json())
    _described(NowcastBody, client.get("/v1/halls/county/nowcast").json())
    _described(Health, client.get("/healthz").json())
    _described(Readiness, client.get("/readyz").json())
    _described(ModelBody, client.get("/v1/halls/county/model").json())
    off = client.get("/v1/halls/county/forecast")
    assert off.status_code == 404
    _described(ErrorBody, off.json())


def test_the_models_describe_the_forecast_and_nowcast_served(
    settings: Settings, county_day: list[Event]
) -> None:
    """With a forecast and a nowcast (computed here, as the background would)."""
    forecast_on = settings.model_copy(update={"forecast": ForecastConfig(replications=2)})
    morning = as_json(county_day[: len(county_day) // 2])  # open: the nowcast is shown
    with TestClient(create_app(forecast_on, background=False)) as client:
        client.post("/v1/halls/county/events", json=morning, headers=auth("county"))
        monitor: Monitor = client.app.state.monitor  # type: ignore[attr-defined]
        waiting = client.get("/v1/halls/county/forecast")
        assert waiting.status_code == 503 and waiting.headers["retry-after"] == "10"
        _described(ErrorBody, waiting.json())
        day = monitor.day("county")
        scn = monitor.hall("county").scenario
        monitor.publish_forecasts("county", (day, forecast_day(scn, replications=2, seed=1)), None)
        monitor.publish_nowcast(
            "county",
            NowcastNow(
                computed_s=monitor.now_s("county"),
                wait_s={("consult", "0m"): 120.0, ("payment", "15m"): 30.0},
                breach_probability={"0m": 0.25},
                present_queue={"consult": 1.5},
            ),
        )
        replies = [client.get(f"/v1/halls/county/{what}") for what in ("forecast", "nowcast")]
    assert [r.status_code for r in replies] == [200, 200]
    _described(ForecastBody, replies[0].json())
    _described(NowcastBody, replies[1].json())
    assert replies[1].json()["breach_probability"]["0m"] == 0.25
