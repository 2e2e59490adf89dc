"""Roster output: one day's shifts (:mod:`.day`), a week with people
(:mod:`.week` for the verdict, JSON and terminal tables, :mod:`.week_figures`,
:mod:`.week_report` for the HTML page, :mod:`.week_sheets` for the workbook)."""

from __future__ import annotations

from sim.reports.roster.day import (
    gantt_figure,
    print_roster,
    roster_json,
    write_gantt,
    write_roster_report,
)

__all__ = ["gantt_figure", "print_roster", "roster_json", "write_gantt", "write_roster_report"]
