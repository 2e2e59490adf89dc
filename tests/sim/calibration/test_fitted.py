"""``fit_hall``: a hall fitted from its log in one call, as the nightly re-fit
of a hall's model uses it. The configured scenario lends what a log cannot
tell; the typed summary's JSON is the ``--json`` body."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sim.calibration.fit import FitError, collect
from sim.calibration.fitted import fit_hall
from sim.calibration.summary import FitSummary
from sim.eventlog.convert import day_events, simulate_days
from sim.eventlog.events import Event
from sim.model.scenario import Scenario, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict
from tests.sim.calibration.truths import truth


def _configured() -> Scenario:
    """The zero_delay hall as a planner configured it: names for people, a
    turn_away closing, its own target and interval."""
    data = scenario_to_dict(truth("zero_delay"))
    data["name"] = "零延迟营业厅"
    data["closing"] = "turn_away"
    data["target"] = {"wait": "10m", "service_level": 0.9}
    data["interval"] = "30m"
    data["services"]["consult"]["name"] = "咨询"
    data["segments"]["vip"]["name"] = "全球通VIP"
    return scenario_from_dict(data)


def _events(scn: Scenario, days: int = 4) -> list[Event]:
    return [
        e
        for day, r in simulate_days(scn, days, date(2026, 3, 2), 5)
        for e in day_events(r, scn, day, "no_show")
    ]


def test_the_configured_scenario_lends_what_a_log_cannot_tell() -> None:
    configured = _configured()
    events = _events(configured)
    fitted = fit_hall(events, configured)
    scn = fitted.scenario
    assert scn.hall == configured.hall and scn.name == "零延迟营业厅"
    assert (scn.target.wait, scn.target.service_level) == (600.0, 0.9)
    assert scn.interval == 1800.0 == fitted.result.arrivals.interval_s
    assert scn.closing == "turn_away"
    assert scn.services["consult"].name == "咨询" and scn.services["payment"].name is None
    assert scn.segments["vip"].name == "全球通VIP"
    # what the log tells comes from the log: the same as a fit without the configuration
    plain = fit_hall(collect(events), interval_s=1800.0)
    assert plain.scenario.hall == configured.hall
    assert plain.scenario.arrivals == scn.arrivals
    assert plain.scenario.segments["vip"].patience == scn.segments["vip"].patience
    # keywords win over the configuration
    override = fit_hall(events, configured, target_wait_s=300.0, interval_s=900.0)
    assert override.scenario.target.wait == 300.0 and override.scenario.interval == 900.0


def test_a_log_of_another_hall_is_refused() -> None:
    configured = _configured()
    other = scenario_from_dict(scenario_to_dict(configured) | {"hall": "elsewhere"})
    with pytest.raises(FitError, match="the log is of hall elsewhere, not zero_delay"):
        fit_hall(_events(other, days=1), configured)
    with pytest.raises(FitError, match="no tickets"):
        fit_hall([], configured)


def test_the_summary_is_typed_until_its_json() -> None:
    fitted = fit_hall(_events(_configured()))
    summary = FitSummary(fitted.result, out="fitted.yaml", plots=("r/fit.html",))
    body = summary.to_json()
    assert list(body)[-3:] == ["skipped_lines", "out", "plots"] and "by_weekday" not in body
    assert body["out"] == "fitted.yaml" and body["plots"] == ["r/fit.html"]
    for name, p in fitted.result.patience.items():
        shown = body["patience"][name]
        assert shown["chosen"] == p.chosen
        lo, hi = p.mean_range_s
        assert shown["mean_range_s"][0] == pytest.approx(lo, abs=1e-4)
        assert shown["mean_range_s"][1] is None or shown["mean_range_s"][1] == pytest.approx(hi)
        assert [f["plausible"] for f in shown["fits"]] == [f.plausible for f in p.fits]
    json.dumps(body, allow_nan=False)  # JSON as it is: no NaN or infinity left in it
