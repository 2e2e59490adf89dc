"""An independent checker of week rosters: every rule re-verified from the
roster's ``--json`` output alone, with the scenario, the rules YAML and the
staff rows as given (plain dicts, read without the solver's code).

It shares nothing with ``sim.planning.roster``: the counters required per slot
come from the model's counter windows (``sim.model.calendar``), sampled every
minute; rules are read from the raw YAML tree. A test that feeds it a roster
with a rule broken on purpose shows it can fail.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sim.model.calendar import counter_instances
from sim.model.days import apply_plan, day_scenario, typical_day
from sim.model.scenario import Scenario
from sim.model.units import parse_clock_s, parse_duration_s, parse_span_s

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_S = 86400.0


def _day_scenarios(scn: Scenario, data: Mapping[str, Any]) -> list[Scenario | None]:
    out: list[Scenario | None] = []
    for day in data["days"]:
        if day["date"] is not None:
            out.append(day_scenario(scn, date.fromisoformat(day["date"])))
        elif scn.week is None:
            out.append(typical_day(scn))
        else:
            out.append(apply_plan(scn, scn.week.plan(day["weekday"])))
    return out


def counters_required(scn: Scenario, group: str, start_s: float, end_s: float) -> int:
    """The most counters of ``group`` staffed at any minute of [start, end)."""
    ids = [g.id for g in scn.counters]
    windows = [c.windows for c in counter_instances(scn) if not c.kiosk and ids[c.group] == group]
    most = 0
    t = start_s
    while t < end_s - 1e-9:
        most = max(most, sum(any(a <= t < b for a, b in ws) for ws in windows))
        t += 60.0
    return most


def _seconds(text: str) -> float:
    return parse_clock_s(text)


def check_week(
    data: Mapping[str, Any],
    scn: Scenario,
    rules: Mapping[str, Any],
    staff: Sequence[Mapping[str, str]] | None = None,
) -> list[str]:
    """Every broken rule of the week roster ``data`` (its ``--json``), as text."""
    problems: list[str] = []
    grid = parse_duration_s(rules.get("grid", "30m"))
    contracts = rules["contracts"]
    meal = rules.get("meal_break")
    shrinkage = scn.workforce.shrinkage
    days = _day_scenarios(scn, data)
    keys = [d["key"] for d in data["days"]]
    repeating = data["repeating"]
    groups = rules.get("groups") or list(data["coverage"][next(iter(data["coverage"]))]["counters"])
    by_id = {row["id"]: row for row in staff or []}
    if data["named_staff"] != (staff is not None):
        problems.append("named_staff does not say whether staff were given")
    if staff is not None and sorted(by_id) != sorted(p["id"] for p in data["staff"]):
        problems.append("the roster's people are not the staff file's")

    # --- each shift ------------------------------------------------------------------------
    for person in data["staff"]:
        who = person["id"]
        terms = contracts.get(person["contract"])
        if terms is None:
            problems.append(f"{who}: contract {person['contract']!r} is not in the rules")
            continue
        own = terms.get("shift_lengths") or rules.get("shift_lengths", [])
        lengths = [parse_duration_s(s) for s in own]
        worked: list[tuple[int, float, float]] = []
        paid_total = 0.0
        for d, key in enumerate(keys):
            shift = person["shifts"][key]
            if shift is None:
                continue
            scn_d = days[d]
            where = f"{who} {key}"
            if scn_d is None:
                problems.append(f"{where}: works on a closed day")
                continue
            start, end = _seconds(shift["start"]), _seconds(shift["end"])
            worked.append((d, start, end))
            if shift["group"] not in groups:
                problems.append(f"{where}: group {shift['group']} is not rostered")
            if not (scn_d.open <= start < end <= scn_d.close):
                problems.append(
                    f"{where}: {shift['start']}–{shift['end']} is outside opening hours"
                )
            if abs((start - scn_d.open) / grid - round((start - scn_d.open) / grid)) > 1e-9:
                problems.append(f"{where}: starts off the grid")
            if not any(abs(end - start - s) < 1e-6 for s in lengths):
                problems.append(f"{where}: length {(end - start) / 3600:g} h is not allowed")
            unpaid = 0.0
            needs_break = meal is not None and end - start > parse_duration_s(
                meal.get("over", "6h")
            )
            if needs_break != (shift["break"] is not None):
                problems.append(
                    f"{where}: meal break {'missing' if needs_break else 'not allowed'}"
                )
            if shift["break"] is not None and meal is not None:
                b0, b1 = parse_span_s(shift["break"])
                spans = meal["window"] if isinstance(meal["window"], list) else [meal["window"]]
                windows = [parse_span_s(w) for w in spans]
                work = parse_duration_s(meal.get("min_work", rules.get("grid", "30m")))
                if not any(w0 <= b0 and b1 <= w1 for w0, w1 in windows):
                    problems.append(f"{where}: break {shift['break']} outside the windows")
                if not (parse_duration_s(meal.get("min", "30m")) <= b1 - b0
                        <= parse_duration_s(meal.get("max", "60m"))):  # fmt: skip
                    problems.append(f"{where}: break {shift['break']} of a wrong length")
                if b0 - start < work - 1e-6 or end - b1 < work - 1e-6:
                    problems.append(f"{where}: break {shift['break']} too near an end")
                if not meal.get("paid", False):
                    unpaid = b1 - b0
            paid = (end - start - unpaid) / 3600.0
            if abs(paid - shift["paid_hours"]) > 1e-6:
                problems.append(f"{where}: paid {shift['paid_hours']} h, not {paid:g} h")
            paid_total += paid
            if staff is not None:
                problems += _staff_rules(by_id.get(who), where, shift["group"], data["days"][d],
                                         start, end)  # fmt: skip
        problems += _weekly_rules(who, terms, worked, paid_total, len(keys), repeating)
        if abs(paid_total - person["paid_hours"]) > 1e-6:
            problems.append(f"{who}: paid_hours {person['paid_hours']} is not {paid_total:g}")

    # --- coverage, on duty, available -----------------------------------------------------
    duty = rules.get("on_duty", {})
    short = {(s["day"], s["group"], s["slot"]): s["short"] for s in data["short"]}
    for d, key in enumerate(keys):
        scn_d = days[d]
        if scn_d is None:
            continue
        t = scn_d.open
        while t < scn_d.close - 1e-9:
            end = min(t + grid, scn_d.close)
            on = [p["shifts"][key] for p in data["staff"] if p["shifts"][key] is not None]
            at = [s for s in on if _at_work(s, t)]
            for group in groups:
                counters = counters_required(scn_d, group, t, end)
                people = math.ceil(counters / (1 - shrinkage) - 1e-6)
                have = sum(s["group"] == group for s in at)
                missing = short.get((key, group, _clock(t)), 0)
                if have + missing < people or (missing and have + missing != people):
                    problems.append(
                        f"{key} {_clock(t)} {group}: {have} at work for {people} people "
                        f"({counters} counters), {missing} reported short"
                    )
            if len(at) < duty.get("min", 0) and (key, None, _clock(t)) not in short:
                problems.append(f"{key} {_clock(t)}: {len(at)} at work, on_duty.min {duty['min']}")
            if (
                duty.get("max") is not None
                and len([s for s in on if _on_shift(s, t)]) > duty["max"]
            ):
                problems.append(f"{key} {_clock(t)}: more than on_duty.max on shift")
            t = end
        for group, limit in rules.get("available", {}).items():
            n = sum(p["shifts"][key] is not None and p["shifts"][key]["group"] == group
                    for p in data["staff"])  # fmt: skip
            if n > limit:
                problems.append(f"{key}: {n} people on group {group}, available {limit}")
    if data["covered"] != (not data["short"]):
        problems.append("covered disagrees with short")

    # --- totals -----------------------------------------------------------------------------
    problems += _totals(data, scn, contracts)
    return problems


def _clock(t_s: float) -> str:
    return f"{int(t_s // 3600):02d}:{int(t_s % 3600 // 60):02d}"


def _on_shift(shift: Mapping[str, Any], t: float) -> bool:
    return _seconds(shift["start"]) <= t < _seconds(shift["end"])


def _at_work(shift: Mapping[str, Any], t: float) -> bool:
    if not _on_shift(shift, t):
        return False
    if shift["break"] is None:
        return True
    b0, b1 = parse_span_s(shift["break"])
    return not (b0 <= t < b1)


def _weekly_rules(
    who: str,
    terms: Mapping[str, Any],
    worked: list[tuple[int, float, float]],
    paid: float,
    n_days: int,
    repeating: bool,
) -> list[str]:
    problems = []
    hours = terms.get("hours_per_week", {})
    if not hours.get("min", 0) - 1e-6 <= paid <= hours.get("max", 168) + 1e-6:
        problems.append(f"{who}: {paid:g} paid h outside {hours}")
    days_off = terms.get("days_off", 1)
    if len(worked) > n_days - days_off:
        problems.append(f"{who}: works {len(worked)} days, {days_off} off required")
    on = {d for d, _, _ in worked}
    limit = terms.get("max_consecutive_days", 6)
    for first in range(n_days):
        run = 0
        while run <= n_days and ((first + run) % n_days) in on:
            if not repeating and first + run >= n_days:
                break
            run += 1
        if run > limit:
            problems.append(f"{who}: {run} days in a row from day {first}, at most {limit}")
            break
    rest = parse_duration_s(terms.get("min_rest", "11h"))
    spans = {d: (s, e) for d, s, e in worked}
    for d, (_, end) in spans.items():
        nxt = (d + 1) % n_days
        if nxt in spans and (repeating or d + 1 < n_days):
            gap = spans[nxt][0] + DAY_S - end
            if gap < rest - 1e-6:
                problems.append(
                    f"{who}: {gap / 3600:g} h rest after day {d}, at least {rest / 3600:g}"
                )
    return problems


def _staff_rules(
    row: Mapping[str, str] | None,
    where: str,
    group: str,
    day: Mapping[str, Any],
    start: float,
    end: float,
) -> list[str]:
    if row is None:
        return [f"{where}: not in the staff file"]
    problems = []
    skills = row["skills"].replace(",", ";").split(";")
    if group not in skills:
        problems.append(f"{where}: group {group} is not among the skills {row['skills']}")
    cell = (row.get(day["weekday"]) or "").strip()
    if cell.lower() == "off":
        problems.append(f"{where}: works on a weekday marked off")
    elif cell:
        w0, w1 = parse_span_s(cell)
        if not (w0 <= start and end <= w1):
            problems.append(f"{where}: works outside the availability {cell}")
    off = [w.strip() for w in (row.get("off") or "").replace(",", ";").split(";") if w.strip()]
    if day["weekday"] in off or (day["date"] is not None and day["date"] in off):
        problems.append(f"{where}: works on a day off {off}")
    return problems


def _totals(data: Mapping[str, Any], scn: Scenario, contracts: Mapping[str, Any]) -> list[str]:
    problems = []
    people = data["staff"]
    if data["people"] != len(people):
        problems.append("people is not the number of people")
    paid = math.fsum(p["paid_hours"] for p in people)
    if abs(data["paid_hours"] - paid) > 1e-6:
        problems.append("paid_hours is not the sum of everyone's")
    if abs(data["fte"] - paid / scn.workforce.fte_hours_per_week) > 1e-9:
        problems.append("fte is not paid hours over fte_hours_per_week")
    rates = {
        name: terms.get("cost_per_hour", scn.workforce.cost_per_hour)
        for name, terms in contracts.items()
    }
    if all(r is not None for r in rates.values()):
        cost = math.fsum(p["paid_hours"] * rates[p["contract"]] for p in people)
        if data["cost"] is None or abs(data["cost"] - cost) > 1e-6:
            problems.append(f"cost {data['cost']} is not {cost:g}")
    for name, terms in contracts.items():
        n = sum(p["contract"] == name for p in people)
        if terms.get("max_people") is not None and n > terms["max_people"]:
            problems.append(f"{n} people on {name}, at most {terms['max_people']}")
    return problems


def dated_keys(start: date) -> list[str]:
    """The day keys of a dated week from ``start``."""
    return [(start + timedelta(days=i)).isoformat() for i in range(7)]
