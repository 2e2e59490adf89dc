"""Everything ``hallsim roster`` shows and writes once the rosters are made: for
one hall its table or JSON and its files (scenario, chart, report, workbook);
for many halls a table with one row per hall, and each hall's report page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.model.scenario_io import scenario_yaml
from sim.planning.roster.batch import DayResult, HallJob, HallResult
from sim.planning.roster.output import rostered_scenario
from sim.planning.roster.week import WeekRoster
from sim.reports.roster.day import (
    print_roster,
    roster_json,
    write_gantt,
    write_roster_report,
)
from sim.reports.roster.week import money, print_week, week_json
from sim.reports.tables import Table
from sim.reports.terminal import emit_json, err, stdout_console
from sim.reports.xlsx import Sheet, about_sheet, write_workbook


def _said(what: str, path: Path) -> None:
    err.print(f"{what}: {path}", highlight=False)


@dataclass(frozen=True)
class Output:
    """How to present: the command line that reproduces the numbers, the rules
    and staff files named on pages, and JSON instead of tables."""

    command_line: str
    rules: str
    staff: str | None
    as_json: bool

    def hall(
        self,
        job: HallJob,
        result: HallResult,
        out: Path | None,
        png: Path | None,
        report: Path | None,
        xlsx: Path | None,
    ) -> None:
        """One hall's table (or JSON) and files."""
        groups = [g.id for g in job.scenario.counters]
        if isinstance(result, WeekRoster):
            self._week_files(result, png, report, xlsx, groups)
            if self.as_json:
                emit_json(week_json(result))
            else:
                print_week(stdout_console(), result)
            return
        self._day_files(job, result, out, png, report, xlsx, groups)
        if self.as_json:
            emit_json(roster_json(result.roster, job.scenario.hall, _day_facts(job, result)))
        else:
            print_roster(
                stdout_console(), result.roster, job.scenario.hall, _day_facts(job, result)
            )

    def _week_files(
        self,
        result: WeekRoster,
        png: Path | None,
        report: Path | None,
        xlsx: Path | None,
        groups: Sequence[str],
    ) -> None:
        from sim.reports.roster.week_figures import week_chart
        from sim.reports.roster.week_report import write_week_report
        from sim.reports.roster.week_sheets import week_sheets
        from sim.reports.style import plot_style

        if png is not None:
            png.parent.mkdir(parents=True, exist_ok=True)
            with plot_style() as font:
                week_chart(result, font is not None, groups).savefig(png)
            _said("roster chart", png)
        if report is not None:
            page = write_week_report(
                result, self.rules, self.staff, report, self.command_line, groups
            )
            _said("report", page)
        if xlsx is not None:
            _said("workbook", write_workbook(xlsx, week_sheets(result, self.command_line)))

    def _day_files(
        self,
        job: HallJob,
        result: DayResult,
        out: Path | None,
        png: Path | None,
        report: Path | None,
        xlsx: Path | None,
        groups: Sequence[str],
    ) -> None:
        scn = job.scenario
        if out is not None:
            rostered = rostered_scenario(result.scenario, result.roster)
            header = f"# {scn.hall} rostered by `hallsim roster` with {Path(self.rules).name}\n"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(header + scenario_yaml(rostered), encoding="utf-8")
            _said("rostered scenario", out)
        if png is not None:
            png.parent.mkdir(parents=True, exist_ok=True)
            write_gantt(result.roster, png, scn.hall, scn.name, groups)
            _said("gantt chart", png)
        facts = _day_facts(job, result)
        if report is not None:
            page = write_roster_report(
                result.roster, scn.hall, scn.name, self.rules, report, self.command_line, groups,
                facts,
            )  # fmt: skip
            _said("report", page)
        if xlsx is not None:
            from sim.reports.roster.day_sheets import day_sheets

            sheets = day_sheets(result.roster, scn.hall, scn.name, self.command_line)
            _said("workbook", write_workbook(xlsx, sheets))

    def batch(
        self,
        jobs: Sequence[HallJob],
        results: Sequence[HallResult],
        out: Path | None,
        report: Path | None,
        xlsx: Path | None,
    ) -> None:
        """A row per hall (or ``{"halls": [...]}`` in JSON), and per hall its
        page ``DIR/<hall>/roster.html`` and one-day scenario ``DIR/<hall>.yaml``."""
        for job, result in zip(jobs, results, strict=True):
            hall = job.scenario.hall
            if out is not None and isinstance(result, DayResult):
                self._day_files(job, result, out / f"{hall}.yaml", None, None, None, [])
            if report is not None:
                groups = [g.id for g in job.scenario.counters]
                if isinstance(result, WeekRoster):
                    self._week_files(result, None, report / hall, None, groups)
                else:
                    self._day_files(job, result, None, None, report / hall, None, groups)
        rows = [_summary(job, result) for job, result in zip(jobs, results, strict=True)]
        if xlsx is not None:
            _said("workbook", write_workbook(xlsx, _batch_sheets(rows, self.command_line)))
        if self.as_json:
            emit_json(
                {
                    "halls": [
                        week_json(r)
                        if isinstance(r, WeekRoster)
                        else roster_json(r.roster, j.scenario.hall, _day_facts(j, r))
                        for j, r in zip(jobs, results, strict=True)
                    ]
                }
            )
            return
        console = stdout_console()
        console.print(f"[bold]{_batch_verdict(rows)}[/]", highlight=False, soft_wrap=True)
        table = Table(title=f"Rosters of {len(jobs)} halls", title_justify="left",
                      header_style="bold")  # fmt: skip
        for header in _HEADERS:
            table.add_column(
                header, justify="left" if header in ("hall", "roster", "coverage") else "right"
            )
        for row in rows:
            cells = {k: v for k, v in row.items() if k != "currency"}
            cells["cost"] = money(row["cost"], row["currency"])
            table.add_row(*(_shown(v) for v in cells.values()))
        console.print(table)


