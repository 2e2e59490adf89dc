"""``hallsim staff``'s output: the verdict first (counter-hours, FTE and cost,
and whether every interval meets the target with the probability asked for),
then the week day by day, then each day's intervals: demand, every counter
group (the resized ones by each plan, the fixed ones as the scenario staffs
them), the total counters, and the simulated plan's service level and
probability of meeting the target, on the terminal and in ``DIR/staff.html``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from sim.model.units import format_duration, parse_clock_s
from sim.planning.judge import JUDGE_TEXT, JUDGES
from sim.planning.staffing_result import DayResult, Money, StaffingResult
from sim.reports.kpi_tables import print_verdict
from sim.reports.page import Cell, CellLike, Page
from sim.reports.style import (
    GREY,
    METHODS,
    clock_axis,
    group_colours,
    hall_title,
    new_figure,
    plot_style,
    target_line,
)
from sim.reports.tables import Table
from sim.reports.verdicts import Verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHOD_NAMES = {"erlang": "Erlang C/A", "sim": "simulation"}
DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri",
             "sat": "Sat", "sun": "Sun"}  # fmt: skip


def day_name(day: DayResult) -> str:
    """``Tue, Wed, Thu``, ``every day`` or ``2027-01-04 (元旦)``: the days a plan stands for."""
    if not day.day:
        return "every day"
    names = ", ".join(DAY_NAMES.get(d, d) for d in day.days)
    return f"{names} ({day.holiday})" if day.holiday else names


def target_text(result: StaffingResult) -> str:
    t = result.target
    return f"{t.service_level:.0%} called within {t.wait_s / 60:g} min"


def money_text(result: StaffingResult, money: Money, per: str) -> str:
    """``every counter 718.0 h: 21.1 FTE, ¥38,012 a week`` (FTE only for a week)."""
    parts = [f"every counter {money.hall_counter_hours:,.1f} h"]
    figures = []
    if money.fte is not None:
        figures.append(f"{money.fte:.1f} FTE")
    if money.cost is not None:
        figures.append(f"{result.workforce.currency}{money.cost:,.0f} {per}")
    return parts[0] + (": " + ", ".join(figures) if figures else "")


def _misses(result: StaffingResult, method: str) -> list[tuple[DayResult, int]]:
    return [
        (d, i)
        for d in result.days
        if not d.closed
        for i, row in enumerate(d.intervals)
        if not row.result[method].meets
    ]


def verdict(result: StaffingResult) -> str:
    """The one line that answers: the plan's counter-hours, people and money,
    and whether every interval meets the target with the probability asked for."""
    method = result.methods[-1]
    groups = ", ".join(result.groups)
    days = [d for d in result.days if not d.closed]
    m = next(k for k, p in enumerate(days[0].plans) if p.method == method)
    if result.week is not None:
        money, per = result.week[method], "a week"
    else:
        money, per = days[0].plans[m].money, "a day"
    head = f"{groups} {money.counter_hours:,.2f} counter-hours {per}"
    head += f" ({money_text(result, money, per)})"
    rule = f"{target_text(result)} with probability ≥ {result.rule.probability:g}"
    misses = _misses(result, method)
    if not misses:
        where = "every interval of every day" if len(days) > 1 else "every interval"
        return f"{head}; {where} meets {rule}"
    total = sum(len(d.intervals) for d in days)
    shown = ", ".join(
        f"{(d.day + ' ') if len(days) > 1 else ''}{d.intervals[i].start} "
        f"({d.intervals[i].result[method].probability.estimate:.2f})"
        for d, i in misses[:4]
    )
    more = ", …" if len(misses) > 4 else ""
    return f"{head}; {len(misses)} of {total} intervals miss {rule}: {shown}{more}"


def facts_lines(result: StaffingResult) -> list[str]:
    """The numbers behind the verdict, one line each."""
    rules = result.rules
    step = format_duration(rules.step_s or result.interval_s)
    other = next(j for j in JUDGES if j != result.rule.judge)
    days = [d for d in result.days if not d.closed]
    last = result.methods[-1]
    met = sum(p.meeting[other] for d in days for p in d.plans if p.method == last)
    total = sum(len(d.intervals) for d in days)
    lines = [
        f"judged {JUDGE_TEXT[result.rule.judge]}; judged {JUDGE_TEXT[other]}, "
        f"{met} of {total} intervals meet the target",
        f"counters stay open, and closed, at least "
        f"{format_duration(rules.min_block_s)}"
        + (f", change by at most {rules.max_change} a step" if rules.max_change else "")
        + f"; counts change every {step}",
        f"each plan simulated on {result.replications} to {result.max_replications} "
        "replications (more where a decision is close), the plan checked on fresh ones",
    ]
    wf = result.workforce
    lines.append(
        f"workforce: {wf.shrinkage:.0%} shrinkage, {wf.fte_hours_per_week:g} paid hours per FTE"
        + (f", {wf.currency}{wf.cost_per_hour:g} a paid hour" if wf.cost_per_hour else "")
        + "".join(
            f", {c.share:.0%} {name} at {wf.currency}{c.cost_per_hour:g} a paid hour"
            for name, c in (wf.contracts or {}).items()
        )
    )
    return lines


def week_header(result: StaffingResult) -> list[str]:
    """The week table's columns (one row per distinct day)."""
    methods = " / ".join(METHOD_NAMES.get(m, m) for m in result.methods)
    return ["day", "hours", f"{', '.join(result.groups)} counter-hours ({methods})",
            "every counter (h)", f"cost a day ({result.workforce.currency})",
            "intervals meeting", "lowest probability"]  # fmt: skip


