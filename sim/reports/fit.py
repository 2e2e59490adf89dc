"""What ``hallsim fit`` shows: the estimates with their 95% CIs as a JSON-ready
tree (:func:`fit_summary`) and plots (:func:`write_fit_plots`: arrival profile
with CI, QQ plots of the chosen service-time fits, patience survival curves).
Matplotlib (Agg) is imported only when plots are drawn."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration.arrivals import ArrivalFit
from sim.calibration.fit import FitResult
from sim.calibration.patience import PatienceFit
from sim.calibration.service import frozen
from sim.model.units import format_clock


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


def write_fit_plots(fit: FitResult, out_dir: Path) -> tuple[str, ...]:
    """Draw ``arrivals.png``, ``service_qq.png`` and ``patience.png`` into
    ``out_dir`` (created if missing) and return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    a = fit.arrivals
    hours = (np.array(a.starts_s) + a.interval_s / 2) / 3600
    lo, hi = (np.array([ci[i] for ci in a.rate_ci95]) for i in (0, 1))
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.fill_between(hours, lo, hi, alpha=0.3, label="95% CI")
    ax.plot(hours, a.rate_per_h, marker=".", label=f"mean over {a.days} days")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("tickets per hour")
    ax.set_title(f"Arrivals per {a.interval_s / 60:g} min (day noise cv {a.day_noise_cv:.2f})")
    ax.legend()
    fig.savefig(out_dir / "arrivals.png", dpi=110, bbox_inches="tight")
    plt.close(fig)

    n = max(1, len(fit.services))
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.2), squeeze=False)
    probs = np.arange(1, 100) / 100
    for ax, (name, s) in zip(axes[0], fit.services.items(), strict=False):
        sample = np.array(s.percentiles_s) / 60
        if s.chosen == "empirical":
            best = min(s.fits, key=lambda f: f.aic)
        else:
            best = next(f for f in s.fits if f.family == s.chosen)
        theory = frozen(best.family, best.mean_s, best.cv).ppf(probs) / 60
        ax.scatter(theory, sample, s=6)
        top = float(max(theory.max(), sample.max()))
        ax.plot([0, top], [0, top], color="grey", lw=0.8)
        ax.set_title(f"{name}: {s.chosen}", fontsize=9)
        ax.set_xlabel(f"{best.family} quantile (min)", fontsize=8)
        ax.set_ylabel("observed (min)", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "service_qq.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, p in fit.patience.items():
        tau = p.survival.known_until_s / 60
        curve = [pt for pt in p.survival.curve if pt[0] <= p.survival.known_until_s]
        t = np.array([pt[0] for pt in curve] + [p.survival.known_until_s]) / 60
        surv = np.array([pt[1] for pt in curve] + [curve[-1][1]])
        (line,) = ax.step(t, surv, where="post", label=f"{name} (log, to {tau:.0f} min)")
        if p.chosen is not None:
            grid = np.linspace(0, max(2 * tau, 1.0), 100)
            chosen = p.best
            sf = frozen(chosen.family, chosen.mean_s, chosen.cv).sf(grid * 60)
            ax.plot(grid, sf, ls="--", lw=0.8, color=line.get_color())
        ax.axvline(tau, ls=":", lw=0.6, color=line.get_color())
    ax.set_xlabel("minutes waited")
    ax.set_ylabel("still waiting")
    ax.set_title("Patience: from the log up to τ (dotted), fitted family beyond (dashed)")
    ax.legend(fontsize=8)
    fig.savefig(out_dir / "patience.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return ("arrivals.png", "service_qq.png", "patience.png")
