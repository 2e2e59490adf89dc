"""The plan a hall is measured against: how many counters of each group should
be open at a time of a given day.

Two sources. By default the hall's scenario: its schedule for that date
(:func:`sim.model.days.day_scenario`: the weekday's counter schedules, a
holiday's, shifts and breaks), counted position by position as the simulator
staffs them. Or a roster file (``roster:`` in the hall's config).

``hallsim roster --json`` output, of a week or of one day (``--day``), is read
by the counters its roster covers per slot (``coverage.<day>.counters`` of a
week, ``requirement`` of a day): the counters the plan staffs. Its people
are not the plan's counters: with a shrinkage allowance more people are
rostered than counters planned (at 15%, 6 people for 5 counters).

A hand-written roster gives shifts of counters::

    {"shifts": [{"group": "B", "start": "09:00", "end": "17:00",
                 "break": "12:00-12:30", "people": 3}, ...]}

A shift may name its ``day``, a weekday (``mon`` … ``sun``) or a date
(``2027-01-04``); for a date, the shifts of that date are the plan if there
are any, else those of its weekday, else those naming no day. A roster may
also give the days as ``{"days": {"mon": {"shifts": [...]}, ...}}``. Every
problem is a :class:`RosterError` naming the file, the shift and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sim.model.calendar import counter_instances
from sim.model.days import day_scenario, weekday
from sim.model.errors import InputError
from sim.model.scenario import Scenario
from sim.model.units import parse_clock_s
from sim.model.week import WEEKDAYS

Windows = tuple[tuple[float, float], ...]


class RosterError(InputError):
    """A roster file that cannot be read as a plan; names the file and the field."""


@dataclass(frozen=True, slots=True)
class PlannedShift:
    """``people`` counters of ``group`` staffed from ``start_s`` to ``end_s``
    (seconds after local midnight), off during ``break_s``; ``day``: a weekday,
    an ISO date, or None (every day)."""

    group: str
    start_s: float
    end_s: float
    people: int
    break_s: tuple[float, float] | None = None
    day: str | None = None

    def on(self, t_s: float) -> bool:
        brk = self.break_s
        return self.start_s <= t_s < self.end_s and not (brk and brk[0] <= t_s < brk[1])


@dataclass(frozen=True, slots=True)
class PlanNow:
    """The counters the plan staffs at one moment, per group, and where the plan
    comes from (``scenario`` or ``roster``)."""

    source: str
    by_group: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_group.values())


class HallPlan:
    """A hall's plan: the roster's shifts when given (for the groups it
    staffs; the others as the scenario schedules them), else its scenario's
    schedule for each date (resolved once per date)."""

    def __init__(self, scenario: Scenario, roster: Sequence[PlannedShift] | None = None) -> None:
        self.scenario = scenario
        self.roster = None if roster is None else tuple(roster)
        self.groups = tuple(g.id for g in scenario.counters)
        # the groups the roster staffs; the others (a VIP desk outside the roster) as scheduled
        self._rostered = frozenset(s.group for s in self.roster or ())
        self._day: tuple[str, tuple[tuple[str, Windows], ...]] | None = None

    @property
    def source(self) -> str:
        return "scenario" if self.roster is None else "roster"

    def _windows(self, day: date) -> tuple[tuple[str, Windows], ...]:
        """Each counter position of the day's scenario: its group and windows."""
        key = day.isoformat()
        if self._day is None or self._day[0] != key:
            scn = day_scenario(self.scenario, day)
            positions: tuple[tuple[str, Windows], ...] = ()
            if scn is not None:
                positions = tuple(
                    (scn.counters[i.group].id, i.windows)
                    for i in counter_instances(scn)
                    if not i.kiosk
                )
            self._day = (key, positions)
        return self._day[1]

    def _shifts(self, day: date) -> list[PlannedShift]:
        assert self.roster is not None
        for wanted in (day.isoformat(), weekday(day)):
            found = [s for s in self.roster if s.day == wanted]
            if found:
                return found
        return [s for s in self.roster if s.day is None]

    def at(self, day: date, local_s: float) -> PlanNow:
        """The counters planned at ``local_s`` (seconds after midnight) of ``day``."""
        counts = dict.fromkeys(self.groups, 0)
        rostered = self._rostered
        for group, windows in self._windows(day):
            if group not in rostered and any(lo <= local_s < hi for lo, hi in windows):
                counts[group] += 1
        if self.roster is not None:
            for shift in self._shifts(day):
                if shift.on(local_s):
                    counts[shift.group] = counts.get(shift.group, 0) + shift.people
        return PlanNow(self.source, counts)


# -- reading a roster file ---------------------------------------------------------


def _clock(value: Any, where: str) -> float:
    try:
        return parse_clock_s(str(value))
    except (ValueError, TypeError):
        raise RosterError(f"{where}: {value!r} is not a time of day (HH:MM)") from None


