"""What ``hallsim fit`` shows: the estimates with their 95% CIs as a JSON-ready
tree (:func:`fit_summary`) and the report page ``DIR/fit.html``
(:func:`write_fit_report`: the same numbers as tables, with the figures of
:mod:`sim.reports.fit_figures`). Matplotlib is imported only when a report is
drawn."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.calibration.arrivals import ArrivalFit
from sim.calibration.fit import FitResult
from sim.calibration.patience import PatienceFit
from sim.model.units import format_clock
from sim.reports.page import Cell, CellLike, Page

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 4)


def _ci(ci: tuple[float, float]) -> list[float | None]:
    return [_num(ci[0]), _num(ci[1])]


def arrival_summary(a: ArrivalFit) -> dict[str, Any]:
    """Per-interval arrival rates (per hour, with 95% CIs) and daily totals."""
    return {
        "days": a.days,
        "rate_per_hour": [
            {"start": format_clock(s), "mean": _num(r), "ci95": _ci(ci)}
            for s, r, ci in zip(a.starts_s, a.rate_per_h, a.rate_ci95, strict=True)
        ],
        "daily_tickets_mean": _num(a.daily_mean),
        "daily_tickets_var": _num(a.daily_var),
        "day_noise_cv": _num(a.day_noise_cv),
    }


def patience_summary(p: PatienceFit) -> dict[str, Any]:
    """One segment's patience: what the log identifies (the survival curve up to
    ``known_until_s``, its restricted mean), the parametric fits and the mean
    (a range over plausible families, or a lower bound, when not identified)."""
    s = p.survival
    low = min((f.aic for f in p.fits), default=math.nan)
    plausible = {f.family for f in p.plausible}
    chosen = p.best if p.chosen is not None else None
    lo, hi = p.mean_range_s
    return {
        "gave_up_exact": p.exact,
        "gave_up_interval_censored": p.interval,
        "served_right_censored": p.right,
        "curve": s.method,
        "known_until_s": _num(s.known_until_s),
        "survival_at_known_until": {"value": _num(s.survival_at_tau), "ci95": _ci(s.survival_ci95)},
        "restricted_mean_s": {
            "value": _num(s.restricted_mean_s),
            "ci95": _ci(s.restricted_mean_ci95_s),
        },
        "identified": p.identified,
        "best_aic": p.best_aic,
        "chosen": p.chosen,
        "mean_s": _num(chosen.mean_s) if chosen else None,
        "ci95_s": _ci(chosen.mean_ci95_s) if chosen else [None, None],
        "mean_range_s": [_num(lo), _num(hi)],
        "mean_lower_bound_s": _num(s.mean_lower_bound_s),
        "fits": [
            {
                "family": f.family,
                "mean_s": _num(f.mean_s),
                "ci95_s": _ci(f.mean_ci95_s),
                "cv": _num(f.cv),
                "aic": _num(f.aic),
                "delta_aic": _num(f.aic - low),
                "plausible": f.family in plausible,
                "survival_at_known_until": _num(f.survival_at_tau),
            }
            for f in p.fits
        ],
    }


def fit_summary(fit: FitResult) -> dict[str, Any]:
    """Every estimate of ``fit``, seconds and per-hour rates, with 95% CIs."""
    a = fit.arrivals
    return {
        "days": fit.days,
        "tickets": fit.tickets,
        "timezone": fit.timezone,
        "abandon_events": "exact" if fit.exact_abandons else "no_show",
        "abandon_events_from": fit.abandon_events_from,
        "open": format_clock(a.open_s),
        "close": format_clock(a.close_s),
        "interval_s": a.interval_s,
        "arrivals": arrival_summary(a),
        "mix": {k: {"share": _num(v.share), "ci95": _ci(v.ci95)} for k, v in fit.mix.items()},
        "segments": {
            k: {"share": _num(v.share), "ci95": _ci(v.ci95)} for k, v in fit.segments.items()
        },
        "services": {
            k: {
                "n": s.n,
                "mean_s": _num(s.mean_s),
                "ci95_s": _ci(s.mean_ci95_s),
                "cv": _num(s.cv),
                "chosen": s.chosen,
                "fits": [
                    {
                        "family": f.family,
                        "mean_s": _num(f.mean_s),
                        "cv": _num(f.cv),
                        "aic": _num(f.aic),
                        "ks_p": _num(f.ks_p),
                    }
                    for f in s.fits
                ],
            }
            for k, s in fit.services.items()
        },
        "counter_speed": {k: _num(v) for k, v in fit.counter_speed.items()},
        "counter_speed_ci95": {k: _ci(v) for k, v in fit.counter_speed_ci95.items()},
        "counter_groups": [
            {
                "id": g.id,
                "counters": list(g.counters),
                "speed": g.speed,
                "speed_ci95": _ci(g.speed_ci95),
                "services": list(g.services),
                "segments": list(g.segments) if g.segments else None,
                "served": g.served,
                "count": {format_clock(s): c for s, c in g.count},
            }
            for g in fit.groups
        ],
        "patience": {k: patience_summary(p) for k, p in fit.patience.items()},
        "priorities": fit.priorities,
        "overtakes": fit.overtakes,
        "no_show_delay_s": _num(fit.no_show_delay_s),
        "problems": fit.problems,
    }


def _shown(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec`` (``.2f``, ``,.1f``), ``–`` when unknown."""
    return "–" if value is None else format(value, spec)


