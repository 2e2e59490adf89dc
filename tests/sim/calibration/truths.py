"""Known halls for the recovery matrix of ``hallsim fit`` (issue 13): each one
chosen to expose one way a fit can go wrong, logged as a real ticket system
would, fitted back and compared with the truth.

* ``zero_delay``: ``no_show_delay: 0`` (the default), two priority layers, a
  faster counter group with a shift and a lunch break serving only some
  services; lognormal VIP patience, exponential for the rest.
* ``gamma_fixed``: gamma patience in both segments, a fixed service time, an
  overloaded afternoon and a group whose shift ends off the statistics grid.
* ``few_give_ups``: a quiet hall whose customers are patient (lognormal with a
  long mean, and a segment nobody leaves): a few dozen give-ups or none, most
  of the patience distribution beyond the waits the log holds.
"""

from __future__ import annotations

from typing import Any

from sim.model.scenario import Scenario, scenario_from_dict

_BASE: dict[str, Any] = {
    "open": "09:00",
    "close": "18:00",
    "interval": "15m",
    "target": {"wait": "10m", "service_level": 0.8},
    "closing": "serve_all",
}

TRUTHS: dict[str, dict[str, Any]] = {
    "zero_delay": _BASE
    | {
        "hall": "zero_delay",
        "no_show_delay": "0s",
        "services": {
            "consult": {"service_time": {"dist": "lognormal", "mean": "5m", "cv": 0.8}},
            "business": {"service_time": {"dist": "gamma", "mean": "10m", "cv": 0.6}},
            "payment": {"service_time": {"dist": "exponential", "mean": "3m"}},
        },
        "segments": {
            "vip": {
                "share": 0.2,
                "priority": 0,
                "patience": {"dist": "lognormal", "mean": "6m", "cv": 0.6},
            },
            "regular": {
                "share": 0.8,
                "priority": 1,
                "patience": {"dist": "exponential", "mean": "20m"},
            },
        },
        "arrivals": {
            "mix": {"consult": 0.3, "business": 0.4, "payment": 0.3},
            "rate_per_hour": {"09:00": 30, "11:00": 42, "14:00": 38, "16:00": 44},
        },
        "counters": [
            {
                "id": "G",
                "count": {"09:00": 3, "12:00": 2, "13:00": 3},
                "services": ["business", "consult", "payment"],
            },
            {
                "id": "F",
                "count": 1,
                "services": ["payment", "consult"],
                "speed": 1.3,
                "shift": "09:00-17:00",
                "breaks": ["12:00-12:30"],
            },
        ],
    },
    "gamma_fixed": _BASE
    | {
        "hall": "gamma_fixed",
        "no_show_delay": "15s",
        "services": {
            "check": {"service_time": {"dist": "fixed", "mean": "4m"}},
            "business": {"service_time": {"dist": "lognormal", "mean": "8m", "cv": 0.9}},
        },
        "segments": {
            "vip": {
                "share": 0.3,
                "priority": 0,
                "patience": {"dist": "gamma", "mean": "15m", "cv": 0.5},
            },
            "regular": {
                "share": 0.7,
                "priority": 1,
                "patience": {"dist": "gamma", "mean": "25m", "cv": 0.7},
            },
        },
        "arrivals": {
            "mix": {"check": 0.5, "business": 0.5},
            "rate_per_hour": {"09:00": 30, "10:00": 40, "13:00": 48, "16:00": 36},
        },
        "counters": [
            {
                "id": "G",
                "count": {"09:00": 3, "12:15": 2, "13:15": 3},
                "services": ["business", "check"],
            },
            {
                "id": "C",
                "count": 1,
                "services": ["check"],
                "speed": 0.8,
                "shift": "10:00-16:40",
            },
        ],
    },
    "few_give_ups": _BASE
    | {
        "hall": "few_give_ups",
        "no_show_delay": "0s",
        "services": {
            "consult": {"service_time": {"dist": "gamma", "mean": "6m", "cv": 0.7}},
            "payment": {"service_time": {"dist": "exponential", "mean": "3m"}},
        },
        "segments": {
            "vip": {
                "share": 0.25,
                "priority": 0,
                "patience": {"dist": "gamma", "mean": "90m", "cv": 0.3},
            },
            "regular": {
                "share": 0.75,
                "priority": 1,
                "patience": {"dist": "lognormal", "mean": "50m", "cv": 0.3},
            },
        },
        "arrivals": {
            "mix": {"consult": 0.5, "payment": 0.5},
            "rate_per_hour": {"09:00": 20, "12:00": 24, "15:00": 22},
        },
        "counters": [
            {
                "id": "G",
                "count": {"09:00": 3, "12:00": 2, "13:30": 3},
                "services": ["consult", "payment"],
            },
        ],
    },
}


def truth(name: str, **changes: Any) -> Scenario:
    """The truth ``name`` as a scenario, with top-level keys replaced."""
    return scenario_from_dict(TRUTHS[name] | changes, source=name)
