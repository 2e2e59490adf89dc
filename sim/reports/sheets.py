"""The sheets of each command's workbook (``--xlsx``), from the same typed
results as its ``--json``: see :mod:`sim.reports.xlsx` for units and layout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sim.model.remote import REMOTE_KEYS
from sim.model.summary import KPI_KEYS, KpiStats
from sim.model.units import parse_clock_s
from sim.planning.staffing_result import StaffingResult
from sim.reports.kpi_text import label
from sim.reports.xlsx import (
    Chart,
    Highlight,
    Kind,
    Sheet,
    Value,
    about_sheet,
    clock_time,
    kpi_kind,
    kpi_value,
    stat_columns,
    stat_values,
)
from sim.runs.experiment import RunSummary

# the per-interval differences compare shows: service level, mean wait, mean queue
INTERVAL_KEYS = ("service_level", "wait_mean_s", "queue_mean")
# the KPIs of the narrow tables, and whether each shows its CI; every KPI is in "All KPIs"
NARROW = (("arrivals", False), ("served", False), ("abandoned", False), ("wait_mean_s", True),
          ("wait_p90_s", False), ("service_level", True), ("queue_mean", False),
          ("utilisation", False))  # fmt: skip


def about_facts(
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
            "replications (Student t), cut at 0 (and 100% for shares)",
        ),
    ]


def narrow_columns() -> list[tuple[str, Kind]]:
    """The narrow tables' KPI columns: a mean each, with its CI where it matters."""
    out: list[tuple[str, Kind]] = []
    for key, ci in NARROW:
        out += stat_columns((key,)) if ci else [(label(key), kpi_kind(key))]
    return out


def narrow_row(stats: KpiStats) -> list[Value]:
    out: list[Value] = []
    for key, ci in NARROW:
        out += stat_values(stats[key], key) if ci else [kpi_value(stats[key].mean, key)]
    return out


def all_kpis_sheet(tables: Sequence[tuple[str, str, KpiStats]]) -> Sheet:
    """Every KPI of every table in one long sheet (filter by table or KPI):
    ``(table, row, KPIs)`` triples, e.g. ``("By interval", "09:00", …)``."""
    sheet = Sheet(
        "All KPIs",
        [("table", "text"), ("row", "text"), ("KPI", "text"), ("mean", "num"),
         ("95% CI low", "num"), ("95% CI high", "num"), ("replications with a value", "int")],
        note="every KPI of every table, one per row: filter the columns to pick",
    )  # fmt: skip
    for table, row, stats in tables:
        for key, stat in stats.items():  # KPI_KEYS, or a remote table's REMOTE_KEYS, in order
            sheet.rows.append([table, row, label(key), *stat_values(stat, key), stat.n])
            sheet.row_kinds.append(kpi_kind(key))
    return sheet


def remote_sheet(remote: KpiStats) -> Sheet:
    """The remote-ticket KPIs (:data:`sim.model.remote.REMOTE_KEYS`) of a run
    whose scenario takes tickets from home, one per row with its interval."""
    sheet = Sheet(
        "Remote tickets",
        [("KPI", "text"), ("mean", "num"), ("95% CI low", "num"), ("95% CI high", "num"),
         ("replications with a value", "int")],
        note="tickets taken before coming (app, mini-program): waits from the ticket and "
        "from arrival at the hall, time saved at home, no-shows",
    )  # fmt: skip
    for key in REMOTE_KEYS:
        stat = remote[key]
        sheet.rows.append([label(key), *stat_values(stat, key), stat.n])
        sheet.row_kinds.append(kpi_kind(key))
    return sheet


def run_sheets(
    summary: RunSummary,
    names: Mapping[str, str | None],
    hall_name: str | None,
    command_line: str,
) -> list[Sheet]:
    """``hallsim run``: Overall (under the verdict), By interval (narrow, with a
    chart), By segment, By service, Kiosks, All KPIs (long), About. ``names``
    maps segment and service ids to display names."""
    from sim.reports.verdicts import run_verdict

    kpis, target = summary.kpis, summary.target
    verdict = run_verdict(summary)
    overall = Sheet(
        "Overall",
        [
            ("KPI", "text"),
            ("mean", "num"),
            ("95% CI low", "num"),
            ("95% CI high", "num"),
            ("replications with a value", "int"),
        ],
        note="; ".join(verdict.behind),
        verdict=(verdict.line, verdict.good),
    )
    for key in KPI_KEYS:
        stat = kpis.overall[key]
        overall.rows.append([label(key), *stat_values(stat, key), stat.n])
        overall.row_kinds.append(kpi_kind(key))
    sheets = [overall]
    long: list[tuple[str, str, KpiStats]] = [("Overall", "", kpis.overall)]
    if kpis.by_interval:
        columns: list[tuple[str, Kind]] = [("start", "time"), *narrow_columns(), ("target", "pct")]
        by_interval = Sheet("By interval", columns)
        sl = 1 + [c for c, _ in columns[1:]].index(label("service_level"))
        by_interval.rows = [
            [clock_time(parse_clock_s(row.start)), *narrow_row(row.kpis), target.service_level]
            for row in kpis.by_interval
        ]
        by_interval.highlights.append(Highlight(sl, below=target.service_level))
        by_interval.charts.append(
            Chart(
                "Service level per interval",
                0,
                (sl, len(columns) - 1),
                "service level",
                percent=True,
            )
        )
        by_interval.charts.append(Chart("Arrivals per interval", 0, (1,), "customers", kind="bar"))
        sheets.append(by_interval)
        long += [("By interval", row.start, row.kpis) for row in kpis.by_interval]
    sl_col = 2 + [c for c, _ in narrow_columns()].index(label("service_level"))
    for title, first, tables in (
        ("By segment", "segment", kpis.by_segment),
        ("By service", "service", kpis.by_service),
    ):
        sheet = Sheet(title, [(first, "text"), ("name", "text"), *narrow_columns()])
        sheet.rows = [[k, names.get(k) or "", *narrow_row(t)] for k, t in tables.items()]
        sheet.highlights.append(Highlight(sl_col, below=target.service_level))
        sheets.append(sheet)
        long += [(title, k, t) for k, t in tables.items()]
    if kpis.kiosk["arrivals"].mean:
        sheets.append(
            Sheet(
                "Kiosks",
                [("", "text"), *narrow_columns()],
                [["kiosk users", *narrow_row(kpis.kiosk)]],
            )
        )
        long.append(("Kiosks", "", kpis.kiosk))
    if kpis.remote is not None:
        sheets.append(remote_sheet(kpis.remote))
        long.append(("Remote tickets", "", kpis.remote))
    sheets.append(all_kpis_sheet(long))
    facts = about_facts(summary.scenario, hall_name, command_line, summary.seed)
    facts.insert(3, ("Replications", summary.replications))
    sheets.append(about_sheet(facts))
    return sheets


