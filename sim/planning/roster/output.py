"""A roster written back as a scenario: each rostered group replaced by one
counter group per shift pattern, named so a planner reads the shift in the id
(``B-0900-8h``), which ``hallsim run`` then simulates shift by shift."""

from __future__ import annotations

from collections.abc import Sequence

from sim.model.scenario import Scenario, ScenarioError, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict, span_text
from sim.model.units import format_clock, format_duration
from sim.planning.roster.day import Roster, Shift
from sim.planning.roster.problems import RosterError


def shift_ids(shifts: Sequence[Shift]) -> list[str]:
    """Counter group id of each shift pattern, such as ``B-0900-8h``; the break
    (``-b1230``, then ``-b1230-30m``) is added where two would share an id."""
    ids = [f"{s.group}-{_hhmm(s.start_s)}-{format_duration(s.end_s - s.start_s)}" for s in shifts]
    for with_length in (False, True):
        twice = {i for i in ids if ids.count(i) > 1}
        ids = [
            i + _break_suffix(s.meal_break, with_length) if i in twice and s.meal_break else i
            for i, s in zip(ids, shifts, strict=True)
        ]
    return ids


def _break_suffix(meal_break: tuple[float, float], length: bool) -> str:
    if length:
        return f"-{format_duration(meal_break[1] - meal_break[0])}"
    return f"-b{_hhmm(meal_break[0])}"


def _hhmm(t_s: float) -> str:
    return format_clock(t_s).replace(":", "")


def rostered_scenario(scn: Scenario, roster: Roster) -> Scenario:
    """``scn`` with each rostered group replaced by one counter group per shift
    pattern (``count`` = people, ``shift`` and ``breaks`` set; services, segments
    and speed kept; ``resize`` dropped). Other groups are unchanged."""
    data = scenario_to_dict(scn)
    counters: list[dict[str, object]] = []
    for group, item in zip(scn.counters, data["counters"], strict=True):
        if group.id not in roster.requirement.groups:
            counters.append(item)
            continue
        keep = {k: v for k, v in item.items() if k in ("services", "segments", "speed")}
        for name, shift in zip(shift_ids(roster.shifts), roster.shifts, strict=True):
            if shift.group != group.id:
                continue
            span = span_text(shift.start_s, shift.end_s)
            breaks = {"breaks": [span_text(*shift.meal_break)]} if shift.meal_break else {}
            counters.append({"id": name, "count": shift.people, **keep, "shift": span, **breaks})
    data["counters"] = counters
    try:
        return scenario_from_dict(data, source="rostered scenario")
    except ScenarioError as exc:
        raise RosterError(f"the rostered scenario is not valid: {exc}") from None
