"""Excel workbooks (``--xlsx FILE``) for planners who work in Excel or WPS:
each table of a command as a sheet, numbers as numbers (waits in minutes,
shares as fractions shown as percent, counts), times of day as Excel times
shown ``09:00``, names as they are (全球通VIP), a bold header row a person reads
with its unit, frozen under the header, and an ``About`` sheet with the hall,
the command line and the seed.

The values are the ``--json`` numbers in people's units: a wait's seconds
divided by 60, everything else unchanged. openpyxl is imported only when a
workbook is written.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sim.model.summary import KPI_KEYS, KpiStats, Stat
from sim.reports.kpi_text import label, unit

Kind = Literal["text", "time", "int", "num", "min", "pct"]
Value = str | int | float | dt.time | None
_FORMATS: dict[Kind, str] = {
    "text": "@", "time": "hh:mm", "int": "0", "num": "0.00", "min": "0.0", "pct": "0.0%",
}  # fmt: skip
_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass
class Sheet:
    """One sheet: ``columns`` are ``(header, kind)``, rows hold one value per column."""

    title: str
    columns: list[tuple[str, Kind]] = field(default_factory=list)
    rows: list[list[Value]] = field(default_factory=list)
    note: str = ""  # shown above the header
    # one kind per row for the "num" columns of a sheet whose rows are KPIs in
    # different units (minutes, percent, counts); empty: the column's kind
    row_kinds: list[Kind] = field(default_factory=list)
    autofilter: bool = False  # filter buttons on the header row (long lists)


def clock_time(seconds: float) -> dt.time:
    """Seconds after midnight as a time of day (minutes rounded)."""
    total_min = round(seconds / 60.0) % (24 * 60)
    return dt.time(total_min // 60, total_min % 60)


def kpi_kind(key: str) -> Kind:
    """The cell kind of KPI ``key``: minutes for waits, percent for shares."""
    return {"min": "min", "%": "pct"}.get(unit(key), "num")  # type: ignore[return-value]


def kpi_value(value: float | None, key: str) -> float | None:
    """A KPI value in the unit its column shows: a wait's seconds as minutes;
    None (an empty cell) where unknown."""
    if value is None or not math.isfinite(value):
        return None
    return value / 60.0 if unit(key) == "min" else value


def stat_columns(keys: Sequence[str] = KPI_KEYS, prefix: str = "") -> list[tuple[str, Kind]]:
    """``Mean wait (min)``, ``… 95% CI low``, ``… 95% CI high`` for each KPI."""
    out: list[tuple[str, Kind]] = []
    for key in keys:
        name = prefix + label(key)
        out += [(name, kpi_kind(key)), (f"{name} 95% CI low", kpi_kind(key)),
                (f"{name} 95% CI high", kpi_kind(key))]  # fmt: skip
    return out


def stat_values(stat: Stat, key: str) -> list[Value]:
    """Mean, CI low and CI high of a statistic in its column's unit."""
    return [kpi_value(stat.mean, key), kpi_value(stat.ci95[0], key), kpi_value(stat.ci95[1], key)]


def kpi_row(stats: KpiStats, keys: Sequence[str] = KPI_KEYS) -> list[Value]:
    """:func:`stat_values` of every KPI in ``keys``, matching :func:`stat_columns`."""
    return [v for key in keys for v in stat_values(stats[key], key)]


def about_sheet(facts: Sequence[tuple[str, str | int | float]]) -> Sheet:
    """The ``About`` sheet: one fact per row (hall, command line, seed, ...)."""
    return Sheet("About", [("", "text"), ("", "text")], [[k, v] for k, v in facts])


def _width(text: str) -> int:
    """Display width of ``text``: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` as an .xlsx workbook at ``path`` (its folder created);
    returns ``path``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF5")
    used: set[str] = set()
    for sheet in sheets:
        title = sheet.title.translate(_BAD_TITLE)[:31]
        while title in used:
            title = title[:28] + f" {len(used)}"
        used.add(title)
        ws = book.create_sheet(title)
        first = 1
        if sheet.note:
            ws.cell(1, 1, sheet.note).font = Font(italic=True)
            first = 3
        is_about = sheet.title == "About"
        if not is_about:
            for c, (header, _) in enumerate(sheet.columns, 1):
                cell = ws.cell(first, c, header)
                cell.font, cell.fill = bold, fill
                cell.alignment = Alignment(wrap_text=True, vertical="bottom")
            ws.freeze_panes = ws.cell(first + 1, 2)
            first += 1
        for r, row in enumerate(sheet.rows):
            for c, (value, (_, kind)) in enumerate(zip(row, sheet.columns, strict=True), 1):
                cell = ws.cell(first + r, c, value)
                if is_about and c == 1:
                    cell.font = bold
                elif value is not None and kind != "text":
                    shown = sheet.row_kinds[r] if sheet.row_kinds and kind == "num" else kind
                    cell.number_format = _FORMATS[shown]
        if sheet.autofilter and not is_about:
            last = get_column_letter(len(sheet.columns))
            ws.auto_filter.ref = f"A{first - 1}:{last}{first - 1 + len(sheet.rows)}"
        for c, (header, kind) in enumerate(sheet.columns, 1):
            cells = [str(row[c - 1]) for row in sheet.rows if row[c - 1] is not None]
            longest = max([_width(v) for v in cells if kind == "text"] or [8])
            head = min(_width(header), 24) if header else 0
            ws.column_dimensions[get_column_letter(c)].width = min(max(longest, head, 9) + 2, 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
