"""Everything that presents results to people, and only that: terminal tables
and JSON (terminal, kpi_text, kpi_tables), HTML reports and plots (run, plots,
staffing, roster, sweep, fit). Takes typed results and KPIs, never the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._exports import lazy

if TYPE_CHECKING:
    from sim.reports.kpi_text import format_stat as format_stat
    from sim.reports.kpi_text import format_value as format_value
    from sim.reports.run import write_report as write_report
    from sim.reports.terminal import emit_json as emit_json
    from sim.reports.terminal import fail as fail
    from sim.reports.terminal import user_errors as user_errors

__getattr__, __all__ = lazy(
    __name__,
    {
        "emit_json": "terminal",
        "fail": "terminal",
        "user_errors": "terminal",
        "format_stat": "kpi_text",
        "format_value": "kpi_text",
        "write_report": "run",
    },
)
