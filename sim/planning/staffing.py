"""Staffing to the wait target: what both methods share, and the Erlang plan.

The counter groups marked ``resize`` are staffed per interval of the day;
:class:`Plan` holds their counts. The Erlang plan is the textbook
workforce-management answer: offered load per interval with the usual lag of
one mean service time, the smallest count meeting the service level by Erlang
C (Erlang A when every segment has exponential-like patience), minus what the
fixed groups staff, then made a plan the hall can work to by
:func:`sim.planning.smooth.cheapest_counts`. The simulation-based plan is in
:mod:`sim.planning.simplan`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.calendar import counter_instances, intervals, step_value
from sim.model.scenario import Scenario, ScenarioError
from sim.planning import erlang
from sim.planning.grid import Counts, block_starts, grid_blocks
from sim.planning.smooth import PlanRules, cheapest_counts


@dataclass(frozen=True)
class Plan:
    """Counts of the resized groups per interval, and how they were found."""

    method: str
    groups: tuple[int, ...]  # indices into scenario.counters
    counts: Counts
    evaluations: int = 0  # distinct plans simulated while searching
    replications: int = 0  # simulated days while searching, all plans
    rounds: int = 0
    need: Counts = ()  # the requirement the search ended with (empty for Erlang)

    def staff_hours(self, scn: Scenario) -> float:
        """Counter-hours the resized groups are staffed over the day."""
        return sum(
            n * (end - start) / 3600.0
            for row in self.counts
            for n, (start, end) in zip(row, intervals(scn), strict=True)
        )


def resized_groups(scn: Scenario) -> tuple[int, ...]:
    """The groups staffing may resize: those with ``resize``, or the only group."""
    marked = tuple(i for i, g in enumerate(scn.counters) if g.resize is not None)
    if marked:
        return marked
    if len(scn.counters) == 1:
        return (0,)
    raise ScenarioError(
        "counters: mark the groups staffing may resize with `resize: {min: 1, max: 20}`"
    )


def group_bounds(scn: Scenario, g: int) -> tuple[int, int]:
    """The fewest and most counters group ``g`` may have."""
    resize = scn.counters[g].resize
    return (resize.min, resize.max) if resize is not None else (1, 50)


def _counter_rate_and_service(scn: Scenario) -> tuple[float, float]:
    """Share of arrivals that go to counters, and their mean service time (s)."""
    kiosk = {name: k.share for k in scn.kiosks for name in k.services}
    weights = {
        name: share * (1.0 - kiosk.get(name, 0.0)) for name, share in scn.arrivals.mix.items()
    }
    total = math.fsum(weights.values())
    if total <= 0:
        return 0.0, 0.0
    mean_s = math.fsum(w * scn.services[n].service_time.mean_s for n, w in weights.items())
    return total, mean_s / total


def _mean_patience_s(scn: Scenario) -> float | None:
    """Share-weighted mean patience, or None if some customers never give up."""
    segs = [s for s in scn.segments.values() if s.share > 0]
    if any(s.patience is None for s in segs):
        return None
    return math.fsum(s.share * s.patience.mean_s for s in segs if s.patience is not None)


def offered_load(scn: Scenario) -> tuple[np.ndarray, np.ndarray, float]:
    """Per interval: counter arrivals per hour, offered load (Erlangs, lagged by
    one mean service time), and the mean service time (s)."""
    share, mean_s = _counter_rate_and_service(scn)
    steps = scn.arrivals.rate_per_hour
    scale = scn.arrivals.scale * share

    def rate_per_s(t: float) -> float:
        return step_value(steps, t) * scale / 3600.0 if scn.open <= t < scn.close else 0.0

    rates, loads = [], []
    for start, end in intervals(scn):
        grid = np.linspace(start, end, 31)[:-1] + (end - start) / 60
        rates.append(float(np.mean([rate_per_s(t) for t in grid])) * 3600)
        loads.append(float(np.mean([rate_per_s(t - mean_s) for t in grid])) * mean_s)
    return np.asarray(rates), np.asarray(loads), mean_s


def _fixed_staffed(scn: Scenario, resized: Sequence[int]) -> np.ndarray:
    """Counters of the other groups staffed at the middle of each interval."""
    fixed = [c for c in counter_instances(scn) if not c.kiosk and c.group not in resized]
    mids = [(start + end) / 2 for start, end in intervals(scn)]
    return np.asarray([sum(any(a <= mid < b for a, b in c.windows) for c in fixed) for mid in mids])


def erlang_need(scn: Scenario) -> list[list[int]]:
    """Per resized group and interval, the counters Erlang C/A says the group
    needs (the total need less the fixed groups, split by the groups' peaks),
    within the group's bounds."""
    groups = resized_groups(scn)
    _, loads, mean_s = offered_load(scn)
    patience_s = _mean_patience_s(scn)
    fixed = _fixed_staffed(scn, groups)
    need = []
    for load, other in zip(loads, fixed, strict=True):
        total = 0
        if load > 0:
            total = erlang.servers_for_service_level(
                load / mean_s,
                mean_s,
                scn.target.wait,
                scn.target.service_level,
                patience_mean_s=patience_s,
            )
        need.append(max(0, total - int(other)))
    peaks = np.array([max(n for _, n in scn.counters[g].count) or 1.0 for g in groups])
    weights = peaks / peaks.sum()
    out = []
    for g, weight in zip(groups, weights, strict=True):
        lo, hi = group_bounds(scn, g)
        out.append([min(hi, max(lo, math.ceil(n * weight))) for n in need])
    return out


def smooth_counts(scn: Scenario, need: Sequence[Sequence[int]], rules: PlanRules) -> Counts:
    """The cheapest counts of the resized groups covering ``need`` (per group and
    interval, within the groups' bounds) that keep ``rules``."""
    spans = intervals(scn)
    hours = [(end - start) / 3600.0 for start, end in spans]
    starts = block_starts(grid_blocks(scn, rules.step_s))
    block = rules.block_intervals(scn.interval)
    return tuple(
        cheapest_counts(row, hours, group_bounds(scn, g), block, rules.max_change, starts)
        for g, row in zip(resized_groups(scn), need, strict=True)
    )


def erlang_plan(scn: Scenario, rules: PlanRules | None = None) -> Plan:
    """The Erlang C/A plan (see the module docstring), keeping ``rules``."""
    return Plan(
        "erlang", resized_groups(scn), smooth_counts(scn, erlang_need(scn), rules or PlanRules())
    )
