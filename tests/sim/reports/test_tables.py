"""The tables of both command lines (:mod:`sim.reports.tables`): as rich lays
them out where they fit; on a narrower terminal without frame and padding
before any cell is cut."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table as RichTable

from sim.reports.tables import Table

HEADERS = ("start", "arrivals", "served", "aband.", "balked", "wait", "p90", "SL", "queue", "util")
ROW = ("12:15", "12.5", "10.1", "2.5", "0.0", "6.2±2.8", "12.0±4.9", "72%±11", "6.3", "82%")


def _table(kind: type[RichTable]) -> RichTable:
    table = kind(title="By interval (arrival time)", title_justify="left", header_style="bold")
    for i, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if i == 0 else "right", no_wrap=True)
    table.add_row(*ROW)
    return table


def _shown(table: RichTable, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(table)
    return out.getvalue()


@pytest.mark.parametrize("width", [92, 120, 200])  # the table takes 92
def test_a_table_that_fits_is_rich_s_own(width: int) -> None:
    assert _shown(_table(Table), width) == _shown(_table(RichTable), width)
    assert "┃ start ┃" in _shown(_table(Table), width)


@pytest.mark.parametrize("width", [70, 80, 91])  # compact, it takes 70
def test_a_narrower_terminal_drops_the_frame_before_cutting_a_cell(width: int) -> None:
    assert "…" in _shown(_table(RichTable), width)  # rich's own: every column cut
    lines = _shown(_table(Table), width).splitlines()
    assert lines[1].split() == list(HEADERS)
    assert set(lines[2].strip()) == {"─"}  # a line under the headers
    assert lines[3].split() == list(ROW)  # every cell whole
    assert max(map(len, lines)) <= width


def test_what_does_not_fit_even_so_is_cut_to_the_terminal() -> None:
    lines = _shown(_table(Table), 50).splitlines()
    assert max(map(len, lines)) <= 50 and "…" in lines[3]


def test_a_table_without_a_frame_is_left_as_it_is() -> None:
    table, plain = _table(Table), _table(RichTable)
    table.box = plain.box = None
    assert _shown(table, 60) == _shown(plain, 60)


WEEK = (
    ("day", "Tue, Wed, Thu"),
    ("hours", "09:00–21:00"),
    ("B counter-hours (Erlang C/A / simulation)", "35.25 / 58.50"),
    ("every counter (h)", "113.5"),
    ("cost a day (¥)", "6,009"),
    ("intervals meeting", "48/48"),
    ("lowest probability", "0.91 at 19:30"),
)  # hallsim staff's week: headers far wider than their values


def _week(kind: type[RichTable]) -> RichTable:
    table = kind(title="The week", title_justify="left", header_style="bold")
    for head, _ in WEEK:
        table.add_column(head, justify="left" if head in ("day", "hours") else "right")
    table.add_row(*(value for _, value in WEEK))
    return table


def test_headers_wrap_to_their_values_where_compact_is_still_too_wide() -> None:
    lines = _shown(_week(Table), 80).rstrip("\n").splitlines()
    assert max(map(len, lines)) <= 80
    assert " ".join(lines[-1].split()) == " ".join(value for _, value in WEEK)  # the row whole
    header = lines[1 : lines.index(next(line for line in lines if set(line.strip()) == {"─"}))]
    assert any(line.split()[-1:] == ["lowest"] for line in header), header
    assert header[-1].split()[-1] == "probability", header
    assert "…" not in "".join(lines)
    # rich's own, framed or not, wraps the values too: "35.25 /" over "58.50"
    assert not any("35.25 / 58.50" in line for line in _shown(_week(RichTable), 80).splitlines())
