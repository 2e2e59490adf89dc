"""The one line each report opens with, and the numbers behind it: which
intervals miss the target (``run``), what a change buys and costs
(``compare``), and which grid points have an interval below target
(``sweep``). The terminal, the HTML page and the workbook show the same lines.
(``staff``'s verdict is in :mod:`sim.reports.staffing`.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sim.model.summary import IntervalStats, KpiStats, Target, below_target
from sim.model.units import format_clock, parse_clock_s
from sim.planning.cost import StaffCost
from sim.planning.whatif import CompareResult, Comparison, ScenarioResult, SweepPoint
from sim.reports.kpi_text import format_stat, mean_and_half
from sim.runs.experiment import RunSummary

SHOWN = 4  # intervals named in a verdict before "…"


@dataclass(frozen=True)
class Verdict:
    """A report's answer: one ``line``, the numbers ``behind`` it, and whether
    it is good news (shown green, else red)."""

    line: str
    behind: list[str]
    good: bool


def _step_s(starts: Sequence[str]) -> float:
    seconds = [parse_clock_s(s) for s in starts]
    return seconds[1] - seconds[0] if len(seconds) > 1 else 900.0


def span(start: str, step_s: float) -> str:
    """``12:00–12:15``: an interval from its start."""
    return f"{start}–{format_clock(parse_clock_s(start) + step_s)}"


def time_ranges(starts: Sequence[str], chosen: Sequence[bool]) -> str:
    """``17:00–19:30, 20:15–20:30``: the chosen intervals, neighbours merged."""
    step = _step_s(starts)
    ranges: list[tuple[float, float]] = []
    for start, on in zip(starts, chosen, strict=True):
        if not on:
            continue
        t = parse_clock_s(start)
        if ranges and abs(ranges[-1][1] - t) < 1e-6:
            ranges[-1] = (ranges[-1][0], t + step)
        else:
            ranges.append((t, t + step))
    return ", ".join(f"{format_clock(a)}–{format_clock(b)}" for a, b in ranges)


def _judged(rows: Sequence[IntervalStats]) -> list[IntervalStats]:
    return [r for r in rows if r.kpis["service_level"].mean is not None]


def _sl(stats: KpiStats) -> str:
    return format_stat(stats["service_level"], "service_level", with_ci=False, precise=True)


def _target_text(target: Target) -> str:
    return f"{target.service_level:.0%} called within {target.wait_s / 60:g} min"


def run_verdict(summary: RunSummary) -> Verdict:
    """``3 of 48 intervals below the 80% target: 12:00–12:15 (65%), …``."""
    kpis, target = summary.kpis, summary.target
    overall = kpis.overall
    behind = [
        f"target: {_target_text(target)}; service level is the share of arrivals called "
        "within the target wait (balked and abandoned customers count as misses), mean over "
        f"{summary.replications} replication{'s' if summary.replications > 1 else ''}",
        f"mean wait {format_stat(overall['wait_mean_s'], 'wait_mean_s')} min, 90th percentile "
        f"{format_stat(overall['wait_p90_s'], 'wait_p90_s')} min, abandoned "
        f"{format_stat(overall['abandon_rate'], 'abandon_rate', precise=True)}",
    ]
    if not kpis.by_interval:
        levels = {k: v["service_level"].mean for k, v in kpis.by_segment.items()}
        short = [k for k, sl in levels.items() if sl is not None and sl < target.service_level]
        whole = f"the whole run {_sl(overall)}"
        if short:
            shown = ", ".join(f"{k} ({_sl(kpis.by_segment[k])})" for k in short)
            judged = sum(sl is not None for sl in levels.values())
            line = f"{len(short)} of {judged} segments below the {target.service_level:.0%} target"
            return Verdict(f"{line}: {shown}; {whole}", behind, False)
        line = f"every segment meets the {target.service_level:.0%} target"
        return Verdict(f"{line}; {whole}", behind, True)
    rows = _judged(kpis.by_interval)
    step = _step_s([r.start for r in kpis.by_interval])
    whole = f"the whole day {_sl(overall)}"
    low = below_target(rows, target)
    if not low:
        worst = min(rows, key=lambda r: r.kpis["service_level"].mean or 0.0)
        return Verdict(
            f"every interval meets the {target.service_level:.0%} target (lowest "
            f"{_sl(worst.kpis)} at {span(worst.start, step)}); {whole}",
            behind,
            True,
        )
    # neighbouring intervals as one span with each one's service level
    groups: list[list[IntervalStats]] = []
    for r in low:
        if groups and abs(parse_clock_s(groups[-1][-1].start) + step - parse_clock_s(r.start)) < 1:
            groups[-1].append(r)
        else:
            groups.append([r])
    shown = ", ".join(
        f"{g[0].start}–{format_clock(parse_clock_s(g[-1].start) + step)}"
        f" ({', '.join(_sl(r.kpis) for r in g)})"
        for g in groups[:SHOWN]
    )
    more = ", …" if len(groups) > SHOWN else ""
    return Verdict(
        f"{len(low)} of {len(rows)} intervals below the {target.service_level:.0%} target: "
        f"{shown}{more}; {whole}",
        behind,
        False,
    )


def money_delta(base: StaffCost, other: StaffCost) -> str:
    """``+4.00 counter-hours a day (+¥1,482 a week, +0.9 FTE)``."""
    text = f"{other.counter_hours_day - base.counter_hours_day:+,.2f} counter-hours a day"
    extra = []
    if base.cost_week is not None and other.cost_week is not None:
        extra.append(f"{other.cost_week - base.cost_week:+,.0f} {other.currency} a week")
    extra.append(f"{other.fte - base.fte:+.1f} FTE")
    return f"{text} ({', '.join(extra)})"


def _meeting(s: ScenarioResult) -> tuple[int, int]:
    rows = _judged(s.kpis.by_interval)
    return len(rows) - len(below_target(rows, s.target)), len(rows)


def comparison_line(result: CompareResult, comparison: Comparison) -> str:
    """``B meets the target in 48/48 intervals vs A 45/48, for +4.00 counter-hours
    a day (…); service level +0.8±0.5pp over the day, significant in 17:00–19:30``."""
    base = result.scenarios[0]
    other = next(s for s in result.scenarios if s.label == comparison.label)
    diff = comparison.overall["service_level"].paired
    mean, half = mean_and_half(diff, "service_level", signed=True, precise=True)
    day = f"whole-day service level {mean}{half}"
    if diff.excludes_zero():
        day += " (significant)"
    if other.kpis.by_interval and base.kpis.by_interval:
        (met_b, n_b), (met_a, n_a) = _meeting(other), _meeting(base)
        head = (
            f"{other.label} meets the target in {met_b}/{n_b} intervals vs "
            f"{base.label} {met_a}/{n_a}"
        )
    else:
        head = f"{other.label} vs {base.label}"
    line = f"{head} for {money_delta(base.cost, other.cost)}; {day}"
    if comparison.by_interval:
        starts = [r.start for r in comparison.by_interval]
        sig = [r.kpis["service_level"].paired.excludes_zero() for r in comparison.by_interval]
        where = time_ranges(starts, sig)
        line += (
            f", per interval significantly different in {where}"
            if where
            else ", in no interval significantly different"
        )
    return line


def compare_verdict(result: CompareResult) -> Verdict:
    """One line per later scenario against the first (joined by ``; ``)."""
    lines = [comparison_line(result, c) for c in result.differences]
    behind = [
        f"{s.label}: {s.cost.counter_hours_day:,.2f} counter-hours a day, "
        f"{s.cost.counter_hours_week:,.1f} a week ({s.cost.fte:.1f} FTE"
        + (f", {s.cost.cost_week:,.0f} {s.cost.currency} a week" if s.cost.cost_week else "")
        + f"); whole-day service level {_sl(s.kpis.overall)}"
        for s in result.scenarios
    ]
    behind.append(
        f"{result.replications} replications each on the same customers (common random "
        "numbers); a difference is significant when its paired 95% CI excludes 0"
    )
    good = all(_meeting(s)[0] == _meeting(s)[1] for s in result.scenarios[1:] if s.kpis.by_interval)
    return Verdict(" — ".join(lines), behind, good)


def point_label(point: SweepPoint) -> str:
    """``arrivals.scale=0.8, counters[0].count=3``: what a grid point sets."""
    return ", ".join(f"{path}={value}" for path, value in point.values.items())


def sweep_verdict(points: Sequence[SweepPoint], replications: int) -> Verdict:
    """``2 of 6 grid points have intervals below target: arrivals.scale=1.2 (4
    intervals, lowest 60% at 12:15–12:30), …``."""
    behind = [
        f"{len(points)} grid points, {replications} replications each on the same customers; "
        "an interval is below target when its mean service level is below the target",
    ]
    if not points or not points[0].by_interval:
        short = [p for p in points if (sl := p.overall["service_level"].mean) is not None
                 and sl < p.target.service_level]  # fmt: skip
        if not short:
            return Verdict("every grid point meets the target over the run", behind, True)
        shown = ", ".join(f"{point_label(p)} ({_sl(p.overall)})" for p in short[:SHOWN])
        return Verdict(f"{len(short)} of {len(points)} grid points below target: {shown}",
                       behind, False)  # fmt: skip
    step = _step_s([r.start for r in points[0].by_interval])
    low = [(p, p.below_target()) for p in points if p.below_target()]
    if not low:
        return Verdict(
            f"at every grid point every interval meets the "
            f"{points[0].target.service_level:.0%} target",
            behind,
            True,
        )
    parts = []
    for p, rows in low[:SHOWN]:
        worst = min(rows, key=lambda r: r.kpis["service_level"].mean or 0.0)
        parts.append(
            f"{point_label(p)} ({len(rows)} interval{'s' if len(rows) > 1 else ''}, lowest "
            f"{_sl(worst.kpis)} at {span(worst.start, step)})"
        )
    more = "; …" if len(low) > SHOWN else ""
    return Verdict(
        f"{len(low)} of {len(points)} grid points have intervals below target: "
        f"{'; '.join(parts)}{more}",
        behind,
        False,
    )
