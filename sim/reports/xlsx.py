"""Excel workbooks (``--xlsx FILE``) for planners who work in Excel or WPS:
each table of a command as a sheet, numbers as numbers (waits in minutes,
shares as fractions shown as percent, counts), times of day as Excel times
shown ``09:00``, names as they are (全球通VIP), a bold header row a person reads
with its unit, frozen under the header with a filter on every column, cells
below target in red (conditional formatting, so it follows an edited value),
charts beside the interval tables, the command's verdict above the first
table, and an ``About`` sheet with the hall, the command line and the seed.

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
from typing import TYPE_CHECKING, Literal

from sim.model.summary import KPI_KEYS, KpiStats, Stat
from sim.reports.kpi_text import label, unit

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

Kind = Literal["text", "time", "int", "num", "min", "pct"]
Value = str | int | float | dt.time | None
_FORMATS: dict[Kind, str] = {
    "text": "@", "time": "hh:mm", "int": "0", "num": "0.00", "min": "0.0", "pct": "0.0%",
}  # fmt: skip
_BAD_TITLE = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Highlight:
    """Cells of column ``column`` (0-based) shown red when below ``below``,
    above ``above``, or equal to ``equal`` (``no`` in a yes/no column)."""

    column: int
    below: float | None = None
    above: float | None = None
    equal: str | None = None


@dataclass(frozen=True)
class Chart:
    """A chart beside the table: the values of columns ``series`` (0-based)
    against column ``x``, over rows ``first`` to ``last`` (0-based, inclusive;
    None: every row); ``percent`` formats the value axis as percent."""

    title: str
    x: int
    series: tuple[int, ...]
    y_title: str
    kind: Literal["line", "bar"] = "line"
    first: int | None = None
    last: int | None = None
    percent: bool = False


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
    highlights: list[Highlight] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    verdict: tuple[str, bool] | None = None  # the command's answer (text, good news), on top


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

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for sheet in sheets:
        title = sheet.title.translate(_BAD_TITLE)[:31]
        while title in used:
            title = title[:28] + f" {len(used)}"
        used.add(title)
        _fill(book.create_sheet(title), sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


RED_FONT, RED_FILL = "9C0006", "FFC7CE"  # Excel's own "light red fill with dark red text"
GREEN_FONT = "1E6B2A"


def _fill(ws: Worksheet, sheet: Sheet) -> None:
    """One sheet: the verdict and note, the header, the rows, then widths,
    filter, highlights and charts."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.properties import PageSetupProperties

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF5")
    first = 1
    if sheet.verdict is not None:
        text, good = sheet.verdict
        ws.cell(first, 1, text).font = Font(bold=True, size=12,
                                            color=GREEN_FONT if good else RED_FONT)  # fmt: skip
        first += 1
    if sheet.note:
        ws.cell(first, 1, sheet.note).font = Font(italic=True)
        first += 1
    if first > 1:
        first += 1  # a blank row above the header
    is_about = sheet.title == "About"
    header_row = first
    if not is_about:
        for c, (header, _) in enumerate(sheet.columns, 1):
            cell = ws.cell(first, c, header)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        ws.freeze_panes = f"B{first + 1}"
        longest = max((_width(h) for h, _ in sheet.columns), default=0)
        ws.row_dimensions[first].height = 15.0 * min(3, 1 + longest // 14)
        first += 1
    for r, row in enumerate(sheet.rows):
        for c, (value, (_, kind)) in enumerate(zip(row, sheet.columns, strict=True), 1):
            cell = ws.cell(first + r, c, value)
            if is_about and c == 1:
                cell.font = bold
            elif value is not None and kind != "text":
                shown = sheet.row_kinds[r] if sheet.row_kinds and kind == "num" else kind
                cell.number_format = _FORMATS[shown]
    _widths(ws, sheet)
    # printed landscape, one page wide (charts included), as many pages long as it takes
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if is_about or not sheet.rows:
        return
    last_row = first + len(sheet.rows) - 1
    ws.auto_filter.ref = f"A{header_row}:{_col(len(sheet.columns) - 1)}{last_row}"
    _highlight(ws, sheet, first, last_row)
    for k, chart in enumerate(sheet.charts):
        _chart(ws, sheet, chart, header_row, first, k)


def _col(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _widths(ws: Worksheet, sheet: Sheet) -> None:
    for c, (header, kind) in enumerate(sheet.columns):
        cells = [str(row[c]) for row in sheet.rows if row[c] is not None]
        longest = max([_width(v) for v in cells if kind == "text"] or [8])
        head = min(_width(header), 14) if header else 0  # longer headers wrap
        ws.column_dimensions[_col(c)].width = min(max(longest, head, 9) + 2, 60)


def _highlight(ws: Worksheet, sheet: Sheet, first: int, last: int) -> None:
    """Conditional formatting: red where a value is below its target."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill

    red = {"font": Font(color=RED_FONT), "fill": PatternFill(bgColor=RED_FILL)}
    for h in sheet.highlights:
        cells = f"{_col(h.column)}{first}:{_col(h.column)}{last}"
        if h.below is not None:
            operator, formula = "lessThan", repr(float(h.below))
        elif h.above is not None:
            operator, formula = "greaterThan", repr(float(h.above))
        else:
            operator, formula = "equal", f'"{h.equal}"'
        rule = CellIsRule(operator=operator, formula=[formula], **red)  # type: ignore[no-untyped-call]
        ws.conditional_formatting.add(cells, rule)


def _chart(ws: Worksheet, sheet: Sheet, spec: Chart, header: int, first: int, k: int) -> None:
    """A line or bar chart of ``spec`` to the right of the table, one under another."""
    from openpyxl.chart import BarChart, LineChart, Reference

    chart = LineChart() if spec.kind == "line" else BarChart()
    chart.title = spec.title
    chart.y_axis.title = spec.y_title
    chart.x_axis.title = sheet.columns[spec.x][0]
    chart.height, chart.width = 7.5, 18.0  # type: ignore[assignment]  # cm, floats in openpyxl
    lo = first + (spec.first or 0)
    hi = first + (spec.last if spec.last is not None else len(sheet.rows) - 1)
    for col in spec.series:
        values = Reference(ws, min_col=col + 1, min_row=lo, max_row=hi)
        chart.add_data(values, titles_from_data=False)
        chart.series[-1].tx = None
    from openpyxl.chart.series import SeriesLabel

    for series, col in zip(chart.series, spec.series, strict=True):
        series.tx = SeriesLabel(v=sheet.columns[col][0])
    chart.set_categories(Reference(ws, min_col=spec.x + 1, min_row=lo, max_row=hi))
    for series in chart.series:
        series.smooth = False  # a service level is measured per interval, not a curve
    if spec.percent:
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0.0, 1.0
    chart.x_axis.number_format = _FORMATS[sheet.columns[spec.x][1]]
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    anchor = f"{_col(len(sheet.columns) + 1)}{header + 16 * k}"
    ws.add_chart(chart, anchor)
