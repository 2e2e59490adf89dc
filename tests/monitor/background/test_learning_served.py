"""The learning as the app serves it: ``/v1/halls/{hall}/model`` and the
``hall_model_*`` families while a hall learns, then with its fitted model; a
new hall configured with only hours, counters and target starts from the
documented cold-start model and says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

import monitor.background.learn
from monitor.core.config import load_settings
from monitor.server.app import create_app
from tests.monitor.background import learning
from tests.monitor.background.learning import ENV, TOKEN, hall_days, learning_config, truth

DEADLINE_S = 120.0  # a fit of a week in a worker process, on a loaded machine
T = TypeVar("T")


def wait_for(fetch: Callable[[], T], ready: Callable[[T], bool], what: str) -> T:
    return learning.wait_for(fetch, ready, what, DEADLINE_S)


def families(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name.startswith("hall_model")
    }


def test_model_and_metrics_while_learning_and_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monitor.background.learn, "LEARN_CHECK_S", 0.2)
    settings = load_settings(learning_config(tmp_path, extra="workers: 2"), environ=ENV)
    days = list(hall_days(truth(), 9))
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def model(c: TestClient) -> dict[str, Any]:
        reply = c.get("/v1/halls/learner/model")
        assert reply.status_code == 200
        body: dict[str, Any] = reply.json()
        return body

    with TestClient(create_app(settings)) as c:
        for _, events in days[:4]:
            c.post("/v1/halls/learner/events", json=[e.as_row() for e in events], headers=auth)
        body = wait_for(lambda: model(c), lambda b: b["learning"]["days"] == 3, "learning 3 days")
        assert (body["version"], body["source"], body["pinned"]) == (1, "configured", False)
        assert body["learning"] == {
            "enabled": True, "night": "2026-03-04", "days": 3, "needed": 7, "running": False,
        }  # fmt: skip
        found = families(c.get("/metrics").text)
        assert (
            found[
                ("hall_model_version", frozenset({("hall", "learner"), ("source", "configured")}))
            ]
            == 1
        )
        assert found[("hall_model_learning_days", frozenset({("hall", "learner")}))] == 3
        assert found[("hall_model_pinned", frozenset({("hall", "learner")}))] == 0

        for _, events in days[4:]:
            c.post("/v1/halls/learner/events", json=[e.as_row() for e in events], headers=auth)
        body = wait_for(lambda: model(c), lambda b: b["source"] == "fitted", "a fitted model")
        assert body["version"] == 2 and len(body["fitted_days"]) == 6
        assert body["backtest"]["against"] == 1
        b = body["backtest"]
        assert b["candidate"]["arrivals_wmape"] < b["replaced"]["arrivals_wmape"]
        assert [h["action"] for h in body["history"]] == ["adopted", "configured"]
        assert [v["version"] for v in body["versions"]] == [2, 1]
        found = families(c.get("/metrics").text)
        hall = ("hall", "learner")
        assert found[("hall_model_version", frozenset({hall, ("source", "fitted")}))] == 2
        in_use = found[
            (
                "hall_model_backtest_wmape_ratio",
                frozenset({hall, ("quantity", "arrivals"), ("model", "in_use")}),
            )
        ]
        assert in_use == pytest.approx(b["candidate"]["arrivals_wmape"] / 100)
        assert found[("hall_model_age_seconds", frozenset({hall}))] >= 0
        # the forecast follows the new model (a new version, new forecasts)
        forecast = wait_for(
            lambda: c.get("/v1/halls/learner/forecast"), lambda r: r.status_code == 200, "forecast"
        )
        assert forecast.json()["day"] == "2026-03-10"


def test_a_new_hall_starts_from_the_cold_start_model(tmp_path: Path) -> None:
    sketch = tmp_path / "newtown.yaml"
    sketch.write_text(
        """
hall: learner
name: 新城营业厅
target: {wait: 15m}
open: "09:00"
close: "18:00"
segments: {vip: {name: VIP, share: 0.1}, mass: {share: 0.9}}
counters:
  - {id: B, count: 4, services: [consult, business, payment]}
  - {id: V, count: 1, services: [business], segments: [vip]}
""",
        encoding="utf-8",
    )
    settings = load_settings(learning_config(tmp_path, scenario=sketch), environ=ENV)
    (hall,) = settings.halls
    assert hall.source == "cold_start"
    scn = hall.scenario
    assert scn.arrivals.rate_per_hour == ((9 * 3600.0, 0.7 * 5 * 3600 / 300),)  # 70% of 5 counters
    with TestClient(create_app(settings, background=False)) as c:
        body = c.get("/v1/halls/learner/model").json()
    assert (body["version"], body["source"]) == (1, "cold_start")
    assert body["history"][0]["detail"] == "cold start in use"
