"""Held-out halls for the honesty checks of the patience fit (issue 19, item
7): one county-sized hall (two segments, VIP called first, so VIP's waits are
short and its patience barely seen while the regulars' is seen well), its
customers' patience drawn from each family the fit knows, logged both ways a
ticket system logs give-ups, with and without a no-show delay. None of these
halls was used to design the fit; the recovery halls are in
:mod:`tests.sim.calibration.truths`.

Each case is simulated once per seed; both logs of a seed come from the same
days (the ``exact`` log is the ``no_show`` log plus the moments people left).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sim.calibration.fit import FitResult, collect, fit_log
from sim.eventlog.convert import day_events, simulate_days
from sim.eventlog.events import AbandonEvents
from sim.model.scenario import Scenario, scenario_from_dict

START = date(2026, 3, 2)

# family -> patience of (vip, regular): means and cvs a hall's customers could have
PATIENCE: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "exponential": (
        {"dist": "exponential", "mean": "10m"},
        {"dist": "exponential", "mean": "12m"},
    ),
    "gamma": (
        {"dist": "gamma", "mean": "12m", "cv": 0.5},
        {"dist": "gamma", "mean": "15m", "cv": 0.6},
    ),
    "lognormal": (
        {"dist": "lognormal", "mean": "15m", "cv": 0.9},
        {"dist": "lognormal", "mean": "20m", "cv": 0.8},
    ),
    "weibull": (
        {"dist": "weibull", "mean": "10m", "cv": 1.5},
        {"dist": "weibull", "mean": "14m", "cv": 0.7},
    ),
}
DELAYS = ("0s", "20s")


def hall(family: str, no_show_delay: str) -> Scenario:
    """The held-out hall with ``family`` patience and this no-show delay."""
    vip, regular = PATIENCE[family]
    return scenario_from_dict(
        {
            "hall": f"heldout-{family}",
            "open": "08:30",
            "close": "17:30",
            "interval": "30m",
            "target": {"wait": "15m", "service_level": 0.8},
            "closing": "serve_all",
            "no_show_delay": no_show_delay,
            "services": {
                "consult": {"service_time": {"dist": "lognormal", "mean": "5m", "cv": 0.9}},
                "business": {"service_time": {"dist": "gamma", "mean": "10m", "cv": 0.8}},
                "payment": {"service_time": {"dist": "exponential", "mean": "3m"}},
            },
            "segments": {
                "vip": {"share": 0.3, "priority": 0, "patience": vip},
                "regular": {"share": 0.7, "priority": 1, "patience": regular},
            },
            "arrivals": {
                "mix": {"consult": 0.3, "business": 0.4, "payment": 0.3},
                "rate_per_hour": {"08:30": 13, "10:00": 22, "12:00": 13, "14:00": 19, "16:00": 16},
            },
            "counters": [
                {"id": "C", "count": 2, "services": ["business", "consult", "payment"]},
                {
                    "id": "P",
                    "count": 1,
                    "services": ["payment", "consult", "business"],
                    "breaks": ["12:00-13:30"],
                },
            ],
        },
        source=f"heldout-{family}",
    )


@dataclass(frozen=True)
class Case:
    """One held-out log: the patience family, how give-ups were logged, the
    no-show delay, the seed and the days."""

    family: str
    mode: AbandonEvents
    delay: str
    seed: int
    days: int = 30


@cache
def _days(family: str, delay: str, seed: int, days: int) -> tuple[Scenario, list[Any]]:
    scn = hall(family, delay)
    return scn, list(simulate_days(scn, days, START, seed))


def fitted(case: Case) -> tuple[Scenario, FitResult]:
    """The truth of ``case`` and the fit of its log."""
    scn, days = _days(case.family, case.delay, case.seed, case.days)
    events = (e for day, r in days for e in day_events(r, scn, day, case.mode))
    return scn, fit_log(collect(events))
