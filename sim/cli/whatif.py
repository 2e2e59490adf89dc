"""``hallsim compare`` and ``hallsim sweep``: what-if runs. Thin: load, call
:mod:`sim.planning.whatif`, format. Register with ``app.command()(compare)`` and
``app.command()(sweep)`` in :mod:`sim.cli.main`."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sim.model.scenario import ScenarioError
from sim.reports.terminal import err, fail, load_or_fail, progress_bar, stdout_console

_RATES = ("service_level", "abandon_rate", "utilisation")
# (key, header, show the CI half-width) in the sweep table
_SWEEP_COLUMNS = (
    ("arrivals", "arrivals", False),
    ("abandoned", "aband.", False),
    ("wait_mean_s", "wait", True),
    ("wait_p90_s", "p90", True),
    ("service_level", "SL", True),
    ("queue_mean", "queue", False),
    ("utilisation", "util", False),
)

Replications = Annotated[
    int, typer.Option("--replications", "-n", min=2, help="Replications (days) per scenario.")
]
Seed = Annotated[int, typer.Option(min=0, help="Seed: the same customers for every scenario.")]
Workers = Annotated[
    int | None,
    typer.Option(
        min=1, help="Local worker processes [default: number of CPUs]; 1 runs in-process."
    ),
]
DaskAddress = Annotated[
    str | None,
    typer.Option(
        "--dask", metavar="ADDRESS", help="Run on the Dask scheduler at ADDRESS (hallq[dask])."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the results as JSON.")]


def _number(value: float, key: str, signed: bool = False) -> str:
    """``value`` of KPI ``key`` in people's units: minutes, percent (points for
    a difference) or a count."""
    sign = "+" if signed else ""
    if key.endswith("_s"):
        return f"{value / 60:{sign}.1f}"
    if key in _RATES:
        return f"{value * 100:{sign}.0f}" + ("pp" if signed else "%")
    return f"{value:{sign}.1f}"


def _half(ci: Sequence[float | None], key: str) -> str:
    lo, hi = ci
    return "" if lo is None or hi is None else f"±{_number((hi - lo) / 2, key)}".rstrip("%")


def _stat(stat: dict[str, Any], key: str, with_ci: bool = True) -> str:
    if stat["mean"] is None:
        return "–"
    return _number(stat["mean"], key) + (_half(stat["ci95"], key) if with_ci else "")


def _difference(diff: dict[str, Any], key: str) -> str:
    """``+1.2±0.3 (±0.9)``: the paired difference, its CI half-width and the
    unpaired one; bold with ``*`` when the paired CI excludes 0."""
    if diff["mean"] is None:
        return "–"
    lo, hi = diff["ci95"]
    cell = _number(diff["mean"], key, signed=True) + _half(diff["ci95"], key)
    cell += f" ({_half(diff['welch_ci95'], key) or '–'})"
    if lo is not None and (lo > 0 or hi < 0):
        return f"[bold]{cell} *[/]"
    return cell


def _labels(paths: Sequence[Path]) -> list[str]:
    for names in ([p.stem for p in paths], [str(p) for p in paths]):
        if len(set(names)) == len(names):
            return names
    return [f"{p.stem} #{k}" for k, p in enumerate(paths, 1)]


def _print_compare(result: dict[str, Any]) -> None:
    from sim.model.kpis import KPI_KEYS  # numpy loads when a command runs, not at start-up

    scenarios, diffs = result["scenarios"], result["differences"]
    base = scenarios[0]["label"]
    table = Table(
        title=f"{len(scenarios)} scenarios, {result['replications']} replications each, "
        f"seed {result['seed']} (common random numbers)",
        title_justify="left",
        header_style="bold",
        caption=f"mean ±95% CI half-width; waits in minutes. Δ: paired difference against "
        f"{base} ±CI (unpaired Welch ±CI in brackets); * the paired CI excludes 0",
    )
    table.add_column("KPI", no_wrap=True)
    for scn in scenarios:
        table.add_column(scn["label"], justify="right", no_wrap=True)
    for diff in diffs:
        table.add_column(f"Δ {diff['label']}", justify="right", no_wrap=True)
    for key in KPI_KEYS:
        cells = [_stat(scn["overall"][key], key) for scn in scenarios]
        cells += [_difference(diff["overall"][key], key) for diff in diffs]
        table.add_row(key, *cells)
    stdout_console().print(table)


def _run(
    what: str,
    scenarios: int,
    replications: int,
    workers: int | None,
    dask: str | None,
    call: Callable[[Any, Callable[[int], None]], Any],
) -> Any:
    """``call(executor, on_done)`` on the chosen executor with a progress bar;
    input and cluster errors exit 2."""
    from sim.runs.dask_executor import DaskError, make_executor

    try:
        executor = make_executor(workers, dask, scenarios * replications)
    except DaskError as exc:
        raise fail(f"--dask: {exc}") from None
    progress = progress_bar()
    try:
        with progress:
            task = progress.add_task(what, total=scenarios * replications)
            return call(executor, lambda _: progress.advance(task))
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    finally:
        executor.close()


def compare(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Two or more scenario YAML files; the first is the base.")
    ],
    replications: Replications = 20,
    seed: Seed = 1,
    workers: Workers = None,
    dask: DaskAddress = None,
    as_json: AsJson = False,
) -> None:
    """Run scenarios on the same customers; each KPI and its paired difference to the first."""
    if len(scenarios) < 2:
        raise fail("compare needs at least two scenario files")
    loaded = [load_or_fail(path) for path in scenarios]
    from sim.planning import whatif

    result = _run(
        "comparing",
        len(loaded),
        replications,
        workers,
        dask,
        lambda ex, done: whatif.compare(
            loaded, replications, seed, ex, labels=_labels(scenarios), on_done=done
        ),
    )
    if as_json:
        json.dump(result, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_compare(result)


def _print_sweep(hall: str, paths: list[str], points: list[dict[str, Any]]) -> None:
    table = Table(
        title=f"{hall}: {len(points)} grid points",
        title_justify="left",
        header_style="bold",
        caption="wait, p90: minutes (mean ±95% CI half-width); SL: share called within the "
        "target wait (red below target); queue: mean customers waiting; util: utilisation",
    )
    for path in paths:
        table.add_column(path, justify="right", no_wrap=True)
    for _, header, _ in _SWEEP_COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    for point in points:
        cells = [str(point["values"][path]) for path in paths]
        overall = point["overall"]
        for key, _, with_ci in _SWEEP_COLUMNS:
            cell = _stat(overall[key], key, with_ci)
            sl = overall["service_level"]["mean"]
            if key == "service_level" and sl is not None and sl < point["target"]["service_level"]:
                cell = f"[red]{cell}[/]"
            cells.append(cell)
        table.add_row(*cells)
    stdout_console().print(table)


def write_sweep_csv(points: Sequence[dict[str, Any]], path: Path) -> None:
    """One row per grid point: the swept values, then each overall KPI's mean and
    95% CI (seconds for ``*_s``, shares for rates; empty where undefined)."""
    from sim.planning.whatif import sweep_table

    header, rows = sweep_table(points)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def _band(points: Sequence[dict[str, Any]], key: str, scale: float) -> list[list[float]]:
    """Mean, CI low and CI high of overall ``key`` over ``points``, divided by
    ``scale``; NaN (a gap in the line) where undefined."""
    stats = [p["overall"][key] for p in points]
    rows = [[s["mean"], *s["ci95"]] for s in stats]
    return [[math.nan if v is None else v / scale for v in col] for col in zip(*rows, strict=True)]


def write_sweep_plot(points: Sequence[dict[str, Any]], path: Path) -> None:
    """Service level and mean wait (minutes) against the first swept value, one
    line per value of the other swept paths, with 95% CI bands; the target
    service level dashed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    paths = list(points[0]["values"])
    xs = [p["values"][paths[0]] for p in points]
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
    ticks = list(dict.fromkeys(xs))
    lines: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for p in points:
        lines.setdefault(tuple(p["values"][q] for q in paths[1:]), []).append(p)

    fig = Figure(figsize=(9, 4), layout="constrained")
    FigureCanvasAgg(fig)
    sl_ax, wait_ax = fig.subplots(1, 2, sharex=True)
    for n, (rest, line) in enumerate(lines.items()):
        if numeric:
            line = sorted(line, key=lambda p: p["values"][paths[0]])
        x = [p["values"][paths[0]] if numeric else ticks.index(p["values"][paths[0]]) for p in line]
        label = ", ".join(f"{q}={v}" for q, v in zip(paths[1:], rest, strict=True)) or None
        for ax, key, scale in ((sl_ax, "service_level", 1.0), (wait_ax, "wait_mean_s", 60.0)):
            mean, lo, hi = _band(line, key, scale)
            ax.plot(x, mean, marker="o", color=f"C{n % 10}", label=label)
            ax.fill_between(x, lo, hi, color=f"C{n % 10}", alpha=0.2, linewidth=0)
    for target in sorted({p["target"]["service_level"] for p in points}):
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


