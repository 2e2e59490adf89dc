"""A nightly candidate (:mod:`sim.learning.refit`): the configured scenario's
structure with the log's demand and service; a hall with kiosks issues as many
tickets as its log shows; the candidate is a scenario hallsim reads back, its
week included; the back-test (:mod:`sim.learning.backtest`) ranks the truth
above a wrong model on days neither saw."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from sim.eventlog.convert import calendar_days, day_events
from sim.eventlog.events import Event
from sim.learning.backtest import Score, backtest_models, better
from sim.learning.refit import fit_candidate
from sim.live.demandlevel import expected_tickets
from sim.model.days import day_scenario
from sim.model.scenario import load_scenario, parse_yaml, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict, scenario_yaml
from tests.monitor.conftest import ROOT

HALLS = ROOT / "tests/monitor/background/halls"
START = date(2026, 3, 2)
Days = list[tuple[date, list[Event]]]


def logged(scn_path: str, days: int, seed: int = 7) -> Days:
    scn = load_scenario(HALLS / scn_path)
    return [
        (d, day_events(r, one, d, "no_show")) for d, one, r in calendar_days(scn, days, START, seed)
    ]


@pytest.fixture(scope="module")
def weeks() -> Days:
    return logged("truth.yaml", 28)


def test_the_candidate_keeps_the_configuration_and_takes_the_log(weeks: Days) -> None:
    wrong = load_scenario(HALLS / "wrong.yaml")
    wrong = wrong.model_copy(update={"holidays": {date(2026, 5, 1): {"closed": True}}})
    wrong = scenario_from_dict(scenario_to_dict(wrong))
    candidate = fit_candidate((e for _, events in weeks[:21] for e in events), wrong)
    learned, truth = candidate.scenario, load_scenario(HALLS / "truth.yaml")
    assert candidate.days[0] == START and len(candidate.days) == 21
    # kept from the configuration
    assert learned.holidays == wrong.holidays
    assert [(g.id, g.count, g.services, g.segments) for g in learned.counters] == [
        (g.id, g.count, g.services, g.segments) for g in wrong.counters
    ]
    assert {k: (s.priority, s.name) for k, s in learned.segments.items()} == {
        k: (s.priority, s.name) for k, s in wrong.segments.items()
    }
    # from the log: the truth's demand, mix, service times and week
    for day in (START, START + timedelta(days=1), START + timedelta(days=5)):
        ours, known = day_scenario(learned, day), day_scenario(truth, day)
        assert ours is not None and known is not None
        ratio = expected_tickets(ours, ours.close) / expected_tickets(known, known.close)
        assert ratio == pytest.approx(1.0, abs=0.08), (day, ratio)
    assert day_scenario(learned, START + timedelta(days=6)) is None  # Sundays closed
    for name, share in truth.arrivals.mix.items():
        assert learned.arrivals.mix[name] == pytest.approx(share, abs=0.02)
    for name, known_service in truth.services.items():
        assert learned.services[name].service_time.mean_s == pytest.approx(
            known_service.service_time.mean_s, rel=0.05
        )
    # a valid scenario that reads back as itself, week and all
    text = scenario_yaml(learned)
    assert "week:" in text
    assert scenario_from_dict(parse_yaml(text, source="candidate")) == learned


def test_kiosks_take_their_share_of_the_customers_not_of_the_tickets(weeks: Days) -> None:
    """A configured kiosk takes half of the payments: the log's payment tickets
    are half of the customers, so the candidate brings twice as many, and
    issues as many tickets as the log."""
    base = load_scenario(HALLS / "wrong.yaml")
    with_kiosk = scenario_from_dict(
        scenario_to_dict(base)
        | {"kiosks": [{"id": "K", "count": 2, "services": ["payment"], "share": 0.5}]}
    )
    plain = fit_candidate((e for _, ev in weeks[:14] for e in ev), base).scenario
    kiosk = fit_candidate((e for _, ev in weeks[:14] for e in ev), with_kiosk).scenario
    day = START + timedelta(days=1)
    a, b = day_scenario(plain, day), day_scenario(kiosk, day)
    assert a is not None and b is not None
    assert expected_tickets(b, b.close) == pytest.approx(expected_tickets(a, a.close), rel=1e-3)
    assert b.arrivals.mix["payment"] / a.arrivals.mix["payment"] > 1.3  # more customers ask for it


def test_the_back_test_ranks_the_truth_above_a_wrong_model(weeks: Days) -> None:
    truth, wrong = load_scenario(HALLS / "truth.yaml"), load_scenario(HALLS / "wrong.yaml")
    scores = backtest_models({"truth": truth, "wrong": wrong}, weeks[-4:], replications=6)
    assert better(scores["truth"], scores["wrong"]) and not better(scores["wrong"], scores["truth"])
    assert scores["truth"].arrivals_wmape < 20 < scores["wrong"].arrivals_wmape
    assert scores["truth"].cells == scores["wrong"].cells > 0
    again = Score.from_json(scores["truth"].to_json())
    assert again.days == scores["truth"].days
    assert again.arrivals_wmape == pytest.approx(scores["truth"].arrivals_wmape, abs=0.01)
    nothing = Score(math.nan, math.nan, math.nan, 0, ())
    assert not better(nothing, scores["wrong"]) and better(scores["wrong"], nothing)
