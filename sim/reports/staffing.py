"""The staffing report: demand, counters required by each method, and the
service level each plan achieves when simulated, against the target."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.model.calendar import intervals
from sim.model.scenario import Scenario
from sim.model.units import format_clock
from sim.planning.staffing import Evaluation, Plan, meets, offered_load

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 80em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th { background: #f0f0f0; }
td.miss { color: #b00; font-weight: bold; }
img { max-width: 100%; }
"""


def staffing_summary(
    scn: Scenario,
    plans: Sequence[Plan],
    evaluations: Sequence[Evaluation],
    replications: int,
    seed: int,
) -> dict[str, object]:
    """The machine-readable result of ``hallsim staff``."""
    rates, loads, _ = offered_load(scn)
    groups = [scn.counters[g].id for g in plans[0].groups]
    target = scn.target.service_level
    rows = []
    for i, (start, _) in enumerate(intervals(scn)):
        rows.append(
            {
                "start": format_clock(start),
                "arrivals_per_hour": float(rates[i]),
                "offered_load": float(loads[i]),
                "counts": {
                    p.method: {g: p.counts[k][i] for k, g in enumerate(groups)} for p in plans
                },
                "service_level": {
                    p.method: {
                        "mean": ev.mean[i],
                        "ci95_lower": ev.lower[i],
                        "ci95_upper": ev.upper[i],
                    }
                    for p, ev in zip(plans, evaluations, strict=True)
                },
            }
        )
    return {
        "scenario": scn.hall,
        "target": {"wait_s": scn.target.wait, "service_level": target},
        "replications": replications,
        "seed": seed,
        "groups": groups,
        "criterion": "lower end of the 95% CI of the interval's service level >= target",
        "plans": [
            {
                "method": p.method,
                "staff_hours": p.staff_hours(scn),
                "intervals_missing": sum(not ok for ok in meets(ev, target)),
                "evaluations": p.evaluations,
                "iterations": p.iterations,
            }
            for p, ev in zip(plans, evaluations, strict=True)
        ],
        "intervals": rows,
    }


def _plot(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = summary["intervals"]
    hours = np.array([int(r["start"][:2]) + int(r["start"][3:5]) / 60 for r in rows])
    width = hours[1] - hours[0] if len(hours) > 1 else 0.25
    methods = [p["method"] for p in summary["plans"]]
    colours = {"erlang": "#d08a2c", "sim": "#2c6fbb"}
    target = summary["target"]["service_level"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True)
    demand = top.twinx()
    demand.bar(
        hours + width / 2,
        [r["arrivals_per_hour"] for r in rows],
        width=width * 0.9,
        color="#dddddd",
        label="arrivals per hour (counters)",
    )
    demand.set_ylabel("arrivals per hour")
    top.set_zorder(demand.get_zorder() + 1)
    top.patch.set_visible(False)
    for m in methods:
        total = [sum(r["counts"][m].values()) for r in rows]
        top.step(
            np.append(hours, hours[-1] + width),
            [*total, total[-1]],
            where="post",
            color=colours.get(m, "k"),
            linewidth=2,
            label=f"counters, {m}",
        )
    top.set_ylabel("resized counters staffed")
    lines, labels = top.get_legend_handles_labels()
    bars, bar_labels = demand.get_legend_handles_labels()
    top.legend(lines + bars, labels + bar_labels, loc="upper left")
    top.set_title(f"{summary['scenario']} — demand and counters required")
    offsets = np.linspace(-0.18, 0.18, len(methods)) * width
    for m, offset in zip(methods, offsets, strict=True):
        sl = [r["service_level"][m] for r in rows]
        mean = np.array([s["mean"] for s in sl])
        lo = np.array([s["ci95_lower"] for s in sl])
        hi = np.array([s["ci95_upper"] for s in sl])
        bottom.errorbar(
            hours + width / 2 + offset,
            mean,
            yerr=[np.clip(mean - lo, 0, None), np.clip(hi - mean, 0, None)],
            fmt="o",
            markersize=3,
            capsize=2,
            color=colours.get(m, "k"),
            label=f"{m} plan (mean, 95% CI)",
        )
    bottom.axhline(target, color="#b00", linestyle="--", label=f"target {target:.0%}")
    bottom.set_ylabel(f"called within {summary['target']['wait_s'] / 60:g} min")
    bottom.set_xlabel("time of day (hours), by arrival interval")
    bottom.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    bottom.set_ylim(max(0.0, min(0.5, target - 0.3)), 1.02)
    bottom.legend(loc="lower left")
    bottom.set_title("service level per interval when each plan is simulated")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_staffing_report(scn: Scenario, summary: dict[str, Any], out_dir: Path) -> Path:
    """Write ``staffing.png`` and ``staffing.html`` into ``out_dir``; returns the html path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _plot(summary, out_dir / "staffing.png")
    e = html.escape
    methods = [p["method"] for p in summary["plans"]]
    groups = summary["groups"]
    target = summary["target"]["service_level"]
    head = "".join(f"<th>{e(g)} ({e(m)})</th>" for m in methods for g in groups)
    head += "".join(f"<th>SL {e(m)} (CI low)</th>" for m in methods)
    body = []
    for r in summary["intervals"]:
        cells = [r["start"], f"{r['arrivals_per_hour']:.0f}", f"{r['offered_load']:.2f}"]
        tds = "".join(f"<td>{e(c)}</td>" for c in cells)
        tds += "".join(f"<td>{r['counts'][m][g]}</td>" for m in methods for g in groups)
        for m in methods:
            lo = r["service_level"][m]["ci95_lower"]
            tds += f'<td class="{"miss" if lo < target else ""}">{lo:.1%}</td>'
        body.append(f"<tr>{tds}</tr>")
    plans = "".join(
        f"<li>{e(p['method'])}: {p['staff_hours']:.2f} counter-hours, "
        f"{p['intervals_missing']} intervals below target</li>"
        for p in summary["plans"]
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(scn.hall)} staffing plan</title><style>{_CSS}</style></head><body>
<h1>{e(scn.hall)} {e(scn.name or "")} — staffing plan</h1>
<p>Target: {target:.0%} of customers called within {summary["target"]["wait_s"] / 60:g} min.
Groups resized: {e(", ".join(groups))}. {summary["replications"]} replications per plan,
seed {summary["seed"]}; an interval meets the target when the lower end of the 95% CI of its
simulated service level reaches it.</p>
<ul>{plans}</ul>
<img src="staffing.png" alt="demand, counters and service level per interval">
<table><tr><th>start</th><th>arrivals/h</th><th>load (Erlangs)</th>{head}</tr>
{"".join(body)}</table>
</body></html>
"""
    path = out_dir / "staffing.html"
    path.write_text(page, encoding="utf-8")
    return path