_HEADERS = ("hall", "roster", "people", "FTE", "paid h", "cost", "coverage", "solve s")


def _batch_verdict(rows: Sequence[dict[str, Any]]) -> str:
    """``20 halls: 640 people, 455.1 FTE, 18,204 paid h, ¥790,112 a week; 20 covered``."""
    currencies = {row["currency"] for row in rows}
    costs = [row["cost"] for row in rows]
    money_text = ""
    if len(currencies) == 1 and all(c is not None for c in costs):
        money_text = f", {money(sum(costs), currencies.pop())}"
    weeks = [row for row in rows if row["roster"] == "week"]
    fte = sum(row["fte"] for row in weeks)
    covered = sum(row["coverage"] == "covered" for row in rows)
    return (
        f"{len(rows)} halls: {sum(row['people'] for row in rows)} people, {fte:.1f} FTE, "
        f"{sum(row['paid_hours'] for row in rows):,.0f} paid h{money_text}; "
        f"{covered} of {len(rows)} covered"
    )


def _shown(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)


def _day_facts(job: HallJob, result: DayResult) -> dict[str, Any]:
    """What a one-day roster's outputs add about the hall: the day, the
    workforce's cost per hour and currency."""
    workforce = job.scenario.workforce
    return {"day": result.day, "cost_per_hour": workforce.cost_per_hour,
            "currency": workforce.currency}  # fmt: skip


def _summary(job: HallJob, result: HallResult) -> dict[str, Any]:
    """One hall's row of the batch table."""
    hall = job.scenario.hall
    if isinstance(result, WeekRoster):
        coverage = "covered" if not result.short else f"short in {result.short_slots} slots"
        return {
            "hall": hall, "roster": "week", "people": len(result.people), "fte": result.fte,
            "paid_hours": result.paid_hours, "cost": result.cost, "coverage": coverage,
            "solve_s": result.solve_s, "currency": result.workforce.currency,
        }  # fmt: skip
    roster = result.roster
    rate = job.scenario.workforce.cost_per_hour
    cost = None if rate is None else roster.staff_hours * rate
    return {
        "hall": hall, "roster": f"day {result.day}", "people": sum(s.people for s in roster.shifts),
        "fte": None, "paid_hours": roster.staff_hours, "cost": cost, "coverage": "covered",
        "solve_s": roster.solve_s, "currency": job.scenario.workforce.currency,
    }  # fmt: skip


def _batch_sheets(rows: Sequence[dict[str, Any]], command_line: str) -> list[Sheet]:
    halls = Sheet(
        "Halls",
        [("hall", "text"), ("roster", "text"), ("people", "int"), ("FTE", "num"),
         ("paid hours", "num"), ("cost", "num"), ("coverage", "text"), ("solve seconds", "num"),
         ("currency", "text")],
    )  # fmt: skip
    halls.rows = [list(row.values()) for row in rows]
    about = about_sheet(
        [("Halls", len(rows)), ("Reproduce with", command_line), ("Verdict", _batch_verdict(rows))]
    )
    return [halls, about]