def _shift(item: Any, where: str, day: str | None, groups: Sequence[str]) -> PlannedShift:
    if not isinstance(item, Mapping):
        raise RosterError(f"{where}: a shift is an object with group, start, end, people")
    group = item.get("group")
    if group not in groups:
        raise RosterError(f"{where}.group: {group!r} is not a counter group ({', '.join(groups)})")
    start, end = (
        _clock(item.get("start"), f"{where}.start"),
        _clock(item.get("end"), f"{where}.end"),
    )
    if end <= start:
        raise RosterError(f"{where}: ends at {item.get('end')!r}, not after {item.get('start')!r}")
    people = item.get("people", 1)
    if not isinstance(people, int) or isinstance(people, bool) or people < 0:
        raise RosterError(f"{where}.people: {people!r} is not a number of people")
    brk = item.get("break")
    break_s = None
    if brk:
        lo, sep, hi = str(brk).partition("-")
        if not sep:
            raise RosterError(f"{where}.break: {brk!r} is not a span HH:MM-HH:MM")
        break_s = (_clock(lo, f"{where}.break"), _clock(hi, f"{where}.break"))
    own = item.get("day", day)
    if own is not None:
        own = str(own)
        if own not in WEEKDAYS:
            try:
                own = date.fromisoformat(own).isoformat()
            except ValueError:
                raise RosterError(
                    f"{where}.day: {own!r} is not a weekday (mon … sun) or a date (YYYY-MM-DD)"
                ) from None
    return PlannedShift(str(group), start, end, people, break_s, own)


def read_roster(path: Path, scenario: Scenario) -> tuple[PlannedShift, ...]:
    """The shifts of a roster file (JSON or YAML, see the module docstring),
    checked against the scenario's counter groups."""
    try:
        text = path.read_text(encoding="utf-8")
        tree = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise RosterError(f"{path}: {exc}") from None
    if not isinstance(tree, Mapping) or not ("shifts" in tree or "days" in tree):
        raise RosterError(f"{path}: a roster has shifts (the output of hallsim roster --json)")
    groups = [g.id for g in scenario.counters]
    if tree.get("roster") in ("week", "day") and "coverage" in tree:
        return _hallsim_roster(tree, path, groups)
    shifts = [
        _shift(item, f"{path}: shifts[{i}]", None, groups)
        for i, item in enumerate(tree.get("shifts") or [])
    ]
    days = tree.get("days") or {}
    if isinstance(days, Sequence):  # [{"day": "mon", "shifts": [...]}, ...]
        days = {str(d.get("day")): d for d in days if isinstance(d, Mapping)}
    if not isinstance(days, Mapping):
        raise RosterError(f"{path}: days: a mapping of weekday or date to its shifts")
    for name, entry in days.items():
        items = entry.get("shifts", []) if isinstance(entry, Mapping) else entry
        for i, item in enumerate(items or []):
            shifts.append(_shift(item, f"{path}: days.{name}.shifts[{i}]", str(name), groups))
    return tuple(shifts)


def _hallsim_roster(
    tree: Mapping[str, Any], path: Path, groups: Sequence[str]
) -> tuple[PlannedShift, ...]:
    """The counters per slot of ``hallsim roster --json`` output (see the
    module docstring), one :class:`PlannedShift` per group and slot."""
    covered: Mapping[str, Any]
    if tree["roster"] == "day":
        day = tree.get("day")
        covered = {
            str(day) if day else "": {
                "slots": tree.get("slots"),
                "counters": tree.get("requirement"),
            }
        }
        closes: dict[str, Mapping[str, Any]] = {}  # a YAML tree, checked below
    else:
        covered = tree["coverage"] if isinstance(tree["coverage"], Mapping) else {}
        closes = {str(d.get("key")): d for d in tree.get("days") or [] if isinstance(d, Mapping)}
    shifts: list[PlannedShift] = []
    for key, entry in covered.items():
        where = f"{path}: coverage.{key}" if tree["roster"] == "week" else f"{path}: requirement"
        if not isinstance(entry, Mapping):
            raise RosterError(f"{where}: slots and counters per group")
        slots = [_clock(t, f"{where}.slots") for t in entry.get("slots") or []]
        counters = entry.get("counters")
        if not isinstance(counters, Mapping):
            raise RosterError(f"{where}.counters: counters per group and slot")
        day_of = closes.get(key, {})
        own = day_of.get("date") or day_of.get("weekday") or (key or None)
        step = slots[1] - slots[0] if len(slots) > 1 else 1800.0
        close = day_of.get("close")
        last_end = _clock(close, f"{where}.close") if close else (slots[-1] + step if slots else 0)
        for group, counts in counters.items():
            if group not in groups:
                raise RosterError(
                    f"{where}.counters.{group}: not a counter group ({', '.join(groups)})"
                )
            if not isinstance(counts, Sequence) or len(counts) != len(slots):
                raise RosterError(f"{where}.counters.{group}: one count per slot ({len(slots)})")
            for k, (start, n) in enumerate(zip(slots, counts, strict=True)):
                end = slots[k + 1] if k + 1 < len(slots) else max(last_end, start + 1)
                if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                    raise RosterError(f"{where}.counters.{group}[{k}]: {n!r} is not a count")
                shifts.append(PlannedShift(str(group), start, end, n, None, own))
    return tuple(shifts)
