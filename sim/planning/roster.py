"""Rostering: from the counters a scenario staffs over the day to people on shifts.

The *requirement* of a rostered counter group is, for each slot of the rules'
grid from opening to closing, the most counters the group staffs at any moment
of that slot. An integer programme (``scipy.optimize.milp``, HiGHS) chooses how
many people work each shift *pattern* (a start on the grid, an allowed length
and, for long shifts, a meal break inside the window) so that people at work
(not on break) cover every slot, within the on-duty bounds and the people
available per group, at the fewest paid staff-hours. Rules that cannot be met
raise :class:`RosterError` naming the slots that cannot be covered. The rules
themselves are read and validated by :mod:`sim.planning.roster_rules`.

Seconds inside; the rostered scenario is written back in people's units by
:mod:`sim.model.scenario_io`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.calendar import counter_instances, step_value
from sim.model.errors import InputError
from sim.model.scenario import Scenario, ScenarioError, scenario_from_dict
from sim.model.scenario_io import scenario_to_dict, span_text
from sim.model.units import format_clock, format_duration
from sim.planning.roster_rules import RosterRules

_EPS_S = 1e-6
_SHOWN = 8  # problems listed in one error message


class RosterError(InputError):
    """Rules that no roster can meet; the message names the slots or the rule."""


def _span(start_s: float, end_s: float) -> str:
    return f"{format_clock(start_s)}–{format_clock(end_s)}"


@dataclass(frozen=True)
class Requirement:
    """Counters each rostered group must staff per grid slot: ``slots`` are
    ``(start_s, end_s)`` from opening to closing, ``counts[g][k]`` is group
    ``groups[g]``'s requirement in slot ``k``."""

    groups: tuple[str, ...]
    slots: tuple[tuple[float, float], ...]
    counts: tuple[tuple[int, ...], ...]

    @property
    def lower_bound_hours(self) -> float:
        """Sum over groups and slots of the requirement times the slot length, hours."""
        return math.fsum(
            n * (end - start) / 3600.0
            for row in self.counts
            for n, (start, end) in zip(row, self.slots, strict=True)
        )


def rostered_groups(scn: Scenario, rules: RosterRules) -> tuple[int, ...]:
    """Indices of the counter groups to roster: ``rules.groups``; by default those
    whose count changes during opening hours, or every group if none does."""
    ids = [g.id for g in scn.counters]
    if rules.groups is not None:
        problems = [
            f"groups[{i}]: {name!r} is not a counter group of the scenario ({', '.join(ids)})"
            for i, name in enumerate(rules.groups)
            if name not in ids
        ]
        if len(set(rules.groups)) != len(rules.groups):
            problems.append(f"groups: {list(rules.groups)!r} names a group twice")
        if problems:
            raise ScenarioError("\n".join(problems))
        return tuple(ids.index(name) for name in rules.groups)
    varying = tuple(
        i
        for i, g in enumerate(scn.counters)
        if any(
            step_value(g.count, t) != step_value(g.count, scn.open)
            for t, _ in g.count
            if scn.open < t < scn.close
        )
    )
    return varying or tuple(range(len(scn.counters)))


def requirement(scn: Scenario, rules: RosterRules) -> Requirement:
    """The requirement of the rostered groups (see the module docstring)."""
    if scn.stationary:
        raise RosterError("horizon: rostering needs opening hours (open, close), not a horizon")
    groups = rostered_groups(scn, rules)
    for name in rules.available:
        if name not in {scn.counters[g].id for g in groups}:
            raise ScenarioError(f"available.{name}: {name!r} is not a rostered counter group")
    n_slots = math.ceil((scn.close - scn.open) / rules.grid - _EPS_S)
    slots = tuple(
        (scn.open + k * rules.grid, min(scn.open + (k + 1) * rules.grid, scn.close))
        for k in range(n_slots)
    )
    instances = [c for c in counter_instances(scn) if not c.kiosk]
    counts = []
    for g in groups:
        windows = [c.windows for c in instances if c.group == g]
        row = []
        for start, end in slots:
            moments = {start} | {w0 for ws in windows for w0, _ in ws if start < w0 < end}
            row.append(
                max(sum(any(w0 <= t < w1 for w0, w1 in ws) for ws in windows) for t in moments)
            )
        counts.append(tuple(row))
    return Requirement(tuple(scn.counters[g].id for g in groups), slots, tuple(counts))


