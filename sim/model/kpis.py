"""KPIs: pure functions of one replication's records (plus the scenario), and
their aggregation over replications (mean and Student-t 95% interval).

Definitions (counter customers, i.e. ticket holders; kiosk users are reported
apart): ``wait_*`` are over customers whose service started; ``service_level``
is the share of arrivals (balked and abandoned included, as misses) called
within ``target.wait``; ``abandon_rate`` = abandoned / arrivals; ``queue_mean``
is the time-average number of customers waiting in the hall (present, not yet
called: a remote ticket's holder from check-in); ``utilisation`` is busy time
over staffed time (calling a no-show, or a remote ticket in vain, counts as
busy). Arrival-based KPIs count customers who arrived in the window; time-based
ones integrate over it. Waits run from the ticket, remote or not
(what a ticket system measures); the KPIs of remote tickets alone, waits in the
hall among them, are in ``remote`` (:mod:`sim.model.remote`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.model.calendar import intervals
from sim.model.records import ABANDONED, BALKED, OUTCOMES, SERVED, Records
from sim.model.remote import REMOTE_KEYS, remote_kpis
from sim.model.scenario import Scenario
from sim.model.summary import IntervalStats, KpiSummary, summarise_tables
from sim.model.units import format_clock

CURVE_STEP_S = 60.0
WAIT_BIN_S = 60.0
WAIT_BINS_S = np.concatenate([np.arange(0.0, 7200.0 + 1, WAIT_BIN_S), [np.inf]])

Kpis = dict[str, float]


@dataclass(frozen=True)
class ReplicationKpis:
    """One replication's KPIs, plus what the report's plots need."""

    overall: Kpis
    by_segment: dict[str, Kpis]
    by_service: dict[str, Kpis]
    by_interval: list[Kpis]
    kiosk: Kpis
    curve_t_s: np.ndarray = field(repr=False)  # grid of the queue curve
    queue_curve: np.ndarray = field(repr=False)  # customers waiting at each grid time
    wait_hist: dict[str, np.ndarray] = field(repr=False)  # per segment, over WAIT_BINS_S
    remote: Kpis | None = None  # remote tickets' KPIs (sim.model.remote); None without them


class _StepIntegral:
    """The number of overlapping half-open spans ``[start, end)`` (customers
    waiting, counters busy) as a step function of time: its integral, maximum
    and values over any window, from separately sorted starts and ends."""

    def __init__(self, start_s: np.ndarray, end_s: np.ndarray) -> None:
        keep = end_s > start_s
        # timsort: starts and ends come nearly in order (arrivals, calls), which it
        # sorts in a few passes; the default sort takes ten times as long on them
        self.start = np.sort(start_s[keep], kind="stable")
        self.end = np.sort(end_s[keep], kind="stable")

    def integral(self, lo_s: float, hi_s: float) -> float:
        """∫ count dt over ``[lo_s, hi_s]`` (count × seconds); exactly 0 when no
        span overlaps the window, never below 0."""
        # spans overlapping the window: started before its end, less those ended by its start
        overlapping = np.searchsorted(self.start, hi_s, "left") - np.searchsorted(
            self.end, lo_s, "right"
        )
        if overlapping <= 0:  # the sums below cancel only up to float noise (-1.5e-13)
            return 0.0
        inside = np.minimum(self.end, hi_s).sum() - np.maximum(self.start, lo_s).sum()
        # spans wholly before or after the window contribute their negative overlap; undo it
        before = self.end <= lo_s
        after = self.start >= hi_s
        inside -= (np.minimum(self.end[before], hi_s) - lo_s).sum() if before.any() else 0.0
        inside -= (hi_s - np.maximum(self.start[after], lo_s)).sum() if after.any() else 0.0
        return max(0.0, float(inside))

    def at(self, t_s: np.ndarray) -> np.ndarray:
        """The count at each time in ``t_s``."""
        started = np.searchsorted(self.start, t_s, side="right")
        ended = np.searchsorted(self.end, t_s, side="right")
        return (started - ended).astype(float)

    def max(self, lo_s: float, hi_s: float) -> float:
        """The largest count in ``[lo_s, hi_s)``: at ``lo_s`` or just after a start."""
        first, last = np.searchsorted(self.start, [lo_s, hi_s], side="left")
        best = float(self.at(np.array([lo_s]))[0])
        if last > first:
            best = max(best, float(_peak(self.start[first:last], self.end, int(first))))
        return best


_PEAK_BLOCK = 16


def _peak(starts: np.ndarray, ends: np.ndarray, first: int) -> int:
    """The largest count just after a start in ``starts`` (``self.start[first:]``),
    ``max(first + i + 1 - #(ends <= starts[i]))``, without a search for every start:
    the count at each block's first start is exact, and the starts after it in the
    block add at most one each, so only the blocks that could top the best first
    start are searched start by start (the benchmark's 199,208 customers: 13 blocks
    of 7,477)."""
    heads = np.arange(0, len(starts), _PEAK_BLOCK)
    level = heads + (first + 1) - np.searchsorted(ends, starts[heads], "right")
    best = int(level.max())
    open_blocks = heads[level + (_PEAK_BLOCK - 1) > best]
    inside = (open_blocks[:, None] + np.arange(1, _PEAK_BLOCK)).ravel()
    inside = inside[inside < len(starts)]
    if len(inside):
        levels = inside + (first + 1) - np.searchsorted(ends, starts[inside], "right")
        best = max(best, int(levels.max()))
    return best


def _percentiles(values: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Linearly interpolated quantiles, as ``np.percentile``'s default; NaN when
    empty. (``np.percentile`` imports ``numpy.ma``, 50 ms of start-up, for this;
    and only the order statistics it reads need to be in place, not a full sort.)"""
    if not len(values):
        return [math.nan] * len(qs)
    last = len(values) - 1
    bounds = []
    for q in qs:
        pos = q * last
        lo = int(pos)
        bounds.append((pos, lo, min(lo + 1, last)))
    ordered = np.partition(values, sorted({i for _, lo, hi in bounds for i in (lo, hi)}))
    return [float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)) for pos, lo, hi in bounds]


