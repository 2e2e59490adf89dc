"""A day profile from a spreadsheet: two columns (time of day, value) of a CSV
or Excel file, as the piecewise-constant schedule a scenario's
``arrivals.rate_per_hour`` or a counter group's ``count`` takes, and the
scenario tree with that schedule filled in, validated like any scenario.

Every problem names the file, the row (as a spreadsheet numbers it) and the
value: ``arrivals.xlsx: row 7: time '25:00' is not a valid time of day``.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.model.scenario import Scenario, ScenarioError, scenario_from_dict
from sim.model.units import format_clock, parse_clock_s

_SHOWN = 8  # problems listed in one message
_COLUMN = re.compile(r"^[A-Za-z]{1,3}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Profile:
    """``steps``: ``(seconds after midnight, value)`` sorted by time, from
    ``source``; ``rows``: the spreadsheet row of each step."""

    source: str
    steps: tuple[tuple[float, float], ...]
    rows: tuple[int, ...] = ()

    def as_yaml(self) -> dict[str, int | float]:
        """The schedule as a scenario writes it: ``{"09:00": 40, ...}``."""
        return {format_clock(t): int(v) if float(v).is_integer() else v for t, v in self.steps}


def column_index(letter: str) -> int:
    """0-based index of a spreadsheet column letter (``A`` -> 0, ``AB`` -> 27)."""
    if not _COLUMN.match(letter):
        raise ScenarioError(f"{letter!r} is not a column letter (A, B, …)")
    index = 0
    for char in letter.upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def _rows_csv(path: Path) -> Iterator[list[Any]]:
    # utf-8-sig: Excel and WPS save CSV with a byte-order mark
    with path.open(encoding="utf-8-sig", newline="") as f:
        sample = f.read(4096)
        f.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        yield from csv.reader(f, dialect)


def _rows_xlsx(path: Path, sheet: str | None) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ... for a bad file
        raise ScenarioError(f"{path}: cannot read as an Excel workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ScenarioError(
                f"{path}: no sheet {sheet!r} (it has: {', '.join(book.sheetnames)})"
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        for row in ws.iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def _time_s(cell: Any, excel: bool) -> float:
    """Seconds after midnight of a time cell: a time, a date-time, an Excel day
    fraction (in a workbook) or text ``HH:MM``; raises ValueError."""
    if isinstance(cell, dt.datetime):
        cell = cell.time()
    if isinstance(cell, dt.time):
        return float(cell.hour * 3600 + cell.minute * 60 + cell.second)
    if excel and isinstance(cell, int | float) and not isinstance(cell, bool) and 0 <= cell < 1:
        return round(float(cell) * 86400.0)
    if isinstance(cell, str):
        return parse_clock_s(cell.strip())
    raise ValueError("is not a time of day (use HH:MM, e.g. 09:30)")


def _number(cell: Any) -> float:
    if isinstance(cell, bool):
        raise ValueError("is not a number")
    if isinstance(cell, int | float):
        value = float(cell)
    elif isinstance(cell, str) and _NUMBER.match(cell.strip()):
        value = float(cell.strip())
    else:
        raise ValueError("is not a number")
    if not math.isfinite(value):
        raise ValueError("is not a finite number")
    return value


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def read_profile(
    path: Path,
    *,
    whole: bool = False,
    sheet: str | None = None,
    columns: Sequence[str] = ("A", "B"),
) -> Profile:
    """The profile in the ``columns`` (time, value) of a ``.csv`` or ``.xlsx``
    file (``sheet``: the first one by default). Empty rows are skipped; a first
    row whose time cell is not a time is a header. Values must be non-negative
    numbers, whole numbers when ``whole``; each time may appear once. Raises
    :class:`ScenarioError` listing every problem by row and value."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise ScenarioError(f"{path}: read .csv or .xlsx files, not {suffix or 'no suffix'!r}")
    excel = suffix != ".csv"
    if not excel and sheet is not None:
        raise ScenarioError(f"{path}: a CSV file has no sheets (--sheet {sheet})")
    t_col, v_col = (column_index(c) for c in columns)
    try:
        rows = list(_rows_xlsx(path, sheet) if excel else _rows_csv(path))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: is not UTF-8 text; save the CSV as UTF-8") from None
    problems: list[str] = []
    seen: dict[float, int] = {}
    steps: list[tuple[float, float, int]] = []
    no_value: list[int] = []  # rows with a time and no value
    first_data = True
    for number, row in enumerate(rows, 1):
        t_cell = row[t_col] if t_col < len(row) else None
        v_cell = row[v_col] if v_col < len(row) else None
        if _empty(t_cell) and _empty(v_cell):
            continue
        try:
            t_s = _time_s(t_cell, excel)
        except ValueError as exc:
            if first_data and not _is_number(v_cell):  # a header row
                first_data = False
                continue
            problems.append(f"row {number}: time {_shown(t_cell)} {exc}")
            continue
        finally:
            first_data = False
        try:
            value = _number(v_cell)
            if value < 0:
                raise ValueError("must not be negative")
            if whole and not value.is_integer():
                raise ValueError("must be a whole number of counters")
        except ValueError as exc:
            if _empty(v_cell):
                no_value.append(number)
            problems.append(f"row {number}: " + ("no value" if _empty(v_cell) else
                                                  f"value {_shown(v_cell)} {exc}"))  # fmt: skip
            continue
        if t_s in seen:
            problems.append(
                f"row {number}: time {format_clock(t_s)} is already given in row {seen[t_s]}"
            )
            continue
        seen[t_s] = number
        steps.append((t_s, value, number))
    if not steps and not problems:
        problems.append("no rows with a time and a value")
    if no_value and not steps:  # not one value: the column is the wrong one
        letter = columns[1].upper()
        hint = _value_column(rows, t_col, v_col)
        problems = [
            f"column {letter} has no values (rows {no_value[0]}–{no_value[-1]})"
            + (
                f"; the numbers are in column {hint}: use --columns {columns[0]},{hint}"
                if hint
                else "; give the value column with --columns TIME,VALUE"
            )
        ]
    if problems:
        more = f"\n… and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        raise ScenarioError("\n".join(f"{path}: {p}" for p in problems[:_SHOWN]) + more)
    steps.sort()
    return Profile(str(path), tuple((t, v) for t, v, _ in steps), tuple(r for _, _, r in steps))


