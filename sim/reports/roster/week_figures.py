"""The week roster's figures: everyone's week (a bar per person and day, in
the group's colour, gaps for meal breaks), and per day the people required
against the people at work per group, shortfalls in red."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sim.planning.roster.week import WeekRoster
from sim.reports.roster.week import day_label
from sim.reports.style import WARN, clock_axis, group_colours, hall_title, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _hours(result: WeekRoster) -> tuple[float, float]:
    """The earliest opening and latest closing of the week, hours."""
    opens = [d.scenario.open for d in result.days if d.scenario is not None]
    closes = [d.scenario.close for d in result.days if d.scenario is not None]
    return min(opens) / 3600.0, max(closes) / 3600.0


def week_chart(result: WeekRoster, cjk: bool, groups: Sequence[str] = ()) -> Figure:
    """One column per day, one row per person: each shift a bar in its group's
    colour with its meal break as a gap; closed days greyed."""
    from matplotlib.patches import Patch

    colour = group_colours(list(groups) or result.groups)
    n_people, n_days = len(result.people), len(result.days)
    fig = new_figure(13.5, 1.6 + 0.2 * n_people)
    axes = fig.subplots(1, n_days, sharey=True)
    lo, hi = _hours(result)
    fig.suptitle(
        hall_title(result.hall, result.hall_name, "everyone's week (gaps: meal breaks)", cjk)
    )
    for d, ax in enumerate(axes):
        ax.set_title(day_label(result, d), fontsize=9)
        if result.days[d].scenario is None:
            ax.axvspan(lo, hi, color="#eeeeee")
            ax.text((lo + hi) / 2, n_people / 2, "closed", ha="center", va="center", color="#888")
        for y, week in enumerate(result.people):
            shift = week.shifts[d]
            if shift is None:
                continue
            pieces = [(shift.start_s, shift.end_s)]
            if shift.meal_break is not None:
                pieces = [(shift.start_s, shift.meal_break[0]), (shift.meal_break[1], shift.end_s)]
            spans = [(a / 3600, (b - a) / 3600) for a, b in pieces]
            ax.broken_barh(spans, (y - 0.4, 0.8), facecolors=colour[shift.group])
        clock_axis(ax, lo, hi)
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelsize=7, labelrotation=90)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(
        range(n_people), [f"{w.person.id} {w.person.name}".strip() for w in result.people],
        fontsize=7,
    )  # fmt: skip
    axes[0].set_ylim(n_people - 0.5, -0.5)
    handles = [Patch(color=colour[g], label=f"group {g}") for g in result.groups]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8)
    return fig


def coverage_chart(result: WeekRoster, cjk: bool, groups: Sequence[str] = ()) -> Figure:
    """Per day (a panel each) and group: people to roster per slot (shaded)
    against people at work (line); a red band where the roster is short."""
    colour = group_colours(list(groups) or result.groups)
    n_days = len(result.days)
    fig = new_figure(13.5, 4.0)
    axes = fig.subplots(1, n_days, sharey=True)
    fig.suptitle(
        hall_title(
            result.hall, result.hall_name,
            "people to roster (shaded) and at work (line) per slot", cjk,
        )
    )  # fmt: skip
    lo, hi = _hours(result)
    for d, ax in enumerate(axes):
        ax.set_title(day_label(result, d), fontsize=9)
        req = result.requirements[d]
        if req is None:
            ax.axvspan(lo, hi, color="#eeeeee")
            clock_axis(ax, lo, hi)
            ax.set_xlabel("")
            continue
        edges = [s / 3600 for s, _ in req.slots] + [req.slots[-1][1] / 3600]
        for group, need, have in zip(req.groups, req.people, result.at_work(d), strict=True):
            ax.stairs(need, edges, fill=True, alpha=0.25, color=colour[group])
            ax.stairs(have, edges, color=colour[group], linewidth=1.4, label=f"{group}")
        for s in result.short:
            if s.day == d:
                start, end = req.slots[s.slot]
                ax.axvspan(start / 3600, end / 3600, color=WARN, alpha=0.25, lw=0)
        clock_axis(ax, lo, hi)
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelsize=7, labelrotation=90)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("people")
    handles, labels = next(
        (ax.get_legend_handles_labels() for ax in axes if ax.get_legend_handles_labels()[0]),
        ([], []),
    )
    fig.legend(handles, [f"group {g} at work" for g in labels], loc="outside lower center",
               ncols=max(1, len(labels)), fontsize=8)  # fmt: skip
    return fig