def _wait_histogram(waits_s: np.ndarray) -> np.ndarray:
    """``np.histogram(waits_s, WAIT_BINS_S)[0]`` without its sort or a search: each
    wait's bin is ``floor(wait / 60 s)``, which the division gets exactly at the
    edges: ``60 k / 60`` is ``k``, and a wait below ``60 k`` lies at least one unit
    in the last place of ``60 k`` (32 or 64 of ``k``'s) below it, so divided by 60
    it stays more than half of ``k``'s unit below ``k`` and never rounds up to it.
    Waits from 2 h on fall in the last, closed bin; negative or NaN ones nowhere."""
    n_bins = len(WAIT_BINS_S) - 1
    kept = waits_s[waits_s >= 0.0]
    return np.bincount(np.minimum(kept / WAIT_BIN_S, n_bins - 1).astype(np.intp), minlength=n_bins)


class _Outcomes:
    """What the arrival KPIs of any set of customers read, made once per replication:
    each customer's outcome, whether served, and wait (called - arrival)."""

    def __init__(self, r: Records) -> None:
        self.outcome = r.outcome
        self.served = r.outcome == SERVED
        self.wait_s = r.called_s - r.arrival_s


def _arrival_kpis(o: _Outcomes, mask: np.ndarray, target_s: float) -> Kpis:
    counts = np.bincount(o.outcome[mask], minlength=len(OUTCOMES))
    served, abandoned, balked = int(counts[SERVED]), int(counts[ABANDONED]), int(counts[BALKED])
    waits = o.wait_s[mask & o.served]
    n = int(counts.sum())
    nan = math.nan
    p50, p90, p95 = _percentiles(waits, (0.5, 0.9, 0.95))
    return {
        "arrivals": float(n),
        "served": float(served),
        "abandoned": float(abandoned),
        "balked": float(balked),
        "unserved": float(n - served - abandoned - balked),
        "wait_mean_s": float(waits.mean()) if len(waits) else nan,
        "wait_p50_s": float(p50),
        "wait_p90_s": float(p90),
        "wait_p95_s": float(p95),
        "service_level": float(np.count_nonzero(waits <= target_s) / n) if n else nan,
        "abandon_rate": abandoned / n if n else nan,
    }


def _time_kpis(
    queue: _StepIntegral, busy: _StepIntegral, staffed: _StepIntegral, lo_s: float, hi_s: float
) -> Kpis:
    staffed_s = staffed.integral(lo_s, hi_s)
    return {
        "queue_mean": queue.integral(lo_s, hi_s) / (hi_s - lo_s),
        "queue_max": queue.max(lo_s, hi_s),
        "utilisation": busy.integral(lo_s, hi_s) / staffed_s if staffed_s > 0 else math.nan,
    }


