"""The sheets of each command's workbook (``--xlsx``), from the same typed
results as its ``--json``: see :mod:`sim.reports.xlsx` for units and layout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sim.model.summary import KPI_KEYS
from sim.model.units import parse_clock_s
from sim.planning.staffing_result import StaffingResult
from sim.planning.whatif import CompareResult, SweepPoint
from sim.reports.kpi_text import label
from sim.reports.xlsx import (
    Kind,
    Sheet,
    Value,
    about_sheet,
    clock_time,
    kpi_kind,
    kpi_row,
    kpi_value,
    stat_columns,
    stat_values,
)
from sim.runs.experiment import RunSummary

# the per-interval differences compare shows: service level, mean wait, mean queue
INTERVAL_KEYS = ("service_level", "wait_mean_s", "queue_mean")


def _about(
    hall: str, name: str | None, command_line: str, seed: int | None
) -> list[tuple[str, str | int | float]]:
    return [
        ("Hall", hall),
        ("Name", name or ""),
        ("Reproduce with", command_line),
        ("Seed", "– (no randomness)" if seed is None else seed),
        (
            "Units",
            "waits in minutes; shares as percent; counts as numbers; 95% CIs over "
            "replications (Student t)",
        ),
    ]


def run_sheets(
    summary: RunSummary,
    names: Mapping[str, str | None],
    hall_name: str | None,
    command_line: str,
) -> list[Sheet]:
    """``hallsim run``: Overall, By interval, By segment, By service, Kiosks, About.
    ``names`` maps segment and service ids to display names."""
    kpis = summary.kpis
    overall = Sheet(
        "Overall",
        [
            ("KPI", "text"),
            ("mean", "num"),
            ("95% CI low", "num"),
            ("95% CI high", "num"),
            ("replications with a value", "int"),
        ],
    )
    for key in KPI_KEYS:
        stat = kpis.overall[key]
        overall.rows.append([label(key), *stat_values(stat, key), stat.n])
        overall.row_kinds.append(kpi_kind(key))
    sheets = [overall]
    if kpis.by_interval:
        by_interval = Sheet("By interval", [("start", "time"), *stat_columns()])
        by_interval.rows = [
            [clock_time(parse_clock_s(row.start)), *kpi_row(row.kpis)] for row in kpis.by_interval
        ]
        sheets.append(by_interval)
    for title, first, tables in (
        ("By segment", "segment", kpis.by_segment),
        ("By service", "service", kpis.by_service),
    ):
        sheet = Sheet(title, [(first, "text"), ("name", "text"), *stat_columns()])
        sheet.rows = [[k, names.get(k) or "", *kpi_row(t)] for k, t in tables.items()]
        sheets.append(sheet)
    if kpis.kiosk["arrivals"].mean:
        sheets.append(
            Sheet(
                "Kiosks", [("", "text"), *stat_columns()], [["kiosk users", *kpi_row(kpis.kiosk)]]
            )
        )
    facts = _about(summary.scenario, hall_name, command_line, summary.seed)
    facts.insert(3, ("Replications", summary.replications))
    sheets.append(about_sheet(facts))
    return sheets


def staffing_sheets(result: StaffingResult, command_line: str) -> list[Sheet]:
    """``hallsim staff``: Plan (per interval, every group, totals, service
    levels), Plans (totals per method), About."""
    columns: list[tuple[str, Kind]] = [
        ("start", "time"),
        ("arrivals per hour", "num"),
        ("offered load (Erlangs)", "num"),
        *((f"{g} (fixed)", "int") for g in result.fixed_groups),
    ]
    for m in result.methods:
        columns += [(f"{g} ({m} plan)", "int") for g in result.groups]
        columns += [
            (f"total counters ({m} plan)", "int"),
            (f"service level ({m} plan)", "pct"),
            (f"service level 95% CI low ({m} plan)", "pct"),
            (f"service level 95% CI high ({m} plan)", "pct"),
        ]
    plan = Sheet("Plan", columns)
    for r in result.intervals:
        row: list[Value] = [
            clock_time(parse_clock_s(r.start)),
            r.arrivals_per_hour,
            r.offered_load,
            *(r.fixed[g] for g in result.fixed_groups),
        ]
        for m in result.methods:
            sl = r.service_level[m]
            row += [r.counts[m][g] for g in result.groups]
            row += [r.total[m], sl.mean, sl.ci95_lower, sl.ci95_upper]
        plan.rows.append(row)
    plans = Sheet(
        "Plans",
        [
            ("plan", "text"),
            (f"counter-hours ({', '.join(result.groups)})", "num"),
            ("intervals below target", "int"),
            ("plans simulated", "int"),
            ("raising iterations", "int"),
        ],
        [
            [p.method, p.staff_hours, p.intervals_missing, p.evaluations, p.iterations]
            for p in result.plans
        ],
    )
    facts = _about(result.scenario, result.name, command_line, result.seed)
    facts += [
        (
            "Target",
            f"{result.target.service_level:.0%} called within {result.target.wait_s / 60:g} min",
        ),
        ("Counts change every (min)", result.step_s / 60),
    ]
    return [plan, plans, about_sheet(facts)]


def compare_sheets(
    result: CompareResult, names: Mapping[str, str | None], command_line: str
) -> list[Sheet]:
    """``hallsim compare``: Overall (each scenario and each paired difference),
    one ``Δ <label>`` sheet per later scenario with the per-interval paired
    differences of service level, mean wait and queue, About. ``names`` maps a
    hall id to its display name."""
    overall = Sheet("Overall", [("KPI", "text")])
    for s in result.scenarios:
        overall.columns += [
            (f"{s.label} {h}", "num") for h in ("mean", "95% CI low", "95% CI high")
        ]
    for d in result.differences:
        overall.columns += [
            (f"Δ {d.label} − {d.against} {h}", "num")
            for h in ("mean", "95% CI low", "95% CI high", "Welch 95% CI low", "Welch 95% CI high")
        ]
        overall.columns.append((f"Δ {d.label} significant", "text"))
    for key in KPI_KEYS:
        row: list[Value] = [label(key)]
        for s in result.scenarios:
            row += stat_values(s.kpis.overall[key], key)
        for d in result.differences:
            diff = d.overall[key]
            row += stat_values(diff.paired, key)
            row += [kpi_value(diff.welch_ci95[0], key), kpi_value(diff.welch_ci95[1], key)]
            row.append("yes" if diff.paired.excludes_zero() else "no")
        overall.rows.append(row)
        overall.row_kinds.append(kpi_kind(key))
    sheets = [overall]
    base = result.scenarios[0]
    for d in result.differences:
        if not d.by_interval:
            continue
        other = next(s for s in result.scenarios if s.label == d.label)
        sheet = Sheet(
            f"Δ {d.label}",
            [("start", "time")],
            note=f"{d.label} − {d.against}, paired by replication (common random "
            "numbers); significant: the paired 95% CI excludes 0",
        )
        for key in INTERVAL_KEYS:
            kind = kpi_kind(key)
            name = label(key)
            sheet.columns += [
                (f"{name}: {d.against}", kind),
                (f"{name}: {d.label}", kind),
                (f"{name}: Δ", kind),
                (f"{name}: Δ 95% CI low", kind),
                (f"{name}: Δ 95% CI high", kind),
                (f"{name}: significant", "text"),
            ]
        for i, row_diff in enumerate(d.by_interval):
            row = [clock_time(parse_clock_s(row_diff.start))]
            for key in INTERVAL_KEYS:
                paired = row_diff.kpis[key].paired
                row += [
                    kpi_value(base.kpis.by_interval[i].kpis[key].mean, key),
                    kpi_value(other.kpis.by_interval[i].kpis[key].mean, key),
                    *stat_values(paired, key),
                    "yes" if paired.excludes_zero() else "no",
                ]
            sheet.rows.append(row)
        sheets.append(sheet)
    facts = _about(base.scenario, names.get(base.scenario), command_line, result.seed)
    facts.insert(3, ("Replications", result.replications))
    facts += [(f"Scenario {s.label}", s.scenario) for s in result.scenarios]
    sheets.append(about_sheet(facts))
    return sheets


def sweep_sheets(
    hall: str, hall_name: str | None, points: Sequence[SweepPoint], command_line: str, seed: int
) -> list[Sheet]:
    """``hallsim sweep``: one row per grid point (the values set, then each
    overall KPI's mean and CI), About."""
    paths = list(points[0].values) if points else []
    sheet = Sheet("Sweep", [(p, "text") for p in paths] + stat_columns())
    for point in points:
        values: list[Value] = []
        for p in paths:
            v = point.values[p]
            values.append(v if isinstance(v, int | float) and not isinstance(v, bool) else str(v))
        sheet.rows.append([*values, *kpi_row(point.overall)])
    # a swept number is a number: its column is numeric when every value is
    for c, p in enumerate(paths):
        if all(isinstance(row[c], int | float) for row in sheet.rows):
            sheet.columns[c] = (p, "num")
    return [sheet, about_sheet(_about(hall, hall_name, command_line, seed))]