@dataclass(frozen=True)
class Shift:
    """``people`` working ``group`` from ``start_s`` to ``end_s`` (seconds after
    midnight) with ``meal_break`` ``(start_s, end_s)`` or None; each person is
    paid ``paid_hours``."""

    group: str
    start_s: float
    end_s: float
    meal_break: tuple[float, float] | None
    people: int
    paid_hours: float

    def works_at(self, t_s: float) -> bool:
        """True if these people are at work (on shift, not on break) at ``t_s``."""
        on_break = self.meal_break is not None and self.meal_break[0] <= t_s < self.meal_break[1]
        return self.start_s <= t_s < self.end_s and not on_break


@dataclass(frozen=True)
class Roster:
    """The cheapest roster found: shifts, paid staff-hours, solver wall seconds and
    status (``optimal``, or ``time limit, gap x%`` with the best roster found)."""

    shifts: tuple[Shift, ...]
    requirement: Requirement
    staff_hours: float
    solve_s: float
    status: str

    @property
    def lower_bound_hours(self) -> float:
        """Sum of the requirement (staffed counter-hours), hours."""
        return self.requirement.lower_bound_hours

    def coverage(self) -> tuple[tuple[int, ...], ...]:
        """People at work per rostered group (as ``requirement.groups``) per slot."""
        return tuple(
            tuple(
                sum(s.people for s in self.shifts if s.group == group and s.works_at(start))
                for start, _ in self.requirement.slots
            )
            for group in self.requirement.groups
        )


@dataclass(frozen=True)
class _Pattern:
    start: int  # first slot
    length: int  # slots
    meal: tuple[int, int] | None  # (first slot, slots)


def _patterns(n_slots: int, rules: RosterRules, open_s: float, close_s: float) -> list[_Pattern]:
    """Every shift the rules allow inside opening hours, by start, length and break."""
    out: list[_Pattern] = []
    mb = rules.meal_break
    for length_s in sorted(rules.shift_lengths):
        n = round(length_s / rules.grid)
        for i in range(n_slots):
            if open_s + (i + n) * rules.grid > close_s + _EPS_S:
                break
            if mb is None or length_s <= mb.over + _EPS_S:
                out.append(_Pattern(i, n, None))
                continue
            work = round(mb.work_around(rules.grid) / rules.grid)  # grid steps before and after
            for nb in range(round(mb.min / rules.grid), round(mb.max / rules.grid) + 1):
                for j in range(i + work, i + n - nb - work + 1):
                    b0 = open_s + j * rules.grid
                    if (
                        mb.window[0] - _EPS_S <= b0
                        and b0 + nb * rules.grid <= mb.window[1] + _EPS_S
                    ):
                        out.append(_Pattern(i, n, (j, nb)))
    return sorted(out, key=lambda p: (p.start, p.length, p.meal or (0, 0)))


