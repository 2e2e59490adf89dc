"""The workbooks (``--xlsx``) of the what-if commands, ``compare`` and
``sweep``, from the same typed results as their ``--json``: see
:mod:`sim.reports.xlsx` for units and layout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sim.model.summary import KPI_KEYS
from sim.model.units import parse_clock_s
from sim.planning.whatif import CompareResult, SweepPoint
from sim.reports.kpi_text import label
from sim.reports.sheets import (
    INTERVAL_KEYS,
    about_facts,
    all_kpis_sheet,
    narrow_columns,
    narrow_row,
)
from sim.reports.xlsx import (
    Chart,
    Highlight,
    Sheet,
    Value,
    about_sheet,
    clock_time,
    kpi_kind,
    kpi_value,
    stat_values,
)


def compare_sheets(
    result: CompareResult, names: Mapping[str, str | None], command_line: str
) -> list[Sheet]:
    """``hallsim compare``: Overall (under the verdict: each scenario and each
    paired difference), one long ``Δ <label>`` sheet per later scenario (per
    KPI and interval: both scenarios, the paired difference and its CI,
    significant yes/no; a chart of the service level's difference), All KPIs,
    About. ``names`` maps a hall id to its display name."""
    from sim.reports.verdicts import compare_verdict

    verdict = compare_verdict(result)
    overall = Sheet("Overall", [("KPI", "text")], note="; ".join(verdict.behind),
                    verdict=(verdict.line, verdict.good))  # fmt: skip
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
    staffing = Sheet(
        "Staffing",
        [("scenario", "text"), ("counter-hours a day", "num"), ("counter-hours a week", "num"),
         ("paid hours a week", "num"), ("FTE", "num"), ("cost a week", "num"),
         ("currency", "text")],
    )  # fmt: skip
    for s in result.scenarios:
        c = s.cost
        staffing.rows.append([s.label, c.counter_hours_day, c.counter_hours_week,
                              c.paid_hours_week, c.fte, c.cost_week, c.currency])  # fmt: skip
    sheets = [overall, staffing]
    base = result.scenarios[0]
    for d in result.differences:
        if not d.by_interval:
            continue
        other = next(s for s in result.scenarios if s.label == d.label)
        sheet = Sheet(
            f"Δ {d.label}",
            [("KPI", "text"), ("start", "time"), (d.against, "num"), (d.label, "num"),
             ("Δ", "num"), ("Δ 95% CI low", "num"), ("Δ 95% CI high", "num"),
             ("significant", "text")],
            note=f"{d.label} − {d.against}, paired by replication (common random "
            "numbers); significant: the paired 95% CI excludes 0",
        )  # fmt: skip
        for key in INTERVAL_KEYS:
            first = len(sheet.rows)
            for i, row_diff in enumerate(d.by_interval):
                paired = row_diff.kpis[key].paired
                sheet.rows.append([
                    label(key),
                    clock_time(parse_clock_s(row_diff.start)),
                    kpi_value(base.kpis.by_interval[i].kpis[key].mean, key),
                    kpi_value(other.kpis.by_interval[i].kpis[key].mean, key),
                    *stat_values(paired, key),
                    "yes" if paired.excludes_zero() else "no",
                ])  # fmt: skip
                sheet.row_kinds.append(kpi_kind(key))
            if key == "service_level":
                sheet.charts.append(
                    Chart(
                        f"Service level: {d.against} and {d.label}",
                        1,
                        (2, 3),
                        "service level",
                        first=first,
                        last=len(sheet.rows) - 1,
                        percent=True,
                    )
                )
        sheets.append(sheet)
    long = []
    for s in result.scenarios:
        long.append((s.label, "whole day", s.kpis.overall))
        long += [(s.label, r.start, r.kpis) for r in s.kpis.by_interval]
    sheets.append(all_kpis_sheet(long))
    facts = about_facts(base.scenario, names.get(base.scenario), command_line, result.seed)
    facts.insert(3, ("Replications", result.replications))
    facts += [(f"Scenario {s.label}", s.scenario) for s in result.scenarios]
    sheets.append(about_sheet(facts))
    return sheets


def sweep_sheets(
    hall: str,
    hall_name: str | None,
    points: Sequence[SweepPoint],
    command_line: str,
    seed: int,
    replications: int,
) -> list[Sheet]:
    """``hallsim sweep``: Sweep (under the verdict: one row per grid point, the
    values set, the key KPIs, the intervals below target and the staffing's
    cost; a chart of the service level), All KPIs, About."""
    from sim.reports.verdicts import point_label, sweep_verdict

    verdict = sweep_verdict(points, replications)
    paths = list(points[0].values) if points else []
    sheet = Sheet(
        "Sweep",
        [(p, "text") for p in paths] + narrow_columns() + [
            ("intervals below target", "int"), ("counter-hours a day", "num"),
            ("FTE", "num"), ("cost a week", "num")],
        note="; ".join(verdict.behind),
        verdict=(verdict.line, verdict.good),
    )  # fmt: skip
    for point in points:
        values: list[Value] = []
        for p in paths:
            v = point.values[p]
            values.append(v if isinstance(v, int | float) and not isinstance(v, bool) else str(v))
        cost = point.cost
        sheet.rows.append([*values, *narrow_row(point.overall), len(point.below_target()),
                           cost.counter_hours_day, cost.fte, cost.cost_week])  # fmt: skip
    # a swept number is a number: its column is numeric when every value is
    for c, p in enumerate(paths):
        if all(isinstance(row[c], int | float) for row in sheet.rows):
            sheet.columns[c] = (p, "num")
    names = [c for c, _ in sheet.columns]
    sl = names.index(label("service_level"))
    if points:
        sheet.highlights += [
            Highlight(sl, below=points[0].target.service_level),
            Highlight(names.index("intervals below target"), above=0.0),
        ]
        sheet.charts.append(Chart(f"Service level against {paths[0]}", 0, (sl,),
                                  "service level", percent=True))  # fmt: skip
    long = [(point_label(p), "whole run", p.overall) for p in points]
    long += [(point_label(p), "remote tickets", p.remote) for p in points if p.remote is not None]
    return [
        sheet,
        all_kpis_sheet(long),
        about_sheet(about_facts(hall, hall_name, command_line, seed)),
    ]
