"""Small halls and rules for roster tests: a two-group hall open 09:00–17:00
with a short Saturday and a closed Sunday, its full-time and part-time
contracts, and a staff file writer."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

from sim.model.scenario import Scenario, scenario_from_dict
from sim.model.week import WEEKDAYS
from sim.planning.roster.rules import RosterRules, rules_from_dict

SMALL: dict[str, Any] = {
    "hall": "small",
    "open": "09:00",
    "close": "17:00",
    "target": {"wait": "15m"},
    "services": {"a": {"service_time": {"dist": "exponential", "mean": "2m"}}},
    "segments": {"s": {"share": 1.0}},
    "arrivals": {"mix": {"a": 1.0}, "rate_per_hour": 10},
    "counters": [
        {"id": "C", "count": {"09:00": 2, "11:00": 3, "15:00": 2}, "services": ["a"]},
        {"id": "D", "count": 1, "services": ["a"]},
    ],
    "week": {d: {} for d in WEEKDAYS}
    | {"sat": {"open": "10:00", "close": "16:00"}, "sun": "closed"},
    "workforce": {"shrinkage": 0.1, "cost_per_hour": 40},
}
SMALL_RULES: dict[str, Any] = {
    "grid": "30m",
    "meal_break": {"over": "6h", "min": "30m", "max": "30m", "window": "11:00-14:00",
                   "min_work": "2h"},
    "groups": ["C", "D"],
    "time_limit": "20s",
    "contracts": {
        "full_time": {"hours_per_week": {"min": 30, "max": 40}, "shift_lengths": ["6h", "8h"],
                      "days_off": 2, "max_consecutive_days": 5, "min_rest": "11h"},
        "part_time": {"hours_per_week": {"min": 8, "max": 16}, "shift_lengths": ["4h"],
                      "days_off": 3, "max_consecutive_days": 3, "cost_per_hour": 30},
    },
}  # fmt: skip


def scenario(**changes: Any) -> Scenario:
    return scenario_from_dict(copy.deepcopy(SMALL) | changes)


def small_rules(**changes: Any) -> tuple[RosterRules, dict[str, Any]]:
    raw = copy.deepcopy(SMALL_RULES) | changes
    return rules_from_dict(raw), raw


def write_staff(path: Path, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    columns = ["id", "name", "contract", "skills", *WEEKDAYS, "off"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)
    return rows