def _week_rows(result: StaffingResult) -> list[list[str]]:
    rows = []
    for d in result.days:
        if d.closed:
            rows.append([day_name(d), "closed", "", "", "", "", ""])
            continue
        by = {p.method: p for p in d.plans}
        last = by[result.methods[-1]]
        lowest = min(d.intervals, key=lambda r: r.result[last.method].probability.estimate)
        cost = last.money.cost
        rows.append([
            day_name(d),
            f"{d.open}–{d.close}",
            " / ".join(f"{by[m].money.counter_hours:.2f}" for m in result.methods),
            f"{last.money.hall_counter_hours:.1f}",
            "–" if cost is None else f"{cost:,.0f}",
            f"{last.meeting[result.rule.judge]}/{last.intervals}",
            f"{lowest.result[last.method].probability.estimate:.2f} at {lowest.start}",
        ])  # fmt: skip
    return rows


def print_staffing(out: Console, result: StaffingResult) -> None:
    """The verdict, the week and each day's plan."""
    good = not _misses(result, result.methods[-1])
    print_verdict(out, result.scenario, Verdict(verdict(result), facts_lines(result), good))
    if len(result.days) > 1:
        table = Table(title="The week", title_justify="left", header_style="bold")
        for head in week_header(result):
            table.add_column(head, justify="left" if head in ("day", "hours") else "right")
        for row in _week_rows(result):
            table.add_row(*row)
        out.print(table)
    for d in result.days:
        if not d.closed:
            out.print(day_table(result, d))


