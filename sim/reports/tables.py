"""The tables both command lines print: rich's :class:`~rich.table.Table`,
which on a terminal narrower than itself first drops its frame and padding.

rich fits a table too wide for the terminal by shortening every column, so
at a common 80 columns ``hallsim run``'s table by interval showed its start
times as "09…" and its confidence intervals cut. This table is laid out as
rich lays it out wherever it fits; where it does not, it is drawn without a
frame or padding (a line under the headers, one space between columns),
about two columns less a column, and only what still does not fit is
shortened, as before.
"""

from __future__ import annotations

import copy

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table as RichTable

_UNBOUNDED = 100_000  # columns: wide enough for any table's natural width


class Table(RichTable):
    """A rich table that keeps its cells whole on a narrow terminal (see the
    module docstring)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        natural = console.measure(self, options=options.update_width(_UNBOUNDED)).maximum
        if self.box is None or natural <= options.max_width:
            yield from super().__rich_console__(console, options)
            return
        # rich's own layout of the compact copy (its class's check would only pass again)
        yield from RichTable.__rich_console__(self.compact(), console, options)

    def compact(self) -> RichTable:
        """This table without its frame and padding: a line under the headers,
        one space between columns."""
        compact = copy.copy(self)
        compact.box = box.SIMPLE_HEAD
        compact.padding = (0, 0, 0, 0)
        compact.show_edge = False
        compact.pad_edge = False
        return compact