def _minutes(seconds: float | None, decimals: int = 1) -> str:
    return _shown(None if seconds is None else seconds / 60, f",.{decimals}f")


def _range(ci: list[float | None], decimals: int = 1, scale: float = 60.0) -> str:
    """``2.1–3.4``: a CI in minutes (or in ``scale`` units), ``–`` for a missing end."""
    lo, hi = ci
    low = "–" if lo is None else f"{lo / scale:,.{decimals}f}"
    high = "∞" if hi is None else f"{hi / scale:,.{decimals}f}"
    return f"{low}–{high}"


def _at_least_0(ci: list[float | None]) -> list[float | None]:
    """A rate's CI with its lower end cut at 0 (a t interval over few days can dip below)."""
    lo, hi = ci
    return [None if lo is None else max(lo, 0.0), hi]


def _left(text: str) -> Cell:
    return Cell(text, cls="left")


def _share(share: dict[str, Any]) -> Cell:
    lo, hi = share["ci95"]
    return Cell(f"{share['share'] * 100:.1f}%", f"{lo * 100:.1f}–{hi * 100:.1f}%")


def _patience_mean(p: dict[str, Any]) -> Cell:
    """The chosen family's mean with its CI when identified; else the range over
    the plausible families, or the lower bound when nobody gave up."""
    if p["chosen"] is None:
        return Cell(f"≥ {_minutes(p['mean_lower_bound_s'])}", "lower bound")
    if p["identified"]:
        return Cell(_minutes(p["mean_s"]), _range(p["ci95_s"]))
    lo, hi = p["mean_range_s"]
    if hi is None:
        return Cell(f"≥ {_minutes(lo)}", "lower bound")
    return Cell(f"{_minutes(lo)}–{_minutes(hi)}", "range")


def _staffing_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[CellLike]]]:
    """Counters open per group from each time a count changes."""
    groups = summary["counter_groups"]
    changes = sorted({t for g in groups for t in g["count"]})
    rows: list[list[CellLike]] = []
    current = {g["id"]: 0 for g in groups}
    for t in changes:
        for g in groups:
            current[g["id"]] = g["count"].get(t, current[g["id"]])
        rows.append(
            [t, *(current[g["id"]] for g in groups), Cell(str(sum(current.values())), cls="total")]
        )
    return ["from", *(g["id"] for g in groups), "total"], rows


