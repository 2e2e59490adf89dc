"""A sweep's CSV and plot: service level and mean wait against the swept value."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from sim.model.summary import Stat
from sim.planning.whatif import Scalar, SweepPoint, sweep_table


def write_sweep_csv(points: Sequence[SweepPoint], path: Path) -> None:
    """One row per grid point: the swept values, then each overall KPI's mean and
    95% CI (seconds for ``*_s``, shares for rates; empty where undefined)."""
    header, rows = sweep_table(points)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def _band(points: Sequence[SweepPoint], key: str, scale: float) -> list[list[float]]:
    """Mean, CI low and CI high of overall ``key`` over ``points``, divided by
    ``scale``; NaN (a gap in the line) where undefined."""

    def value(v: float | None) -> float:
        return math.nan if v is None else v / scale

    stats: list[Stat] = [p.overall[key] for p in points]
    return [
        [value(s.mean) for s in stats],
        [value(s.ci95[0]) for s in stats],
        [value(s.ci95[1]) for s in stats],
    ]


def write_sweep_plot(points: Sequence[SweepPoint], path: Path) -> None:
    """Service level and mean wait (minutes) against the first swept value, one
    line per value of the other swept paths, with 95% CI bands; the target
    service level dashed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    paths = list(points[0].values)
    xs = [p.values[paths[0]] for p in points]
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
    ticks = list(dict.fromkeys(xs))
    lines: dict[tuple[Scalar, ...], list[SweepPoint]] = {}
    for p in points:
        lines.setdefault(tuple(p.values[q] for q in paths[1:]), []).append(p)

    fig = Figure(figsize=(9, 4), layout="constrained")
    FigureCanvasAgg(fig)
    sl_ax, wait_ax = fig.subplots(1, 2, sharex=True)
    for n, (rest, line) in enumerate(lines.items()):
        if numeric:
            line = sorted(line, key=lambda p: float(p.values[paths[0]]))
        x = [p.values[paths[0]] if numeric else ticks.index(p.values[paths[0]]) for p in line]
        label = ", ".join(f"{q}={v}" for q, v in zip(paths[1:], rest, strict=True)) or None
        for ax, key, scale in ((sl_ax, "service_level", 1.0), (wait_ax, "wait_mean_s", 60.0)):
            mean, lo, hi = _band(line, key, scale)
            ax.plot(x, mean, marker="o", color=f"C{n % 10}", label=label)
            ax.fill_between(x, lo, hi, color=f"C{n % 10}", alpha=0.2, linewidth=0)
    for target in sorted({p.target.service_level for p in points}):
        sl_ax.axhline(
            target, color="grey", linestyle="--", linewidth=1, label=f"target {target:.0%}"
        )
    sl_ax.set_ylim(0, 1.02)
    sl_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    sl_ax.set_ylabel("service level")
    wait_ax.set_ylabel("mean wait (minutes)")
    wait_ax.set_ylim(bottom=0)
    for ax in (sl_ax, wait_ax):
        ax.set_xlabel(paths[0])
        ax.grid(alpha=0.3)
        if not numeric:
            ax.set_xticks(range(len(ticks)), [str(t) for t in ticks])
    sl_ax.legend(fontsize=8)
    fig.savefig(path, dpi=120)