def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    sets: Annotated[
        list[str],
        typer.Option(
            "--set",
            metavar="PATH=V1,V2,...",
            help="Values of a scenario path, e.g. arrivals.scale=0.8,1.2 or "
            "counters[1].count=3,4; repeat for a grid.",
        ),
    ],
    replications: Replications = 20,
    seed: Seed = 1,
    workers: Workers = None,
    dask: DaskAddress = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write sweep.csv and sweep.png into this directory."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Run SCENARIO at every point of a grid of values; print, and optionally plot, the KPIs."""
    from sim.planning import whatif

    scn = load_or_fail(scenario)
    try:
        parsed = [whatif.parse_set(text) for text in sets]
    except ScenarioError as exc:
        raise fail(f"--set {exc}") from None
    points: list[dict[str, Any]] = _run(
        f"sweeping {scn.hall}",
        math.prod(len(values) for _, values in parsed),
        replications,
        workers,
        dask,
        lambda ex, done: whatif.sweep(scn, parsed, replications, seed, ex, on_done=done),
    )
    paths = [path for path, _ in parsed]
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            write_sweep_csv(points, out / "sweep.csv")
            write_sweep_plot(points, out / "sweep.png")
        except OSError as exc:
            raise fail(f"{exc.filename}: cannot write ({exc.strerror})") from None
        err.print(f"sweep: {out / 'sweep.csv'}, {out / 'sweep.png'}", highlight=False)
    if as_json:
        summary = {
            "scenario": scn.hall,
            "replications": replications,
            "seed": seed,
            "swept": paths,
            "points": points,
        }
        json.dump(summary, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_sweep(scn.hall, paths, points)