def _value_column(rows: Sequence[Sequence[Any]], t_col: int, v_col: int) -> str | None:
    """The letter of the first column (not the time's) that holds numbers in
    most rows, or None."""
    width = max((len(r) for r in rows), default=0)
    for col in range(width):
        if col in (t_col, v_col):
            continue
        cells = [r[col] for r in rows if col < len(r) and not _empty(r[col])]
        if cells and sum(_is_number(c) for c in cells) >= max(1, len(rows) - 2):
            return _letter(col)
    return None


def _letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> A, 27 -> AB)."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def _is_number(cell: Any) -> bool:
    try:
        _number(cell)
    except ValueError:
        return False
    return True


def _shown(cell: Any) -> str:
    if isinstance(cell, dt.datetime | dt.time):
        return repr(cell.isoformat())
    return repr(cell) if not isinstance(cell, str) else repr(cell.strip())


def fill_schedule(
    data: Mapping[str, object], profile: Profile, *, counter: str | None, source: str
) -> tuple[dict[str, object], Scenario]:
    """The scenario tree ``data`` (as read from its YAML) with the profile as
    ``arrivals.rate_per_hour`` (``counter`` None) or as the ``count`` of the
    counter group ``counter``, and the scenario it validates to. Raises
    :class:`ScenarioError`: an unknown group, or any scenario error, each line
    naming ``source`` and the imported file."""
    data = dict(data)  # a YAML tree: only the part replaced is looked into
    _within_hours(data, profile, source)
    if counter is None:
        arrivals = data.get("arrivals")
        if not isinstance(arrivals, dict):
            raise ScenarioError(f"{source}: arrivals: is missing; add the arrivals section first")
        data["arrivals"] = arrivals | {"rate_per_hour": profile.as_yaml()}
        where = "arrivals.rate_per_hour"
    else:
        groups = data.get("counters")
        if not isinstance(groups, list):
            groups = []
        ids = [g.get("id") for g in groups if isinstance(g, dict)]
        if counter not in ids:
            raise ScenarioError(
                f"{source}: counters: no group {counter!r} (it has: {', '.join(map(str, ids))})"
            )
        k = ids.index(counter)
        data["counters"] = [
            g | {"count": profile.as_yaml()} if i == k else g for i, g in enumerate(groups)
        ]
        where = f"counters[{k}].count"
    try:
        return data, scenario_from_dict(data, source=source)
    except ScenarioError as exc:
        lines = [
            f"{line if line.startswith(source) else f'{source}: {line}'} "
            f"(with {where} from {profile.source})"
            for line in str(exc).splitlines()
        ]
        raise ScenarioError("\n".join(lines)) from None


def _within_hours(data: Mapping[str, object], profile: Profile, source: str) -> None:
    """Refuse steps before the hall opens or from its closing time on: a row at
    08:00 for a hall opening at 09:00 is a mistake, not a schedule."""
    if "horizon" in data:
        return
    try:
        opens = parse_clock_s(data.get("open", "09:00"))
        closes = parse_clock_s(data.get("close", "18:00"))
    except ValueError:
        return  # the scenario's own check names it
    if closes <= opens:
        return  # and this
    problems = []
    for (t_s, _), row in zip(profile.steps, profile.rows or [None] * len(profile.steps),
                             strict=True):  # fmt: skip
        if t_s < opens or t_s >= closes:
            where = f"row {row}: " if row is not None else ""
            problems.append(
                f"{profile.source}: {where}time {format_clock(t_s)} is outside the opening "
                f"hours of {source} ({format_clock(opens)}–{format_clock(closes)})"
            )
    if problems:
        raise ScenarioError("\n".join(problems))
