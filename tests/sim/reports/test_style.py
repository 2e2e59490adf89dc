"""One plotting style across every report: the hall named in every figure's
title, times of day as ``09:00`` on every time axis, a legend for every
labelled line, one colour per segment and per counter group in every plot,
and share axes that start at 0."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sim.model.scenario import load_scenario
from sim.planning.judge import MeetRule
from sim.planning.roster import solve_roster
from sim.planning.roster.rules import load_rules
from sim.planning.simplan import SearchSettings
from sim.planning.smooth import PlanRules
from sim.planning.staffing_result import staffing_result
from sim.planning.weekplan import days_to_plan, plan_days
from sim.planning.whatif import apply_sets, compare, sweep
from sim.reports.compare import difference_figure, levels_figure
from sim.reports.plots import run_figures
from sim.reports.roster import gantt_figure
from sim.reports.staffing import staffing_figure
from sim.reports.style import group_colours, plot_style, segment_colours
from sim.reports.sweep import intervals_figure, sweep_figure
from sim.runs.executor import SerialExecutor
from sim.runs.experiment import run_experiment

COUNTY = load_scenario("scenarios/county.yaml")
FLAGSHIP = load_scenario("scenarios/flagship.yaml")
CLOCK = re.compile(r"^\d\d:\d\d$")


@pytest.fixture(scope="module")
def figures() -> Iterator[dict[str, tuple[str, Figure]]]:
    """Every report figure, drawn for small runs: name -> (hall, figure)."""
    with plot_style() as font:
        cjk = font is not None
        out: dict[str, tuple[str, Figure]] = {}
        experiment = run_experiment(FLAGSHIP, 2, 1)
        for name, fig in run_figures(experiment, experiment.summary().kpis, cjk):
            out[f"run-{name}"] = ("flagship", fig)
        days = days_to_plan(FLAGSHIP, "tue")
        rule, rules, settings = MeetRule(0.8, 0.9), PlanRules(), SearchSettings(2, 2, 1)
        planned = plan_days(days, "erlang", rule, rules, settings)
        result = staffing_result(FLAGSHIP, days, planned, rule, rules, settings, week=False)
        out["staffing"] = ("flagship", staffing_figure(result, result.days[0], cjk))
        plus = apply_sets(COUNTY, [("counters[0].count", 3)])
        compared = compare([COUNTY, plus], 3, 1, SerialExecutor(), labels=["a", "b"])
        out["differences"] = ("county", difference_figure(compared, "county", COUNTY.name, cjk))
        out["levels"] = ("county", levels_figure(compared, "county", COUNTY.name, cjk))
        points = sweep(COUNTY, [("arrivals.scale", [0.8, 1.2])], 2, 1, SerialExecutor())
        out["sweep"] = ("county", sweep_figure(points, "county", COUNTY.name, cjk))
        by_interval = intervals_figure(points, "county", COUNTY.name, cjk)
        assert by_interval is not None
        out["sweep-intervals"] = ("county", by_interval)
        roster = solve_roster(FLAGSHIP, load_rules("scenarios/rules/flagship-roster.yaml"))
        groups = [g.id for g in FLAGSHIP.counters]
        out["gantt"] = ("flagship", gantt_figure(roster, "flagship", FLAGSHIP.name, cjk, groups))
        for _, fig in out.values():
            fig.canvas.draw()
        yield out


def titles(fig: Figure) -> list[str]:
    found = [ax.get_title() for ax in fig.axes if ax.get_title()]
    if fig.get_suptitle():
        found.append(fig.get_suptitle())
    return found


def test_every_figure_names_its_hall(figures: dict[str, tuple[str, Figure]]) -> None:
    for name, (hall, fig) in figures.items():
        assert any(t.startswith(hall) for t in titles(fig)), (name, titles(fig))


def time_axes(fig: Figure) -> list[Axes]:
    return [ax for ax in fig.axes if "time of day" in ax.get_xlabel()]


def test_time_axes_read_as_clock_times(figures: dict[str, tuple[str, Figure]]) -> None:
    for name in ("run-queue", "run-service-level", "staffing", "differences", "levels",
                 "sweep-intervals", "gantt"):  # fmt: skip
        axes = time_axes(figures[name][1])
        assert axes, f"{name} has no time-of-day axis"
        for ax in axes:
            labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
            assert labels and all(CLOCK.match(text) for text in labels), (name, labels)


def test_every_labelled_line_is_in_a_legend(figures: dict[str, tuple[str, Figure]]) -> None:
    for name, (_, fig) in figures.items():
        legends = [legend for ax in fig.axes if (legend := ax.get_legend()) is not None]
        assert legends, f"{name} has no legend"
        shown = {t.get_text() for legend in legends for t in legend.get_texts()}
        for ax in fig.axes:
            for line in ax.get_lines():
                text = str(line.get_label())
                if not text.startswith("_") and len(np.asarray(line.get_xdata())) > 1:
                    assert text in shown, (name, text)


def test_segments_and_groups_keep_their_colours(figures: dict[str, tuple[str, Figure]]) -> None:
    segments = segment_colours(list(FLAGSHIP.segments))
    names = {seg.name: key for key, seg in FLAGSHIP.segments.items()} | {
        key: key for key in FLAGSHIP.segments
    }
    waits = figures["run-waits"][1].axes[0]
    drawn = 0
    for line in waits.get_lines():
        label = str(line.get_label()).split(" (n=")[0]
        if label in names:
            assert to_hex(line.get_color()) == segments[names[label]]
            drawn += 1
    assert drawn == len(FLAGSHIP.segments)
    groups = group_colours([g.id for g in FLAGSHIP.counters])
    checked: dict[str, set[str]] = {"staffing": set(), "gantt": set()}
    for name in ("staffing", "gantt"):
        fig = figures[name][1]
        handles = [
            (text.get_text(), handle)
            for ax in fig.axes
            if (legend := ax.get_legend()) is not None
            for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
        ]
        for text, handle in handles:
            group = text.split()[-1] if text.startswith("group ") else text.split(" ")[0]
            if group in groups and handle is not None:
                colour = handle.get_facecolor() if hasattr(handle, "get_facecolor") else None
                if colour is not None and len(colour) == 4 and colour[3] > 0:
                    assert to_hex(colour, keep_alpha=False) == groups[group], (name, text)
                    checked[name].add(group)
    assert checked == {"staffing": {"V", "B", "Q", "A"}, "gantt": {"B", "Q"}}


def test_share_axes_start_at_zero(figures: dict[str, tuple[str, Figure]]) -> None:
    for name in ("run-waits", "run-service-level", "run-utilisation", "levels", "sweep"):
        ax = figures[name][1].axes[0]
        assert ax.get_ylim()[0] == 0.0, name
    waits = figures["run-waits"][1].axes[0]
    assert waits.get_xlim()[0] == 0.0
    curves = [np.asarray(line.get_xdata()) for line in waits.get_lines()]
    assert all(x[0] == 0.0 for x in curves if len(x) > 2)


def test_one_replication_draws_no_confidence_interval() -> None:
    """``-n 1`` has no interval: no figure of run's report draws or names one."""
    with plot_style() as font:
        experiment = run_experiment(COUNTY, 1, 1)
        figures = run_figures(experiment, experiment.summary().kpis, font is not None)
    for name, fig in figures:
        texts = [ax.get_title() for ax in fig.axes]
        for ax in fig.axes:
            if (legend := ax.get_legend()) is not None:
                texts += [t.get_text() for t in legend.get_texts()]
            assert not ax.collections or name != "queue", f"{name} draws a band"
        assert not any("CI" in text for text in texts), (name, texts)
        assert any("one replication" in text for text in texts), (name, texts)