def replication_kpis(r: Records, scn: Scenario) -> ReplicationKpis:
    """All KPIs of one replication (see the module docstring for definitions)."""
    lo_s, hi_s = scn.stats_start_s, scn.end_s
    target_s = scn.target.wait
    no_show_delay_s = scn.no_show_delay
    counter_cust = ~r.kiosk
    in_window = counter_cust & (r.arrival_s >= lo_s) & (r.arrival_s < hi_s)
    wait_end = np.fmin(r.called_s, r.left_s)
    busy_mask = (r.counter >= 0) & counter_cust
    if r.early_counter is not None:  # and those whose remote ticket was called in vain
        busy_mask |= (r.early_counter >= 0) & counter_cust
    in_hall_s = r.hall_s
    counters = ~r.counter_is_kiosk
    span_mask = counters[r.span_counter] if len(r.span_counter) else np.zeros(0, dtype=bool)
    staffed = _StepIntegral(r.span_opened_s[span_mask], r.span_closed_s[span_mask])

    def queue_of(mask: np.ndarray) -> _StepIntegral:
        return _StepIntegral(in_hall_s[mask], wait_end[mask])

    def busy_of(mask: np.ndarray) -> _StepIntegral:
        if r.early_called_s is None or r.early_counter is None:
            return _StepIntegral(r.called_s[mask], r.ended_s[mask])
        # a call in vain of a remote ticket its holder came back to keeps the counter too
        # (never-called tickets' NaN spans drop out of the integral)
        vain = mask & (r.early_counter >= 0) & (r.early_called_s != r.called_s)
        vain_s = r.early_called_s[vain]
        return _StepIntegral(
            np.concatenate([r.called_s[mask], vain_s]),
            np.concatenate([r.ended_s[mask], vain_s + no_show_delay_s]),
        )

    queue_all, busy_all = queue_of(counter_cust), busy_of(busy_mask)

    outcomes = _Outcomes(r)

    def kpis(arrived: np.ndarray, queue: _StepIntegral, busy: _StepIntegral) -> Kpis:
        return _arrival_kpis(outcomes, arrived, target_s) | _time_kpis(
            queue, busy, staffed, lo_s, hi_s
        )

    overall = kpis(in_window, queue_all, busy_all)

    def subset_kpis(mask: np.ndarray) -> Kpis:
        if mask.all():  # the only service or segment: everyone's, computed once
            return dict(overall)
        return kpis(in_window & mask, queue_of(counter_cust & mask), busy_of(busy_mask & mask))

    segment_masks = [r.segment == i for i in range(len(r.segments))]
    by_segment = {name: subset_kpis(m) for name, m in zip(r.segments, segment_masks, strict=True)}
    by_service = {name: subset_kpis(r.service == i) for i, name in enumerate(r.services)}
    by_interval: list[Kpis] = []
    for start_s, end_s in intervals(scn):
        mask = counter_cust & (r.arrival_s >= start_s) & (r.arrival_s < end_s)
        by_interval.append(
            {"start_s": start_s}
            | _arrival_kpis(outcomes, mask, target_s)
            | _time_kpis(queue_all, busy_all, staffed, start_s, end_s)
        )

    kiosk_in = r.kiosk & (r.arrival_s >= lo_s) & (r.arrival_s < hi_s)
    kiosk_spans = ~span_mask
    kiosk_kpis = _arrival_kpis(outcomes, kiosk_in, target_s) | _time_kpis(
        queue_of(r.kiosk),
        busy_of((r.counter >= 0) & r.kiosk),
        _StepIntegral(r.span_opened_s[kiosk_spans], r.span_closed_s[kiosk_spans]),
        lo_s,
        hi_s,
    )

    grid = np.arange(lo_s, hi_s + 1e-9, CURVE_STEP_S)
    served = in_window & outcomes.served
    hist = {
        name: _wait_histogram(outcomes.wait_s[served & m])
        for name, m in zip(r.segments, segment_masks, strict=True)
    }
    return ReplicationKpis(
        overall,
        by_segment,
        by_service,
        by_interval,
        kiosk_kpis,
        grid,
        queue_all.at(grid),
        hist,
        remote_kpis(r, lo_s, hi_s) if r.travel_s is not None else None,
    )


def interval_service_levels(r: Records, scn: Scenario) -> np.ndarray:
    """Service level per interval (NaN without arrivals): the same numbers as
    ``replication_kpis(...).by_interval[i]["service_level"]``, computed alone,
    for staffing's many evaluations."""
    bounds = intervals(scn)
    edges = np.array([start for start, _ in bounds] + [bounds[-1][1]]) if bounds else np.zeros(1)
    counter_cust = ~r.kiosk
    which = np.searchsorted(edges, r.arrival_s[counter_cust], side="right") - 1
    inside = (which >= 0) & (which < len(bounds))
    on_time = (r.outcome[counter_cust] == SERVED) & (
        r.called_s[counter_cust] - r.arrival_s[counter_cust] <= scn.target.wait
    )
    arrivals = np.bincount(which[inside], minlength=len(bounds)).astype(float)
    hits = np.bincount(which[inside], weights=on_time[inside], minlength=len(bounds))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(arrivals > 0, hits / arrivals, np.nan)


def aggregate(reps: Sequence[ReplicationKpis]) -> KpiSummary:
    """Each KPI's mean and 95% CI over replications."""
    first = reps[0]
    return KpiSummary(
        overall=summarise_tables([rep.overall for rep in reps]),
        by_segment={
            name: summarise_tables([rep.by_segment[name] for rep in reps])
            for name in first.by_segment
        },
        by_service={
            name: summarise_tables([rep.by_service[name] for rep in reps])
            for name in first.by_service
        },
        by_interval=[
            IntervalStats(
                format_clock(row["start_s"]), summarise_tables([rep.by_interval[i] for rep in reps])
            )
            for i, row in enumerate(first.by_interval)
        ],
        kiosk=summarise_tables([rep.kiosk for rep in reps]),
        remote=summarise_tables([rep.remote for rep in reps if rep.remote is not None], REMOTE_KEYS)
        if first.remote is not None
        else None,
    )
