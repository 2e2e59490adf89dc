"""Named staff from a spreadsheet (CSV, or the first sheet of an Excel file):
one row per person under a header row.

=============  ============================================================
column         holds
=============  ============================================================
``id``         required, unique: the staff number (工号)
``name``       the person's name, as it is (王芳)
``contract``   required: a contract of the rules (``full_time``)
``skills``     required: the counter groups they can work (``B;Q``)
``mon``…``sun``  optional, per weekday: empty for all day, ``off`` for a
               day they never work, or a span ``12:00-21:00``
``off``        optional: weekdays or dates they cannot work this time
               (``sat;2027-01-05``), such as leave
=============  ============================================================

Lists are separated by ``;``, ``,``, ``/``, ``、`` or spaces. Headers may also
be written in Chinese (工号, 姓名, 合同, 技能, 周一…周日, 休假). Every problem
is one line naming the file, the row as a spreadsheet numbers it, the column
and the value: ``staff.csv: row 4 (E03), column mon: '9-18' is not a span
like 09:00-18:00 (or off)``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sim.model.errors import InputError
from sim.model.scenario import ScenarioError
from sim.model.units import parse_span_s
from sim.model.week import WEEKDAYS, Weekday
from sim.planning.roster.demand import RosterDay
from sim.planning.roster.people import WHOLE_DAY, Person
from sim.planning.roster.rules import RosterRules

_LIST = re.compile(r"[;,/、\s]+")
_OFF = {"off", "-", "–", "x", "休", "休息"}
_HEADERS: dict[str, str] = {
    "工号": "id", "员工编号": "id", "姓名": "name", "合同": "contract", "合同类型": "contract",
    "技能": "skills", "休假": "off", "不可用": "off",
    "周一": "mon", "周二": "tue", "周三": "wed", "周四": "thu", "周五": "fri", "周六": "sat",
    "周日": "sun",
}  # fmt: skip
_DAY_NAMES: dict[str, Weekday] = {
    **{d: d for d in WEEKDAYS},
    **{name: d for d, name in zip(WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday",
                                              "friday", "saturday", "sunday"), strict=True)},
    **{f"周{c}": d for d, c in zip(WEEKDAYS, "一二三四五六日", strict=True)},
    "周天": "sun", "星期天": "sun",
    **{f"星期{c}": d for d, c in zip(WEEKDAYS, "一二三四五六日", strict=True)},
}  # fmt: skip
COLUMNS = ("id", "name", "contract", "skills", *WEEKDAYS, "off")
REQUIRED = ("id", "contract", "skills")


class StaffError(InputError):
    """A staff file that cannot be read as staff; the message names the row and column."""


@dataclass(frozen=True)
class StaffMember:
    """One row of a staff file: ``hours[weekday]`` is the span they can work
    that weekday (absent: all day; None: never), ``off`` the weekdays and
    dates they cannot work; ``where`` names the row (``staff.csv: row 4 (E03)``)."""

    id: str
    name: str
    contract: str
    skills: tuple[str, ...]
    hours: dict[Weekday, tuple[float, float] | None]
    off: frozenset[Weekday | date]
    where: str


def _rows(path: Path) -> list[list[Any]]:
    """The cells of every row of ``path`` (CSV, or an Excel file's first sheet)."""
    # the spreadsheet readers of `hallsim scenario import` (CSV dialect sniffing,
    # the byte-order mark Excel writes, openpyxl read-only)
    from sim.planning.profile_import import _rows_csv, _rows_xlsx

    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise StaffError(
            f"{path}: read staff from .csv or .xlsx files, not {suffix or 'no suffix'!r}"
        )
    try:
        return list(_rows_csv(path) if suffix == ".csv" else _rows_xlsx(path, None))
    except UnicodeDecodeError:
        raise StaffError(f"{path}: is not UTF-8 text; save the CSV as UTF-8") from None
    except ScenarioError as exc:
        raise StaffError(str(exc)) from None


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _header(cells: Sequence[Any], source: str) -> list[str]:
    names = []
    for i, cell in enumerate(cells):
        raw = _text(cell)
        key = _HEADERS.get(raw, raw.lower())
        if key not in COLUMNS:
            if not raw:
                names.append("")
                continue
            close = difflib.get_close_matches(key, COLUMNS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise StaffError(
                f"{source}: row 1, column {i + 1}: {raw!r} is not a staff column{hint}; "
                f"the columns are {', '.join(COLUMNS)}"
            )
        if key in names:
            raise StaffError(f"{source}: row 1: column {key!r} is given twice")
        names.append(key)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise StaffError(
            f"{source}: row 1: no {', '.join(repr(m) for m in missing)} column "
            f"(the header row needs {', '.join(REQUIRED)})"
        )
    return names


def _span(text: str, where: str, column: str) -> tuple[float, float] | bool | None:
    """A weekday cell: True (all day), None (off) or a span."""
    if not text:
        return True
    if text.lower() in _OFF:
        return None
    try:
        return parse_span_s(text)
    except ValueError as exc:
        why = str(exc) if "ends before" in str(exc) else "is not a span like 09:00-18:00 (or off)"
        raise StaffError(f"{where}, column {column}: {text!r} {why}") from None


def _off(text: str, where: str) -> frozenset[Weekday | date]:
    out: set[Weekday | date] = set()
    for word in filter(None, _LIST.split(text)):
        day = _DAY_NAMES.get(word.lower())
        if day is not None:
            out.add(day)
            continue
        try:
            out.add(date.fromisoformat(word))
        except ValueError:
            raise StaffError(
                f"{where}, column off: {word!r} is not a weekday (mon … sun) or a date (YYYY-MM-DD)"
            ) from None
    return frozenset(out)


def _member(values: dict[str, str], where: str) -> StaffMember:
    for column in REQUIRED:
        if not values.get(column):
            raise StaffError(f"{where}, column {column}: is empty")
    hours: dict[Weekday, tuple[float, float] | None] = {}
    for day in WEEKDAYS:
        span = _span(values.get(day, ""), where, day)
        if span is not True:
            hours[day] = span  # type: ignore[assignment]
    skills = tuple(dict.fromkeys(filter(None, _LIST.split(values["skills"]))))
    return StaffMember(
        id=values["id"],
        name=values.get("name", ""),
        contract=values["contract"],
        skills=skills,
        hours=hours,
        off=_off(values.get("off", ""), where),
        where=where,
    )


def read_staff(path: Path) -> tuple[StaffMember, ...]:
    """The staff listed in ``path`` (CSV or .xlsx); raises StaffError naming the
    row and column of the first problem, and OSError if it cannot be read."""
    source = str(path)
    rows = iter(_rows(path))
    header: list[str] | None = None
    out: list[StaffMember] = []
    seen: dict[str, str] = {}
    for number, cells in enumerate(rows, 1):
        texts = [_text(c) for c in cells]
        if not any(texts):
            continue
        if header is None:
            header = _header(cells, source)
            continue
        values = {name: text for name, text in zip(header, texts, strict=False) if name}
        where = f"{source}: row {number}" + (f" ({values['id']})" if values.get("id") else "")
        extra = [t for t in texts[len(header) :] if t]
        if extra:
            raise StaffError(f"{where}: {extra[0]!r} lies beyond the last column")
        member = _member(values, where)
        if member.id in seen:
            raise StaffError(f"{where}, column id: {member.id!r} is also {seen[member.id]}")
        seen[member.id] = f"row {number}"
        out.append(member)
    if header is None:
        raise StaffError(f"{source}: no header row (id, contract, skills, …) and no staff")
    if not out:
        raise StaffError(f"{source}: lists no staff under its header row")
    return tuple(out)


def _window(member: StaffMember, day: RosterDay) -> tuple[float, float] | None:
    """When ``member`` can work on ``day``: their weekday's span, None when off."""
    if day.weekday is None:
        return WHOLE_DAY
    if day.weekday in member.off or (day.date is not None and day.date in member.off):
        return None
    return member.hours.get(day.weekday, WHOLE_DAY)


def _most_hours(person: Person, days: Sequence[RosterDay], rules: RosterRules) -> float:
    """The most paid hours ``person`` could work in the week: their best days'
    longest shifts that fit both their window and the opening hours."""
    contract = rules.contracts[person.contract]
    best = []
    for d, day in enumerate(days):
        window, scn = person.windows[d], day.scenario
        if window is None or scn is None:
            continue
        room = min(window[1], scn.close) - max(window[0], scn.open)
        fits = [s for s in rules.lengths(person.contract) if s <= room + 1e-6]
        least_break = 0.0 if rules.meal_break is None else rules.meal_break.min
        best.append(max((rules.paid_s(s, least_break) for s in fits), default=0.0) / 3600.0)
    return sum(sorted(best, reverse=True)[: contract.max_days])


def staff_persons(
    staff: Sequence[StaffMember],
    days: Sequence[RosterDay],
    rules: RosterRules,
    groups: Sequence[str],
    rostered: Sequence[str],
) -> list[Person]:
    """``staff`` as the people of a week roster over ``days``: their windows
    resolved day by day. Raises StaffError for a contract the rules lack, a
    skill the scenario lacks (``groups``), skills that cover no rostered
    group, or someone who cannot reach their contract's weekly minimum."""
    out = []
    for member in staff:
        where = member.where
        if member.contract not in rules.contracts:
            known = ", ".join(rules.contracts) or "none: the rules have no contracts"
            raise StaffError(
                f"{where}, column contract: {member.contract!r} is not a contract of the rules "
                f"({known})"
            )
        for skill in member.skills:
            if skill not in groups:
                same = [g for g in groups if g.lower() == skill.lower()]
                close = same or difflib.get_close_matches(skill, groups, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise StaffError(
                    f"{where}, column skills: {skill!r} is not a counter group of the scenario "
                    f"({', '.join(groups)}){hint}"
                )
        if not set(member.skills) & set(rostered):
            raise StaffError(
                f"{where}, column skills: {';'.join(member.skills)!r} covers no rostered counter "
                f"group ({', '.join(rostered)})"
            )
        windows = tuple(_window(member, day) for day in days)
        person = Person(
            member.id, member.name, member.contract, frozenset(member.skills), windows, where
        )
        least = rules.contracts[member.contract].hours_per_week.min
        most = _most_hours(person, days, rules)
        if most < least - 1e-9:
            raise StaffError(
                f"{where}: can work at most {most:g} paid h this week, below the "
                f"{least:g} h minimum of contract {member.contract}"
            )
        out.append(person)
    return out