def staffing_sheets(result: StaffingResult, command_line: str) -> list[Sheet]:
    """``hallsim staff``: Week (under the verdict: one row per distinct day and
    plan), Plan (long: one row per day and interval, with a chart per day),
    About."""
    from sim.reports.staffing import _misses, day_name, facts_lines, verdict

    last = result.methods[-1]
    p = result.rule.probability
    week = Sheet(
        "Week",
        [("day", "text"), ("opens", "text"), ("closes", "text"), ("plan", "text"),
         (f"counter-hours ({', '.join(result.groups)})", "num"),
         ("counter-hours (every counter)", "num"), ("paid hours", "num"),
         (f"cost ({result.workforce.currency})", "num"), ("intervals", "int"),
         ("intervals meeting the target", "int")],
        note="; ".join(facts_lines(result)),
        verdict=(verdict(result), not _misses(result, last)),
    )  # fmt: skip
    for d in result.days:
        if d.closed:
            week.rows.append(
                [day_name(d), "closed", None, None, None, None, None, None, None, None]
            )
            continue
        for plan in d.plans:
            money = plan.money
            week.rows.append([day_name(d), d.open, d.close, plan.method, money.counter_hours,
                              money.hall_counter_hours, money.paid_hours, money.cost,
                              plan.intervals, plan.meeting[result.rule.judge]])  # fmt: skip
    if result.week is not None:
        for method, money in result.week.items():
            week.rows.append(["the week", None, None, method, money.counter_hours,
                              money.hall_counter_hours, money.paid_hours, money.cost, None,
                              None])  # fmt: skip
    columns: list[tuple[str, Kind]] = [
        ("day", "text"),
        ("start", "time"),
        ("arrivals per hour", "num"),
        ("offered load (Erlangs)", "num"),
        *((f"{g} (fixed)", "int") for g in result.fixed_groups),
    ]
    for m in result.methods:
        columns += [(f"{g} ({m} plan)", "int") for g in result.groups]
    columns += [
        ("total counters", "int"),
        ("service level (mean)", "pct"),
        ("P(a day meets the target)", "num"),
        ("P 95% low", "num"),
        ("P 95% high", "num"),
        ("asked for", "num"),
        ("meets", "text"),
    ]
    names = [c for c, _ in columns]
    plan_sheet = Sheet(
        "Plan",
        columns,
        note=f"counters per interval and the {last} plan simulated on fresh days; P: the share "
        f"of days meeting {result.target.service_level:.0%} within "
        f"{result.target.wait_s / 60:g} min (red below {p:g})",
    )
    for d in result.days:
        start = len(plan_sheet.rows)
        for r in d.intervals:
            res = r.result[last]
            row: list[Value] = [
                day_name(d),
                clock_time(parse_clock_s(r.start)),
                r.arrivals_per_hour,
                r.offered_load,
                *(r.fixed[g] for g in result.fixed_groups),
            ]
            for m in result.methods:
                row += [r.counts[m][g] for g in result.groups]
            row += [r.total[last], res.service_level.mean, res.probability.estimate,
                    *res.probability.ci95, p, "yes" if res.meets else "no"]  # fmt: skip
            plan_sheet.rows.append(row)
        if d.intervals:
            end = len(plan_sheet.rows) - 1
            plan_sheet.charts.append(
                Chart(
                    f"{day_name(d)}: counters",
                    1,
                    (
                        names.index(f"{result.groups[0]} ({last} plan)"),
                        names.index("total counters"),
                        names.index("offered load (Erlangs)"),
                    ),
                    "counters",
                    first=start,
                    last=end,
                )
            )
    plan_sheet.highlights += [
        Highlight(names.index("P(a day meets the target)"), below=p),
        Highlight(names.index("meets"), equal="no"),
    ]
    facts = about_facts(result.scenario, result.name, command_line, result.seed)
    facts += [("Criterion", result.criterion)]
    return [week, plan_sheet, about_sheet(facts)]
