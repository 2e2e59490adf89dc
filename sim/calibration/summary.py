"""What ``hallsim fit`` produced, typed until the edge: the fit, the scenario
files it wrote, the lines it skipped, its report page and, with ``--by
weekday``, each weekday's arrivals (:class:`FitSummary`). ``to_json()`` gives
the documented ``--json`` body: seconds, per-hour rates and shares rounded to
4 decimals, unknown or infinite values as ``null``; its keys and their order
are pinned by ``tests/golden/fit-county.json``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from sim.calibration.arrivals import ArrivalFit, Share
from sim.calibration.censored import CensoredFit
from sim.calibration.fit import FitResult
from sim.calibration.patience import PatienceFit
from sim.calibration.remote import RemoteFit
from sim.calibration.service import GroupFit, ServiceFit
from sim.model.summary import Json
from sim.model.units import format_clock


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 4)


def _ci(ci: tuple[float, float] | None) -> list[float | None]:
    return [None, None] if ci is None else [_num(ci[0]), _num(ci[1])]


def arrivals_json(a: ArrivalFit) -> Json:
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


def _shares_json(shares: Mapping[str, Share]) -> Json:
    return {k: {"share": _num(v.share), "ci95": _ci(v.ci95)} for k, v in shares.items()}


def _service_json(s: ServiceFit) -> Json:
    return {
        "n": s.n,
        "mean_s": _num(s.mean_s),
        "ci95_s": _ci(s.mean_ci95_s),
        "cv": _num(s.cv),
        "chosen": s.chosen,
        "fits": [
            {"family": f.family, "mean_s": _num(f.mean_s), "cv": _num(f.cv),
             "aic": _num(f.aic), "ks_p": _num(f.ks_p)}
            for f in s.fits
        ],
    }  # fmt: skip


def _group_json(g: GroupFit) -> Json:
    return {
        "id": g.id,
        "counters": list(g.counters),
        "speed": g.speed,
        "speed_ci95": _ci(g.speed_ci95),
        "services": list(g.services),
        "segments": list(g.segments) if g.segments else None,
        "served": g.served,
        "count": {format_clock(s): c for s, c in g.count},
    }


def _family_json(f: CensoredFit, low_aic: float) -> Json:
    return {
        "family": f.family,
        "mean_s": _num(f.mean_s),
        "ci95_s": _ci(f.mean_ci95_s),
        "cv": _num(f.cv),
        "aic": _num(f.aic),
        "delta_aic": _num(f.aic - low_aic),
        "lr_general": _num(f.lr_general),
        "plausible": f.plausible,
        "mean_range_s": _ci(f.mean_range_s),
        "survival_at_known_until": _num(f.survival_at_tau),
    }


def patience_json(p: PatienceFit) -> Json:
    """One segment's patience: what the log identifies (the survival curve up to
    ``known_until_s``, its restricted mean), the parametric fits with which
    families and means the log rules out, the chosen family and the range of
    means not ruled out (a lower bound when nobody gave up)."""
    s = p.survival
    low = min((f.aic for f in p.fits), default=math.nan)
    chosen = p.best if p.chosen is not None else None
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
        "ci95_s": _ci(chosen.mean_ci95_s if chosen else None),
        "mean_range_s": _ci(p.mean_range_s),
        "mean_lower_bound_s": _num(s.mean_lower_bound_s),
        "fits": [_family_json(f, low) for f in p.fits],
    }


def remote_json(r: RemoteFit) -> Json:
    """Remote tickets: per service the share taken remotely (95% Wilson CI), how
    many holders checked in (exact travel times) and came too late (censored),
    and the travel time: the chosen family's mean with its 95% CI, and every
    family's fit."""
    travel = r.travel
    low = min((f.aic for f in r.fits), default=math.nan)
    return {
        "tickets": r.tickets,
        "share": _shares_json(r.share),
        "checked_in": r.checked_in,
        "censored": r.censored,
        "travel": {
            "chosen": r.chosen,
            "mean_s": _num(travel.mean_s) if travel else None,
            "ci95_s": _ci(travel.mean_ci95_s if travel else None),
            "cv": _num(travel.cv) if travel else None,
            "fits": [_family_json(f, low) for f in r.fits],
        },
    }


def fit_json(fit: FitResult) -> Json:
    """Every estimate of ``fit``, seconds and per-hour rates, with 95% CIs
    (``remote`` only for a log with remote tickets)."""
    a = fit.arrivals
    body: dict[str, object] = {
        "days": fit.days,
        "tickets": fit.tickets,
        "timezone": fit.timezone,
        "abandon_events": "exact" if fit.exact_abandons else "no_show",
        "abandon_events_from": fit.abandon_events_from,
        "open": format_clock(a.open_s),
        "close": format_clock(a.close_s),
        "interval_s": a.interval_s,
        "arrivals": arrivals_json(a),
        "mix": _shares_json(fit.mix),
        "segments": _shares_json(fit.segments),
        "services": {k: _service_json(s) for k, s in fit.services.items()},
        "counter_speed": {k: _num(v) for k, v in fit.counter_speed.items()},
        "counter_speed_ci95": {k: _ci(v) for k, v in fit.counter_speed_ci95.items()},
        "counter_groups": [_group_json(g) for g in fit.groups],
        "patience": {k: patience_json(p) for k, p in fit.patience.items()},
        "priorities": fit.priorities,
        "overtakes": fit.overtakes,
        "no_show_delay_s": _num(fit.no_show_delay_s),
        "problems": fit.problems,
    }
    if fit.remote is not None:
        body["remote"] = remote_json(fit.remote)
    return body


@dataclass(frozen=True)
class WeekdayFit:
    """One weekday's scenario (``--by weekday``): where it was written and the
    arrivals fitted from that weekday's days alone."""

    out: str
    arrivals: ArrivalFit


@dataclass(frozen=True)
class FitSummary:
    """``hallsim fit``'s outcome: the estimates, the scenario written (``out``),
    lines skipped by reason (``--lenient``), report pages written and, when
    asked for (not None), the per-weekday scenarios."""

    result: FitResult
    out: str
    skipped_lines: Mapping[str, int] = field(default_factory=dict)
    plots: tuple[str, ...] = ()
    by_weekday: Mapping[str, WeekdayFit] | None = None

    def to_json(self) -> Json:
        body: dict[str, object] = fit_json(self.result) | {
            "skipped_lines": dict(self.skipped_lines),
            "out": self.out,
            "plots": list(self.plots),
        }
        if self.by_weekday is not None:
            body["by_weekday"] = {
                wd: {"out": w.out} | arrivals_json(w.arrivals) for wd, w in self.by_weekday.items()
            }
        return body
