"""The tables both command lines print: rich's :class:`~rich.table.Table`,
which on a terminal narrower than itself first drops its frame and padding,
then wraps its long headers.

rich fits a table too wide for the terminal by shortening every column, so
at a common 80 columns ``hallsim run``'s table by interval showed its start
times as "09…" and its confidence intervals cut. This table is laid out as
rich lays it out wherever it fits; where it does not, it is drawn without a
frame or padding (a line under the headers, one space between columns:
about two columns less a column); where that is still too wide, each header
longer than its column's values is wrapped at its spaces to their width;
only what still does not fit is shortened, as before.
"""

from __future__ import annotations

import copy
import dataclasses
import textwrap

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Column
from rich.table import Table as RichTable

_UNBOUNDED = 100_000  # columns: wide enough for any table's natural width


class Table(RichTable):
    """A rich table that keeps its cells whole on a narrow terminal (see the
    module docstring)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.box is None or _width(self, console, options) <= options.max_width:
            yield from super().__rich_console__(console, options)
            return
        compact = self.compact()
        if _width(compact, console, options) > options.max_width:
            compact.columns = [_header_wrapped(c, console, options) for c in compact.columns]
        # rich's own layout of the compact copy (its class's check would only pass again)
        yield from RichTable.__rich_console__(compact, console, options)

    def compact(self) -> RichTable:
        """This table without its frame and padding: a line under the headers,
        one space between columns."""
        compact = copy.copy(self)
        compact.box = box.SIMPLE_HEAD
        compact.padding = (0, 0, 0, 0)
        compact.show_edge = False
        compact.pad_edge = False
        return compact


def _width(table: RichTable, console: Console, options: ConsoleOptions) -> int:
    """The columns ``table`` takes where nothing limits it."""
    return console.measure(table, options=options.update_width(_UNBOUNDED)).maximum


def _header_wrapped(column: Column, console: Console, options: ConsoleOptions) -> Column:
    """``column`` with its header wrapped at its spaces to the width of its
    widest value (or of the header's longest word), when the header is the
    wider: "lowest probability" over "0.90 at 12:30"."""
    header = column.header
    if not isinstance(header, str) or " " not in header:
        return column
    wide = options.update_width(_UNBOUNDED)
    values = max((console.measure(cell, options=wide).maximum for cell in column.cells), default=0)
    width = max(values, *map(cell_len, header.split()))
    if max(map(cell_len, header.splitlines())) <= width:
        return column
    lines = [line for part in header.splitlines() for line in textwrap.wrap(part, width)]
    return dataclasses.replace(column, header="\n".join(lines))