def write_fit_report(
    result: FitResult, summary: dict[str, Any], out_dir: Path, command_line: str, *, hall: str
) -> Path:
    """Write ``out_dir/fit.html`` (``out_dir`` created if needed) and return its
    path. ``summary`` is :func:`fit_summary` of ``result`` (its numbers fill the
    tables, so they are the ``--json`` numbers); ``command_line`` reproduces it."""
    from sim.reports.fit_figures import fit_figures
    from sim.reports.style import plot_style

    s = summary
    logged = (
        "read from the log" if s["abandon_events_from"] == "log" else "as --abandon-events said"
    )
    how = {
        "exact": "exact: a give-up is logged when it happens",
        "no_show": "no_show: a give-up shows only when the ticket is called and nobody comes",
    }[s["abandon_events"]]
    facts = [
        ("Event log", f"{s['tickets']:,} tickets over {s['days']} days"),
        ("Opening hours", f"{s['open']}–{s['close']}, as the log's first and last tickets show"),
        ("Statistics interval", f"{s['interval_s'] / 60:g} min"),
        ("Give-ups logged", f"{how} ({logged})"),
        ("Time zone", s["timezone"]),
        ("Fitted scenario", s.get("out", "")),
    ]
    if s.get("skipped_lines") or s.get("problems"):
        facts.append(
            (
                "Skipped lines / log problems",
                f"{s.get('skipped_lines') or {}} / {s['problems'] or {}}",
            )
        )
    page = Page("fit", "scenario fitted from the event log", hall, None, command_line, None, facts)
    page.note(
        "Every estimate comes with its 95% confidence interval (small grey type). Times in "
        "minutes, rates in tickets per hour, shares in percent. The fitted scenario "
        "(above) takes the means and families shown here."
    )
    # drawn and embedded inside the style: the PNGs are rendered in page.figure
    with plot_style():
        _fill(page, s, dict(fit_figures(result, hall)))
    return page.write(out_dir)