def day_table(result: StaffingResult, d: DayResult) -> Table:
    """One day's intervals: demand, counters, and the last plan's results."""
    p = result.rule.probability
    last = result.methods[-1]
    table = Table(
        title=f"{day_name(d)}: counters per interval",
        title_justify="left",
        header_style="bold",
        caption=f"fixed groups as the scenario staffs them at mid-interval; total: all counters "
        f"of the {METHOD_NAMES.get(last, last)} plan; SL: its mean service level; P(meet): the "
        f"probability a day meets {target_text(result)} there (red below {p:g})",
    )
    table.add_column("start")
    table.add_column("arrivals/h", justify="right")
    table.add_column("load", justify="right")
    for g in result.fixed_groups:
        table.add_column(g, justify="right")
    for m in result.methods:
        for g in result.groups:
            table.add_column(f"{g} ({m})", justify="right")
    table.add_column("total", justify="right")
    table.add_column("SL", justify="right")
    table.add_column("P(meet)", justify="right")
    for row in d.intervals:
        cells = [row.start, f"{row.arrivals_per_hour:.0f}", f"{row.offered_load:.1f}"]
        cells += [str(row.fixed[g]) for g in result.fixed_groups]
        for m in result.methods:
            cells += [str(row.counts[m][g]) for g in result.groups]
        r = row.result[last]
        cells.append(f"[bold]{row.total[last]}[/]")
        cells.append(f"{r.service_level.mean:.0%}" if r.service_level.mean is not None else "–")
        chance = f"{r.probability.estimate:.2f}"
        cells.append(chance if r.meets else f"[red]{chance}[/]")
        table.add_row(*cells)
    return table


def _hours(d: DayResult) -> tuple[list[float], float]:
    starts = [parse_clock_s(row.start) / 3600 for row in d.intervals]
    width = starts[1] - starts[0] if len(starts) > 1 else 0.25
    return starts, width


def staffing_figure(result: StaffingResult, d: DayResult, cjk: bool) -> Figure:
    """Counters of every group in the last plan stacked, each plan's total and
    the offered load above; below, each plan's probability that a day meets the
    target per interval (95% Wilson interval), against the probability asked for."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    starts, width = _hours(d)
    edges = [*starts, starts[-1] + width]
    last = result.methods[-1]
    colours = group_colours(result.all_groups or [*result.groups, *result.fixed_groups])
    fig = new_figure(11, 7.6)
    top, bottom = fig.subplots(2, 1, sharex=True)
    fig.suptitle(hall_title(result.scenario, result.name, f"staffing plan, {day_name(d)}", cjk))
    base = np.zeros(len(starts))
    layers = [(g, f"{g} ({last} plan)", "counts") for g in result.groups]
    layers += [(g, f"{g} (fixed)", "fixed") for g in result.fixed_groups]
    for g, text, kind in layers:
        values = np.array(
            [row.counts[last][g] if kind == "counts" else row.fixed[g] for row in d.intervals]
        )
        top.stairs(
            base + values, edges, baseline=base, fill=True, color=colours[g], alpha=0.55, label=text
        )
        base = base + values
    for m in result.methods:
        total = [row.total[m] for row in d.intervals]
        top.stairs(total, edges, color=METHODS.get(m, "k"), lw=2.2, label=f"total, {m} plan")
    load = [row.offered_load for row in d.intervals]
    top.plot([s + width / 2 for s in starts], load, color=GREY, ls=":", marker=".",
             label="offered load (Erlangs)")  # fmt: skip
    top.set_ylabel("counters staffed")
    top.set_ylim(bottom=0)
    top.set_title("counters of every group, stacked, and each plan's total", fontsize=10)
    top.grid(alpha=0.3)
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    offsets = np.linspace(-0.18, 0.18, len(result.methods)) * width
    for m, offset in zip(result.methods, offsets, strict=True):
        odds = [row.result[m].probability for row in d.intervals]
        est = np.array([o.estimate for o in odds])
        lo = np.array([o.ci95[0] for o in odds])
        hi = np.array([o.ci95[1] for o in odds])
        days = max(o.days for o in odds)
        bottom.errorbar(
            np.array(starts) + width / 2 + offset,
            est,
            yerr=[np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)],
            fmt="o",
            markersize=3,
            capsize=2,
            color=METHODS.get(m, "k"),
            label=f"{m} plan ({days} days, 95% interval)",
        )
    p = result.rule.probability
    target_line(bottom, p, f"asked for: {p:g}")
    bottom.set_ylabel("probability a day\nmeets the target")
    bottom.set_title(
        f"probability that a day meets {target_text(result)}, per interval", fontsize=10
    )
    bottom.set_ylim(-0.02, 1.02)
    bottom.grid(alpha=0.3)
    bottom.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    clock_axis(bottom, edges[0], edges[-1], result.timezone)
    bottom.set_xlabel(bottom.get_xlabel() + f", judged by {result.rule.judge} interval")
    return fig


def plan_rows(
    result: StaffingResult, d: DayResult
) -> tuple[list[str], list[tuple[str, int]], list[list[CellLike]]]:
    """One day's per-interval table: header, header groups and rows."""
    p = result.rule.probability
    header = ["start", "arrivals/h", "load (Erlangs)", *result.fixed_groups]
    groups: list[tuple[str, int]] = [("", 3)]
    if result.fixed_groups:
        groups.append(("fixed groups", len(result.fixed_groups)))
    for m in result.methods:
        header += [*result.groups, "total", "SL (mean)", "P(meets)"]
        groups.append((f"{METHOD_NAMES.get(m, m)} plan", len(result.groups) + 3))
    rows: list[list[CellLike]] = []
    for r in d.intervals:
        cells: list[CellLike] = [r.start, f"{r.arrivals_per_hour:.1f}", f"{r.offered_load:.2f}"]
        cells += [str(r.fixed[g]) for g in result.fixed_groups]
        for m in result.methods:
            res = r.result[m]
            cells += [str(r.counts[m][g]) for g in result.groups]
            cells.append(Cell(str(r.total[m]), cls="total"))
            sl = res.service_level.mean
            cells.append("–" if sl is None else f"{sl:.1%}")
            lo, hi = res.probability.ci95
            cells.append(
                Cell(
                    f"{res.probability.estimate:.2f}",
                    f"{lo:.2f}–{hi:.2f}",
                    "" if res.meets else "miss",
                )
            )
        rows.append(cells)
    del p
    return header, groups, rows


