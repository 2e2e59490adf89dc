"""``hallsim roster``: people on shifts for one hall's week or day, or for many
halls at once. Thin: load and check everything (output paths included) before
computing, call :mod:`sim.planning.roster`, present with :mod:`sim.reports.roster`."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.options import (
    AsJson,
    DaskAddress,
    ReportDir,
    Workers,
    XlsxFile,
    command_line,
)
from sim.model.scenario import ScenarioError
from sim.reports.terminal import fail, load_or_fail, progress_bar

if TYPE_CHECKING:
    from sim.planning.roster.batch import HallJob, HallResult
    from sim.planning.roster.rules import RosterRules
    from sim.planning.roster.staff import StaffMember

ScenarioArgs = Annotated[
    list[Path],
    typer.Argument(
        metavar="SCENARIO...",
        help="Scenario YAML files, or folders of them: several halls are rostered in parallel.",
        show_default=False,
    ),
]


def _in_file(path: Path, exc: ScenarioError) -> str:
    """``exc``'s lines, each prefixed with the file it is about."""
    return "\n".join(
        line if line.startswith(str(path)) else f"{path}: {line}" for line in str(exc).splitlines()
    )


def _scenario_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
            if not found:
                raise fail(f"{path}: a folder with no scenario (.yaml) files")
            files += found
        else:
            files.append(path)
    return files


def _writable(path: Path, option: str, *, folder: bool) -> None:
    """Exit 2 unless ``path`` can be written (as a file, or a folder to create)."""
    if path.exists() and path.is_dir() != folder:
        raise fail(f"{option} {path}: is {'a file' if folder else 'a folder'}")
    parent = path if folder and path.exists() else path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise fail(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK):
        raise fail(f"{option} {path}: cannot write in {parent}")


def _start(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"--start: {text!r} is not a date (YYYY-MM-DD)") from None


def _load_rules(path: Path) -> RosterRules:
    from sim.planning.roster.rules import load_rules

    try:
        return load_rules(path)
    except ScenarioError as exc:
        raise fail(_in_file(path, exc)) from None


def _staff_for(staff: Path | None, hall: str, batch: bool) -> tuple[StaffMember, ...] | None:
    """The hall's staff: ``--staff FILE``, or in a batch ``DIR/<hall>.csv|xlsx``."""
    from sim.planning.roster.staff import read_staff

    if staff is None:
        return None
    if not staff.is_dir():
        return read_staff(staff)
    for suffix in (".csv", ".xlsx"):
        if (staff / f"{hall}{suffix}").is_file():
            return read_staff(staff / f"{hall}{suffix}")
    if batch:
        return None
    raise fail(f"--staff {staff}: no {hall}.csv or {hall}.xlsx in this folder")


def roster(
    ctx: typer.Context,
    scenarios: ScenarioArgs,
    rules: Annotated[Path, typer.Option("--rules", metavar="FILE", help="Roster rules YAML file.")],
    staff: Annotated[
        Path | None,
        typer.Option(
            "--staff",
            metavar="FILE",
            help="Named staff (.csv or .xlsx; a folder of <hall>.csv for several halls): "
            "roster them instead of hiring per contract.",
        ),
    ] = None,
    day: Annotated[
        str | None,
        typer.Option(
            "--day",
            metavar="DAY",
            help="Roster one day's shifts without people: a weekday (mon) or a date (2027-01-04).",
        ),
    ] = None,
    week: Annotated[
        bool, typer.Option("--week", help="Roster a typical week of a scenario without a week.")
    ] = False,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            metavar="DATE",
            help="Roster the seven days from DATE (holidays applied) instead of a typical week.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="One-day rosters: write the scenario with these shifts to FILE (a folder for "
            "several halls).",
        ),
    ] = None,
    as_json: AsJson = False,
    png: Annotated[
        Path | None,
        typer.Option("--png", metavar="FILE", help="Write the roster chart (PNG)."),
    ] = None,
    report: ReportDir = None,
    xlsx: XlsxFile = None,
    workers: Workers = None,
    dask: DaskAddress = None,
) -> None:
    """Put people on shifts: a week with days off, weekly hours and meal breaks for each
    contract (named staff with --staff), or one day's shifts (--day). Several SCENARIOs are
    rostered in parallel."""
    from sim.planning.roster.batch import HallJob

    files = _scenario_files(scenarios)
    batch = len(files) > 1
    if day is not None and (week or start is not None or staff is not None):
        raise fail("--day rosters one day's shifts: it takes no --week, --start or --staff")
    if batch and png is not None:
        raise fail("--png draws one hall; for several use --report DIR (a page per hall)")
    for path, option, folder in (
        (out, "--out", batch), (png, "--png", False), (report, "--report", True),
        (xlsx, "--xlsx", False),
    ):  # fmt: skip
        if path is not None:
            _writable(path, option, folder=folder)
    when = _start(start)
    rule_set = _load_rules(rules)
    jobs = []
    for path in files:
        scn = load_or_fail(path)
        people = _staff_for(staff, scn.hall, batch)
        jobs.append(HallJob(scn, rule_set, people, day, week, when))
    if out is not None and any(job.is_week for job in jobs):
        raise fail(
            "--out writes the shifts of a one-day roster (--day); a week roster is written "
            "with --json, --xlsx or --report"
        )
    results = _solve(jobs, workers, dask) if batch else [_one(jobs[0], rules)]
    from sim.reports.roster.output import Output

    shown = Output(command_line(ctx), str(rules), None if staff is None else str(staff), as_json)
    if batch:
        shown.batch(jobs, results, out, report, xlsx)
    else:
        shown.hall(jobs[0], results[0], out, png, report, xlsx)


def _one(job: HallJob, rules: Path) -> HallResult:
    from sim.planning.roster.batch import roster_hall

    try:
        return roster_hall(job)
    except ScenarioError as exc:
        raise fail(_in_file(rules, exc)) from None


def _solve(jobs: list[HallJob], workers: int | None, dask: str | None) -> list[HallResult]:
    from sim.planning.roster.batch import roster_halls
    from sim.runs.dask_executor import make_executor

    executor = make_executor(workers, dask, len(jobs))
    progress = progress_bar()
    try:
        with progress:
            task = progress.add_task(f"rostering {len(jobs)} halls", total=len(jobs))
            return roster_halls(jobs, executor, on_done=lambda _: progress.advance(task))
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    finally:
        executor.close()
