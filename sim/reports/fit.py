"""The report page of ``hallsim fit``, ``DIR/fit.html``
(:func:`write_fit_report`): the numbers of ``--json`` (:class:`FitSummary`) as
tables, with the figures of :mod:`sim.reports.fit_figures`. Matplotlib is
imported only when a report is drawn."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from sim.calibration.arrivals import Share
from sim.calibration.summary import FitSummary
from sim.model.units import format_clock
from sim.reports.fit_tables import patience_lines, patience_mean
from sim.reports.kpi_text import minutes, minutes_range
from sim.reports.page import Cell, CellLike, Page

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _shown(value: float, spec: str) -> str:
    """``value`` formatted with ``spec`` (``.2f``, ``,.1f``), ``–`` when not finite."""
    return format(value, spec) if math.isfinite(value) else "–"


def _left(text: str) -> Cell:
    return Cell(text, cls="left")


def _share(share: Share) -> Cell:
    lo, hi = share.ci95
    return Cell(f"{share.share * 100:.1f}%", f"{lo * 100:.1f}–{hi * 100:.1f}%")


def _staffing_rows(summary: FitSummary) -> tuple[list[str], list[list[CellLike]]]:
    """Counters open per group from each time a count changes."""
    groups = summary.result.groups
    counts = {g.id: dict(g.count) for g in groups}
    rows: list[list[CellLike]] = []
    current = {g.id: 0 for g in groups}
    for t in sorted({t for g in groups for t, _ in g.count}):
        for g in groups:
            current[g.id] = counts[g.id].get(t, current[g.id])
        total = Cell(str(sum(current.values())), cls="total")
        rows.append([format_clock(t), *(current[g.id] for g in groups), total])
    return ["from", *(g.id for g in groups), "total"], rows


def write_fit_report(summary: FitSummary, out_dir: Path, command_line: str, *, hall: str) -> Path:
    """Write ``out_dir/fit.html`` (``out_dir`` created if needed) from the
    numbers ``--json`` prints of ``summary`` and return its path;
    ``command_line`` reproduces it."""
    from sim.reports.fit_figures import fit_figures
    from sim.reports.style import plot_style

    r = summary.result
    logged = "read from the log" if r.abandon_events_from == "log" else "as --abandon-events said"
    how = (
        "exact: a give-up is logged when it happens"
        if r.exact_abandons
        else "no_show: a give-up shows only when the ticket is called and nobody comes"
    )
    a = r.arrivals
    facts = [
        ("Event log", f"{r.tickets:,} tickets over {r.days} days"),
        (
            "Opening hours",
            f"{format_clock(a.open_s)}–{format_clock(a.close_s)}, as the log's first and last "
            "tickets show",
        ),
        ("Statistics interval", f"{a.interval_s / 60:g} min"),
        ("Give-ups logged", f"{how} ({logged})"),
        ("Time zone", r.timezone),
        ("Fitted scenario", summary.out),
    ]
    if summary.skipped_lines or r.problems:
        skipped = dict(summary.skipped_lines) or {}
        facts.append(("Skipped lines / log problems", f"{skipped} / {r.problems or {}}"))
    page = Page("fit", "scenario fitted from the event log", hall, None, command_line, None, facts)
    busiest = max(range(len(a.rate_per_h)), key=a.rate_per_h.__getitem__)
    page.verdict(
        f"{summary.out}: {r.tickets:,} tickets over {r.days} days, {a.daily_mean:,.0f} a day, "
        f"busiest {a.rate_per_h[busiest]:.1f} an hour at {format_clock(a.starts_s[busiest])}"
        + ("; some lines skipped or log problems (below)" if summary.skipped_lines or r.problems
           else ""),
        patience_lines(summary),
        good=not (summary.skipped_lines or r.problems),
    )  # fmt: skip
    page.note(
        "Every estimate comes with its 95% confidence interval (small grey type). Times in "
        "minutes, rates in tickets per hour, shares in percent. The fitted scenario "
        "(above) takes the means and families shown here."
    )
    # drawn and embedded inside the style: the PNGs are rendered in page.figure
    with plot_style():
        _fill(page, summary, dict(fit_figures(r, hall)))
    return page.write(out_dir)


def _fill(page: Page, summary: FitSummary, figures: dict[str, Figure]) -> None:
    """The sections of the fit page: tables from ``summary``, ``figures`` by id."""
    r = summary.result
    a = r.arrivals
    page.section(
        "Arrivals",
        f"Tickets taken per hour in each {a.interval_s / 60:g}-minute interval, mean over "
        f"the {a.days} days of the log; {a.daily_mean:,.0f} tickets a day on "
        f"average, day-to-day noise cv {a.day_noise_cv:.2f} (beyond Poisson). Customers who "
        "use a kiosk take no ticket and are not counted.",
    )
    page.figure(
        "arrivals", figures["arrivals"],
        "Tickets per hour by arrival interval: mean over the days with its 95% CI band "
        "(cut at 0).",
    )  # fmt: skip
    page.section("Service mix and customer segments", "Share of tickets, with 95% CIs.")
    page.table("mix", ["service", "share"], [[k, _share(v)] for k, v in r.mix.items()])
    page.table("segments", ["segment", "share"], [[k, _share(v)] for k, v in r.segments.items()])
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
            [k, f"{v.n:,}", Cell(minutes(v.mean_s, 2), minutes_range(*v.mean_ci95_s, 2)),
             _shown(v.cv, ".2f"), _left(v.chosen)]
            for k, v in r.services.items()
        ],
    )  # fmt: skip
    page.table(
        "service-families",
        ["service", "family", "mean (min)", "cv", "AIC", "KS p"],
        [
            [k, f.family + (" (chosen)" if f.family == v.chosen else ""),
             minutes(f.mean_s, 2), _shown(f.cv, ".2f"), _shown(f.aic, ",.1f"),
             _shown(f.ks_p, ".3f")]
            for k, v in r.services.items()
            for f in v.fits
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
            [g.id, " ".join(g.counters),
             Cell(f"{g.speed:.2f}", f"{_shown(g.speed_ci95[0], ',.2f')}–"
                                    f"{_shown(g.speed_ci95[1], ',.2f')}"),
             _left(", ".join(g.services)),
             _left(", ".join(g.segments) if g.segments else "all"),
             f"{g.served:,}"]
            for g in r.groups
        ],
        left=2,
    )  # fmt: skip
    header, rows = _staffing_rows(summary)
    page.table(
        "staffing",
        header,
        rows,
        caption="Counters staffed per group from each time a count changes, as recovered "
        "from the log.",
    )
    _patience(page, summary, figures)
    page.section(
        "Segment priorities",
        "Who is called first, read from the order of calls (0 first; equal numbers share a queue).",
    )
    page.table(
        "priorities",
        ["segment", "priority"],
        [[k, v] for k, v in sorted(r.priorities.items(), key=lambda kv: (kv[1], kv[0]))],
    )
    page.section("Arrivals by interval", "The numbers of the arrivals figure.")
    page.table(
        "arrivals",
        ["start", "tickets per hour", "95% CI (cut at 0)"],
        [
            [format_clock(start), f"{rate:.1f}",
             Cell(f"{max(lo, 0.0):,.1f}–{_shown(hi, ',.1f')}", cls="ci")]
            for start, rate, (lo, hi) in zip(a.starts_s, a.rate_per_h, a.rate_ci95, strict=True)
        ],
    )  # fmt: skip


def _patience(page: Page, summary: FitSummary, figures: dict[str, Figure]) -> None:
    """The patience section: per segment what the log identifies and the mean,
    then every family with what the log rules out."""
    patience = summary.result.patience
    page.section(
        "Patience",
        "How long customers wait before giving up. The log shows it only up to τ, the "
        "95th percentile of the waits to a call: S(τ) is the share still waiting at τ, the "
        "restricted mean the mean patience counted up to τ. Beyond τ a family's tail is a "
        "guess. A family is ruled out when the generalised gamma, which holds all four, fits "
        "the log better than chance allows (likelihood ratio, 5% level); the range of the "
        "mean holds every mean of a family not ruled out that the log cannot reject, whatever "
        "the family. A segment's mean is identified (yes) with at least 30 give-ups and S(τ) "
        "at most 50%; only a lower bound is known when nobody gave up.",
    )
    rows: list[list[CellLike]] = []
    for k, p in patience.items():
        s = p.survival
        value, qualifier = patience_mean(p)
        rows.append(
            [k, f"{p.gave_up:,}", f"{p.right:,}", minutes(s.known_until_s),
             Cell(f"{s.survival_at_tau:.2f}",
                  f"{s.survival_ci95[0]:.2f}–{s.survival_ci95[1]:.2f}"),
             Cell(minutes(s.restricted_mean_s), minutes_range(*s.restricted_mean_ci95_s)),
             _left(p.chosen or "none (nobody gave up)"), Cell(value, qualifier),
             _left("yes" if p.identified else "no")]
        )  # fmt: skip
    page.table(
        "patience",
        ["segment", "gave up", "served", "τ known until (min)", "S(τ)", "restricted mean (min)",
         "family", "mean (min)", "identified"],
        rows,
        caption="mean: the chosen family's, with every mean the log does not rule out, when "
        "identified; else that range alone (a huge upper end: the log cannot tell how long "
        "the most patient would wait), or a lower bound.",
    )  # fmt: skip
    page.table(
        "patience-families",
        ["segment", "family", "mean (min)", "cv", "ΔAIC", "LR vs gen. gamma", "ruled out",
         "means not ruled out (min)", "S(τ)"],
        [
            [k, f.family + (" (chosen)" if f.family == p.chosen else ""),
             Cell(minutes(f.mean_s), minutes_range(*f.mean_ci95_s)),
             _shown(f.cv, ".2f"),
             _shown(f.aic - min(g.aic for g in p.fits), ".1f"),
             _shown(f.lr_general, ".1f"),
             "no" if f.plausible else "yes",
             minutes_range(*f.mean_range_s) if f.mean_range_s is not None else "–",
             _shown(f.survival_at_tau, ".2f")]
            for k, p in patience.items()
            for f in p.fits
        ],
        left=2,
        caption="mean: each family's maximum-likelihood mean with its 95% CI if that family "
        "were right.",
    )  # fmt: skip
    page.figure(
        "patience", figures["patience"],
        "Share of customers still waiting after t minutes, per segment: from the log up to τ "
        "(solid), each fitted family dashed, S(τ) with its 95% CI at τ; grey: beyond what "
        "the log shows.",
    )  # fmt: skip