def write_staffing_report(result: StaffingResult, out_dir: Path, command_line: str) -> Path:
    """Write ``out_dir/staff.html``; returns its path."""
    page = Page(
        "staff",
        "staffing plan",
        result.scenario,
        result.name,
        command_line,
        result.seed,
        facts=[
            ("Target", f"{target_text(result)}, with probability ≥ {result.rule.probability:g}"),
            ("Resized groups", ", ".join(result.groups)),
            ("Fixed groups", ", ".join(result.fixed_groups) or "none"),
        ],
    )
    good = not _misses(result, result.methods[-1])
    page.verdict(verdict(result), facts_lines(result), good=good)
    if len(result.days) > 1:
        page.section("The week")
        page.table("week", week_header(result), _week_rows(result))
    with plot_style() as font:
        for k, d in enumerate(result.days):
            if d.closed:
                continue
            page.section(f"{day_name(d)}")
            page.figure(
                f"staffing-{k}",
                staffing_figure(result, d, font is not None),
                "Top: counters per interval, every group stacked (the resized groups as the "
                f"{result.methods[-1]} plan sets them), each plan's total and the offered load. "
                "Bottom: the probability that a day meets the target in each interval, with "
                "its 95% Wilson interval, on fresh replications.",
            )
            header, groups, rows = plan_rows(result, d)
            page.table(
                f"intervals-{k}",
                header,
                rows,
                groups=groups,
                caption="P(meets): the share of fresh simulated days meeting the target in "
                "the interval, with its 95% Wilson interval; red: below "
                f"{result.rule.probability:g}",
            )
    page.note(
        "How the plan is found: the cheapest counts that keep the rules and cover a "
        "requirement per interval, chosen for the whole day at once (an integer programme); "
        "the requirement is learned by simulating the plan and plans with one counter fewer "
        "over alternate hours (common random numbers), and the plan is then checked on fresh "
        "replications and raised wherever it misses there."
    )
    return page.write(out_dir)
