"""Counter groups from a log: counters ``B1``, ``B2`` form group ``B``; each
group's speed relative to the busiest group with a 95% CI (joint two-way
fixed-effects fit, :mod:`sim.calibration.speeds`), its skills by frequency, a
segment it is reserved for, and its staffing as shifts and breaks
(:mod:`sim.calibration.staffing`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.calibration.service import GroupFit, group_of, segment_restriction
from sim.calibration.speeds import fit_speeds, relative_to
from sim.calibration.staffing import group_staffing


@dataclass(frozen=True)
class CounterFit:
    """Groups (those that served someone), and per counter its speed relative to
    the busiest group with a 95% CI; ``group_of_counter`` indexes
    ``group_log_cov``, the covariance of the groups' log speeds."""

    groups: tuple[GroupFit, ...]
    counter_speed: dict[str, float]
    counter_speed_ci95: dict[str, tuple[float, float]]
    group_of_counter: np.ndarray
    group_log_cov: np.ndarray

    def mean_variance(self, duration_s: np.ndarray, ctr: np.ndarray, speed: np.ndarray) -> float:
        """Variance a mean of ``duration_s × speed`` (tickets at counters ``ctr``,
        ``speed`` their group's) owes to the speed estimates (delta method)."""
        share = np.bincount(
            self.group_of_counter[ctr],
            weights=duration_s * speed / max(len(duration_s), 1),
            minlength=len(self.group_log_cov),
        )
        return float(share @ self.group_log_cov @ share)


def fit_counters(
    counters: list[str],
    duration_s: np.ndarray,
    svc: np.ndarray,
    seg: np.ndarray,
    ctr: np.ndarray,
    services: list[str],
    segments: list[str],
    seg_shares: dict[str, float],
    spans: list[tuple[str, int, float, float, float | None]],
    n_days: int,
    hours: tuple[float, float, float],
) -> CounterFit:
    """Fit the groups of ``counters`` from served tickets (``duration_s``,
    service ``svc``, segment ``seg`` and counter ``ctr`` indices) and counter
    ``spans`` ``(counter, day index, opened_s, closed_s, busy_since_s)``;
    ``hours`` are the fitted ``(open_s, close_s, interval_s)``."""
    # a regular expression per counter name, not per span (a log has thousands)
    group_by_name = {c: group_of(c) for c in {*counters, *(span[0] for span in spans)}}
    names = sorted({group_by_name[c] for c in counters})
    group_idx = np.array([names.index(group_by_name[c]) for c in counters], dtype=np.int64)
    by_group = fit_speeds(duration_s, svc, group_idx[ctr], len(services), len(names))
    by_counter = fit_speeds(duration_s, svc, ctr, len(services), len(counters))
    ref = int(np.argmax(by_group.served))
    members = [k for k in range(len(counters)) if group_idx[k] == ref]
    c_speed, c_ci = relative_to(by_counter, members)
    open_s, close_s, interval_s = hours
    out: list[GroupFit] = []
    for g, name in enumerate(names):
        mine_ctr = [k for k in range(len(counters)) if group_idx[k] == g]
        mine = np.isin(ctr, mine_ctr)
        n = int(mine.sum())
        skills = np.bincount(svc[mine], minlength=len(services))
        order = [services[i] for i in np.argsort(-skills, kind="stable") if skills[i] > 0]
        if not order:
            continue
        lo, hi = by_group.ci95[g]
        out.append(
            GroupFit(
                id=name,
                counters=tuple(counters[k] for k in mine_ctr),
                speed=round(float(by_group.speed[g]), 3),
                services=tuple(order),
                segments=segment_restriction(seg[mine], segments, seg_shares) if n else None,
                served=n,
                count=group_staffing(
                    [(d, o, c, b) for cn, d, o, c, b in spans if group_by_name[cn] == name],
                    n_days,
                    open_s,
                    close_s,
                    interval_s,
                ),
                speed_ci95=(float(lo), float(hi)),
            )
        )
    return CounterFit(
        groups=tuple(out),
        counter_speed={c: float(s) for c, s in zip(counters, c_speed, strict=True)},
        counter_speed_ci95={
            c: (float(c_ci[k, 0]), float(c_ci[k, 1]))
            if not math.isnan(c_ci[k, 0])
            else (math.nan, math.nan)
            for k, c in enumerate(counters)
        },
        group_of_counter=group_idx,
        group_log_cov=by_group.log_cov,
    )
