"""A new hall's sketch completed by the cold start (:mod:`sim.model.coldstart`):
the stated default (every counter 70% busy at 5 minutes a customer, patience
20 minutes, day noise 0.2), a template hall's service times, mix, segments and
load, and a sketch that lacks what it needs named."""

from __future__ import annotations

from typing import Any

import pytest

from sim.model.coldstart import DEFAULT, cold_start, is_sketch, offered_load
from sim.model.scenario import ScenarioError, load_scenario
from tests.monitor.conftest import ROOT

SKETCH: dict[str, Any] = {
    "hall": "newtown",
    "target": {"wait": "15m"},
    "open": "09:00",
    "close": "18:00",
    "counters": [
        {
            "id": "B",
            "count": {"09:00": 3, "12:00": 2, "13:00": 3},
            "services": ["consult", "business"],
        },
        {"id": "V", "count": 1, "services": ["business"], "segments": ["vip"]},
    ],
    "segments": {"vip": {"name": "VIP", "share": 0.1}, "mass": {"share": 0.9}},
}


def test_the_stated_default() -> None:
    scn = cold_start(SKETCH)
    assert is_sketch(SKETCH) and not is_sketch({"arrivals": {}})
    assert offered_load(scn) == pytest.approx(DEFAULT.load)
    assert scn.arrivals.rate_per_hour == (
        (9 * 3600.0, 33.6), (12 * 3600.0, 25.2), (13 * 3600.0, 33.6),
    )  # 70% of 4, 3 and 4 counters at 12 customers an hour each  # fmt: skip
    assert {s.service_time.mean_s for s in scn.services.values()} == {300.0}
    assert scn.segments["vip"].name == "VIP" and scn.segments["vip"].share == 0.1
    assert all(s.patience is not None and s.patience.mean_s == 1200 for s in scn.segments.values())
    assert scn.arrivals.day_noise_cv == 0.2


def test_a_template_lends_its_service_times_mix_and_load() -> None:
    template = load_scenario(ROOT / "tests/monitor/background/halls/truth.yaml")
    scn = cold_start(SKETCH, template)
    assert scn.services["business"].service_time == template.services["business"].service_time
    assert scn.arrivals.mix == pytest.approx({"consult": 3 / 7, "business": 4 / 7}, abs=1e-6)
    assert offered_load(scn) == pytest.approx(offered_load(template), rel=1e-3)
    assert scn.segments["vip"].patience == template.segments["vip"].patience


def test_a_sketch_without_counters_or_with_a_bad_key_is_refused() -> None:
    with pytest.raises(ScenarioError, match="counters: a new hall's sketch needs its counters"):
        cold_start({k: v for k, v in SKETCH.items() if k != "counters"})
    with pytest.raises(ScenarioError, match="unknown key `opne`"):
        cold_start(SKETCH | {"opne": "09:00"})