def _matrices(patterns: Sequence[_Pattern], n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """(working, present): patterns x slots, 1 where at work / on shift."""
    present = np.zeros((len(patterns), n_slots))
    for p, pat in enumerate(patterns):
        present[p, pat.start : pat.start + pat.length] = 1.0
    working = present.copy()
    for p, pat in enumerate(patterns):
        if pat.meal is not None:
            working[p, pat.meal[0] : pat.meal[0] + pat.meal[1]] = 0.0
    return working, present


def _listing(head: str, req: Requirement, problems: Sequence[tuple[int, str]]) -> str:
    """``head`` and one line per problem ``(slot, text)``; a text that holds for a
    run of consecutive slots is listed once for the run (``slots 17:00–21:00``)."""
    runs: dict[str, list[list[int]]] = {}
    for k, text in problems:
        spans = runs.setdefault(text, [])
        if spans and spans[-1][1] == k - 1:
            spans[-1][1] = k
        else:
            spans.append([k, k])
    lines = sorted(
        (first, f"{_slots(req, first, last)}: {text}")
        for text, spans in runs.items()
        for first, last in spans
    )
    more = f"\n  … and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else ""
    return head + "".join(f"\n  {line}" for _, line in lines[:_SHOWN]) + more


def _counters(n: int) -> str:
    return f"{n} counter{'' if n == 1 else 's'}"


def _people(n: int) -> str:
    return f"{n} {'person is' if n == 1 else 'people are'}"


def _slots(req: Requirement, first: int, last: int) -> str:
    plural = "s" if last > first else ""
    return f"slot{plural} {_span(req.slots[first][0], req.slots[last][1])}"


def _simple_causes(
    req: Requirement, rules: RosterRules, working: np.ndarray, close_s: float
) -> list[tuple[int, str]]:
    """(slot, problem) for slots that no roster can cover, found without solving."""
    coverable = working.sum(axis=0) > 0
    last_end = max((e for (_, e), ok in zip(req.slots, coverable, strict=True) if ok), default=0.0)
    mb = rules.meal_break
    lengths = ", ".join(format_duration(s) for s in sorted(rules.shift_lengths))
    late = f"no allowed shift fits before closing at {format_clock(close_s)} ({lengths} on the "
    late += f"{format_duration(rules.grid)} grid)"
    gap = "no allowed shift covers it"
    if mb is not None:
        over, window = format_duration(mb.over), _span(*mb.window)
        work = format_duration(mb.work_around(rules.grid))
        gap += f" (shifts over {over} need a meal break inside {window}, {work} into the shift"
        gap += " and before its end)"
    duty = rules.on_duty
    problems: list[tuple[int, str]] = []
    for k, (_, end) in enumerate(req.slots):
        why = late if end > last_end else gap
        needs = [(group, row[k]) for group, row in zip(req.groups, req.counts, strict=True)]
        for group, n in needs:
            if n > 0 and not coverable[k]:
                problems.append((k, f"group {group} needs {_counters(n)} but {why}"))
            elif n > rules.available.get(group, n):
                limit = _people(rules.available[group])
                text = f"group {group} needs {_counters(n)} but only {limit} available"
                problems.append((k, text))
        total = sum(n for _, n in needs)
        if duty.max is not None and total > duty.max:
            text = (
                f"the rostered groups need {total} counters together but on_duty.max is {duty.max}"
            )
            problems.append((k, text))
        if duty.min > 0 and not coverable[k]:
            problems.append((k, f"on_duty.min is {duty.min} but {why}"))
    everyone = sum(rules.available.values())
    if all(group in rules.available for group in req.groups) and everyone < duty.min:
        text = f"on_duty.min is {duty.min} but only {_people(everyone)} available in all"
        problems += [(k, text) for k in range(len(req.slots))]
    return problems


@dataclass(frozen=True)
class _Programme:
    """The integer programme; the first ``len(soft)`` rows may fall short in the
    elastic version: ``soft[r]`` is (group or None for on_duty.min, slot, need)."""

    cost: np.ndarray
    matrix: Any  # scipy.sparse array, rows x (groups * patterns)
    lower: np.ndarray
    upper: np.ndarray
    x_upper: np.ndarray
    soft: tuple[tuple[str | None, int, int], ...]


def _programme(
    req: Requirement, rules: RosterRules, working: np.ndarray, present: np.ndarray, paid: np.ndarray
) -> _Programme:
    from scipy import sparse

    n_groups, n_slots, n_patterns = len(req.groups), len(req.slots), len(paid)
    work_t, present_t = sparse.csr_array(working.T), sparse.csr_array(present.T)
    need = np.asarray(req.counts, dtype=float).ravel()  # group-major
    rows = np.flatnonzero(need > 0)
    blocks = [sparse.kron(sparse.eye_array(n_groups), work_t, format="csr")[rows]]
    lower, upper = [need[rows]], [np.full(len(rows), np.inf)]
    soft: list[tuple[str | None, int, int]] = [
        (req.groups[r // n_slots], int(r % n_slots), int(need[r])) for r in rows
    ]
    if rules.on_duty.min > 0:
        blocks.append(sparse.hstack([work_t] * n_groups))
        lower.append(np.full(n_slots, float(rules.on_duty.min)))
        upper.append(np.full(n_slots, np.inf))
        soft += [(None, k, rules.on_duty.min) for k in range(n_slots)]
    if rules.on_duty.max is not None:
        blocks.append(sparse.hstack([present_t] * n_groups))
        lower.append(np.full(n_slots, -np.inf))
        upper.append(np.full(n_slots, float(rules.on_duty.max)))
    people = np.array([float(rules.available.get(group, np.inf)) for group in req.groups])
    limited = np.flatnonzero(np.isfinite(people))
    if len(limited):
        pick = sparse.eye_array(n_groups, format="csr")[limited]
        blocks.append(sparse.kron(pick, np.ones((1, n_patterns)), format="csr"))
        lower.append(np.full(len(limited), -np.inf))
        upper.append(people[limited])
    return _Programme(
        cost=np.tile(paid, n_groups),
        matrix=sparse.vstack(blocks, format="csr"),
        lower=np.concatenate(lower),
        upper=np.concatenate(upper),
        x_upper=np.repeat(people, n_patterns),
        soft=tuple(soft),
    )


def _milp(prog: _Programme, time_limit_s: float, elastic: bool) -> tuple[Any, float]:
    """HiGHS's result and its wall seconds; the elastic version adds a penalised
    shortfall variable per soft row."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    cost, matrix, x_upper = prog.cost, prog.matrix, prog.x_upper
    integrality = np.ones(len(cost))
    if elastic:
        n_soft, n_rows = len(prog.soft), prog.matrix.shape[0]
        slack = sparse.vstack(
            [sparse.eye_array(n_soft), sparse.csr_array((n_rows - n_soft, n_soft))], format="csr"
        )
        matrix = sparse.hstack([matrix, slack], format="csr")
        penalty = 1000.0 * max(1.0, float(cost.max(initial=1.0)))
        cost = np.concatenate([cost, np.full(n_soft, penalty)])
        x_upper = np.concatenate([x_upper, np.full(n_soft, np.inf)])
        integrality = np.concatenate([integrality, np.zeros(n_soft)])
    bounds = Bounds(np.zeros(len(cost)), x_upper)
    constraints = LinearConstraint(matrix, prog.lower, prog.upper)
    started = time.perf_counter()
    result = milp(
        cost,
        integrality=integrality,
        bounds=bounds,
        constraints=constraints,
        options={"time_limit": time_limit_s},
    )
    return result, time.perf_counter() - started


def _shortfall_message(req: Requirement, prog: _Programme, rules: RosterRules) -> str:
    result, _ = _milp(prog, rules.time_limit, elastic=True)
    head = "no roster meets these rules"
    if result.x is None:
        return head + " (and no nearest roster was found within the time limit)"
    short = np.rint(result.x[len(prog.cost) :]).astype(int)
    problems = []
    for (group, k, need), gap in zip(prog.soft, short, strict=True):
        if gap > 0:
            what = f"group {group} needs {_counters(need)}" if group else f"on_duty.min is {need}"
            problems.append((k, f"{what}; the nearest roster is {gap} short"))
    return _listing(head + "; these slots cannot all be covered:", req, problems)


def solve_roster(scn: Scenario, rules: RosterRules) -> Roster:
    """The roster of least paid staff-hours covering the requirement of ``scn``
    under ``rules``. Raises RosterError if the rules cannot be met (naming the
    slots) or no roster is found within ``rules.time_limit``, and ScenarioError
    if the rules name groups the scenario does not have."""
    req = requirement(scn, rules)
    patterns = _patterns(len(req.slots), rules, scn.open, scn.close)
    working, present = _matrices(patterns, len(req.slots))
    problems = _simple_causes(req, rules, working, scn.close)
    if problems:
        raise RosterError(_listing("no roster meets these rules:", req, problems))
    unpaid = rules.meal_break is not None and not rules.meal_break.paid
    paid = np.array(
        [
            (p.length - (p.meal[1] if p.meal and unpaid else 0)) * rules.grid / 3600.0
            for p in patterns
        ]
    )
    prog = _programme(req, rules, working, present, paid)
    result, solve_s = _milp(prog, rules.time_limit, elastic=False)
    if result.status == 2:
        raise RosterError(_shortfall_message(req, prog, rules))
    if result.x is None:
        raise RosterError(
            f"time_limit: no roster found within {format_duration(rules.time_limit)} "
            f"({result.message}); allow more time"
        )
    people = np.rint(result.x).astype(int).reshape(len(req.groups), len(patterns))
    grid, open_s = rules.grid, scn.open
    shifts = tuple(
        Shift(
            group=group,
            start_s=open_s + pat.start * grid,
            end_s=open_s + (pat.start + pat.length) * grid,
            meal_break=None
            if pat.meal is None
            else (open_s + pat.meal[0] * grid, open_s + (pat.meal[0] + pat.meal[1]) * grid),
            people=int(n),
            paid_hours=float(paid[p]),
        )
        for group, row in zip(req.groups, people, strict=True)
        for p, (pat, n) in enumerate(zip(patterns, row, strict=True))
        if n > 0
    )
    status = "optimal" if result.status == 0 else f"time limit, gap {result.mip_gap:.1%}"
    staff_hours = math.fsum(s.people * s.paid_hours for s in shifts)
    return Roster(shifts, req, staff_hours, solve_s, status)


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
    counters: list[dict[str, Any]] = []
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