def _fill(page: Page, s: dict[str, Any], figures: dict[str, Figure]) -> None:
    """The sections of the fit page: tables from the summary ``s``, ``figures`` by id."""
    a = s["arrivals"]
    page.section(
        "Arrivals",
        f"Tickets taken per hour in each {s['interval_s'] / 60:g}-minute interval, mean over "
        f"the {a['days']} days of the log; {a['daily_tickets_mean']:,.0f} tickets a day on "
        f"average, day-to-day noise cv {a['day_noise_cv']:.2f} (beyond Poisson). Customers who "
        "use a kiosk take no ticket and are not counted.",
    )
    page.figure(
        "arrivals", figures["arrivals"],
        "Tickets per hour by arrival interval: mean over the days with its 95% CI band "
        "(cut at 0).",
    )  # fmt: skip
    page.section("Service mix and customer segments", "Share of tickets, with 95% CIs.")
    page.table("mix", ["service", "share"], [[k, _share(v)] for k, v in s["mix"].items()])
    page.table("segments", ["segment", "share"], [[k, _share(v)] for k, v in s["segments"].items()])
    page.section(
        "Service times",
        "Durations at counter speed 1 (a counter group's speed divides them). The family is "
        "chosen by AIC among those a Kolmogorov–Smirnov test does not reject at 1%; "
        "empirical: the scenario replays the observed quantiles.",
    )
    page.table(
        "services",
        ["service", "served (n)", "mean (min)", "cv", "family"],
        [
            [k, f"{v['n']:,}", Cell(_minutes(v["mean_s"], 2), _range(v["ci95_s"], 2)),
             _shown(v["cv"], ".2f"), _left(v["chosen"])]
            for k, v in s["services"].items()
        ],
    )  # fmt: skip
    page.table(
        "service-families",
        ["service", "family", "mean (min)", "cv", "AIC", "KS p"],
        [
            [k, f["family"] + (" (chosen)" if f["family"] == v["chosen"] else ""),
             _minutes(f["mean_s"], 2), _shown(f["cv"], ".2f"),
             _shown(f["aic"], ",.1f"),
             _shown(f["ks_p"], ".3f")]
            for k, v in s["services"].items()
            for f in v["fits"]
        ],
        left=2,
    )  # fmt: skip
    page.figure(
        "service-qq", figures["service-qq"],
        "QQ plots: each service's observed 1st–99th percentiles against the fitted family's; "
        "points on the dashed diagonal mean a good fit.",
    )  # fmt: skip
    page.section(
        "Counters",
        "Groups of counters that serve the same services and segments; speed relative to "
        "the hall's typical counter (1 = as fast, 1.2 = 20% faster), with its 95% CI.",
    )
    page.table(
        "counter-groups",
        ["group", "counters", "speed", "services", "segments", "served"],
        [
            [g["id"], " ".join(g["counters"]),
             Cell(f"{g['speed']:.2f}", _range(g["speed_ci95"], 2, 1.0)),
             _left(", ".join(g["services"])),
             _left(", ".join(g["segments"]) if g["segments"] else "all"),
             f"{g['served']:,}"]
            for g in s["counter_groups"]
        ],
        left=2,
    )  # fmt: skip
    header, rows = _staffing_rows(s)
    page.table(
        "staffing",
        header,
        rows,
        caption="Counters staffed per group from each time a count changes, as recovered "
        "from the log.",
    )
    page.section(
        "Patience",
        "How long customers wait before giving up. The log shows it only up to τ, the "
        "95th percentile of the waits to a call: S(τ) is the share still waiting at τ, the "
        "restricted mean the mean patience counted up to τ. Beyond τ a family's tail is a "
        "guess: a segment's mean is identified (yes) with at least 30 give-ups and S(τ) at "
        "most 50%; otherwise its mean is a range over the plausible families (AIC within 4 "
        "of the best), or only a lower bound when nobody gave up.",
    )
    page.table(
        "patience",
        ["segment", "gave up", "served", "τ known until (min)", "S(τ)", "restricted mean (min)",
         "family", "mean (min)", "identified"],
        [
            [k, f"{p['gave_up_exact'] + p['gave_up_interval_censored']:,}",
             f"{p['served_right_censored']:,}", _minutes(p["known_until_s"]),
             Cell(f"{p['survival_at_known_until']['value']:.2f}",
                  _range(p["survival_at_known_until"]["ci95"], 2, 1.0)),
             Cell(_minutes(p["restricted_mean_s"]["value"]),
                  _range(p["restricted_mean_s"]["ci95"])),
             _left(p["chosen"] or "none (nobody gave up)"), _patience_mean(p),
             _left("yes" if p["identified"] else "no")]
            for k, p in s["patience"].items()
        ],
        caption="mean: the chosen family's with its 95% CI when identified; else the range "
        "from the lowest to the highest 95% bound of the plausible families (a huge upper "
        "end: the log cannot tell how long the most patient would wait), or a lower bound.",
    )  # fmt: skip
    page.table(
        "patience-families",
        ["segment", "family", "mean (min)", "cv", "ΔAIC", "plausible", "S(τ)"],
        [
            [k, f["family"] + (" (chosen)" if f["family"] == p["chosen"] else ""),
             Cell(_minutes(f["mean_s"]), _range(f["ci95_s"])),
             _shown(f["cv"], ".2f"),
             _shown(f["delta_aic"], ".1f"),
             "yes" if f["plausible"] else "no",
             _shown(f["survival_at_known_until"], ".2f")]
            for k, p in s["patience"].items()
            for f in p["fits"]
        ],
        left=2,
    )  # fmt: skip
    page.figure(
        "patience", figures["patience"],
        "Share of customers still waiting after t minutes, per segment: from the log up to τ "
        "(solid), each fitted family dashed, S(τ) with its 95% CI at τ; grey: beyond what "
        "the log shows.",
    )  # fmt: skip
    page.section(
        "Segment priorities",
        "Who is called first, read from the order of calls (0 first; equal numbers share a queue).",
    )
    page.table(
        "priorities",
        ["segment", "priority"],
        [[k, v] for k, v in sorted(s["priorities"].items(), key=lambda kv: (kv[1], kv[0]))],
    )
    page.section("Arrivals by interval", "The numbers of the arrivals figure.")
    page.table(
        "arrivals",
        ["start", "tickets per hour", "95% CI (cut at 0)"],
        [
            [r["start"], f"{r['mean']:.1f}", Cell(_range(_at_least_0(r["ci95"]), 1, 1.0), cls="ci")]
            for r in a["rate_per_hour"]
        ],
    )
