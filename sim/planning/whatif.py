"""What-if analysis: scenarios compared under common random numbers, and a
scenario swept over a grid of values. Pure: results are typed (turned into
JSON by ``to_json()``), and every scenario's replications run as one batch on
an executor.

Common random numbers: replication ``r`` of every scenario uses the streams of
``(seed, r)``, so where two scenarios' demand is the same their customers are
too, and the per-replication difference of a KPI has far less noise than the
difference of two independent means. Differences are always "other − first".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.model.kpis import Kpis, ReplicationKpis, aggregate
from sim.model.remote import REMOTE_KEYS
from sim.model.scenario import Scenario, ScenarioError
from sim.model.summary import (
    KPI_KEYS,
    IntervalStats,
    Json,
    KpiStats,
    KpiSummary,
    Stat,
    Target,
    below_target,
    stats_json,
    summarise,
)
from sim.model.units import format_clock
from sim.planning.cost import StaffCost, staff_cost
from sim.planning.overrides import SET_HINT, Scalar, apply_path, apply_sets, parse_set
from sim.runs.executor import Executor
from sim.runs.experiment import Job, run_job, target_of

# the settings by path are sim.planning.overrides'; importers of this module get them here too
__all__ = [
    "CI", "Assignment", "CompareResult", "Comparison", "Difference", "IntervalDifferences",
    "Scalar", "ScenarioResult", "SweepPoint", "apply_path", "apply_sets", "compare",
    "paired_difference", "parse_set", "sweep", "welch_ci95",
]  # fmt: skip
Assignment = tuple[str, Sequence[Scalar]]  # a path and its values


def _run_batch(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    executor: Executor,
    on_done: Callable[[int], None] | None,
) -> list[list[ReplicationKpis]]:
    """Replications ``0..replications-1`` of every scenario as one batch of jobs;
    the result lists them per scenario, in replication order."""
    if replications < 1:
        raise ValueError(f"replications must be at least 1, not {replications}")
    jobs = [Job(scn, seed, r) for scn in scenarios for r in range(replications)]
    results: list[ReplicationKpis | None] = [None] * len(jobs)
    for index, result in executor.map(run_job, jobs):
        results[index] = result
        if on_done is not None:
            on_done(index)
    done = [r for r in results if r is not None]
    if len(done) != len(jobs):
        raise RuntimeError(f"the executor returned {len(done)} of {len(jobs)} replications")
    return [done[k * replications : (k + 1) * replications] for k in range(len(scenarios))]


# --- compare ---------------------------------------------------------------------------------


CI = tuple[float | None, float | None]


@dataclass(frozen=True, slots=True)
class Difference:
    """``other − first`` of a KPI, replication by replication: the paired
    statistic (Student-t over replications where both have the KPI) and
    ``welch_ci95``, the wider interval treating the two samples as independent."""

    paired: Stat
    welch_ci95: CI

    def to_json(self) -> Json:
        return self.paired.to_json() | {"welch_ci95": list(self.welch_ci95)}


Differences = dict[str, Difference]  # KPI key -> difference


def _differences_json(diffs: Differences) -> Json:
    return {key: d.to_json() for key, d in diffs.items()}


@dataclass(frozen=True, slots=True)
class IntervalDifferences:
    start: str  # ``09:30``
    kpis: Differences

    def to_json(self) -> Json:
        return {"start": self.start} | _differences_json(self.kpis)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """One compared scenario: its label, hall, target, KPIs and what its
    counters cost."""

    label: str
    scenario: str
    target: Target
    kpis: KpiSummary
    cost: StaffCost

    def to_json(self) -> Json:
        head = {"label": self.label, "scenario": self.scenario, "target": self.target.to_json()}
        return head | {"staffing": self.cost.to_json()} | self.kpis.to_json()


@dataclass(frozen=True, slots=True)
class Comparison:
    """Each later scenario's paired differences against the first (``against``)."""

    label: str
    against: str
    overall: Differences
    by_interval: list[IntervalDifferences]  # empty unless the intervals match
    # of the remote-ticket KPIs (sim.model.remote), when both scenarios have remote tickets
    remote: Differences | None = None

    def to_json(self) -> Json:
        out = {
            "label": self.label,
            "against": self.against,
            "overall": _differences_json(self.overall),
            "by_interval": [row.to_json() for row in self.by_interval],
        }
        if self.remote is not None:  # absent without remote tickets: the JSON is as before
            out["remote"] = _differences_json(self.remote)
        return out


@dataclass(frozen=True, slots=True)
class CompareResult:
    """What ``hallsim compare`` reports."""

    replications: int
    seed: int
    scenarios: list[ScenarioResult]
    differences: list[Comparison]

    def to_json(self) -> Json:
        return {
            "replications": self.replications,
            "seed": self.seed,
            "scenarios": [s.to_json() for s in self.scenarios],
            "differences": [d.to_json() for d in self.differences],
        }


def welch_ci95(first: Sequence[float], other: Sequence[float]) -> CI:
    """The unpaired (Welch) 95% interval of ``mean(other) − mean(first)``, NaNs
    left out; ``(None, None)`` with fewer than two values on either side."""
    a = np.asarray(first, dtype=float)
    b = np.asarray(other, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return (None, None)
    diff = float(b.mean() - a.mean())
    var_a, var_b = float(a.var(ddof=1)) / len(a), float(b.var(ddof=1)) / len(b)
    se2 = var_a + var_b
    if se2 == 0.0:
        return (diff, diff)
    df = se2**2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    from scipy.special import stdtrit  # Welch's df is fractional

    half = float(stdtrit(df, 0.975)) * math.sqrt(se2)
    return (diff - half, diff + half)


def paired_difference(first: Sequence[float], other: Sequence[float]) -> Difference:
    """``other − first`` replication by replication (see :class:`Difference`)."""
    a = np.asarray(first, dtype=float)
    b = np.asarray(other, dtype=float)
    both = ~(np.isnan(a) | np.isnan(b))
    diff = (b - a)[both]
    # equal KPIs computed along different paths differ by float noise (-2.6e-13): 0
    scale = np.maximum(1.0, np.maximum(np.abs(a[both]), np.abs(b[both])))
    diff[np.abs(diff) <= 1e-9 * scale] = 0.0
    return Difference(summarise(diff.tolist()), welch_ci95(first, other))


def _differences(
    first: Sequence[Kpis], other: Sequence[Kpis], keys: Sequence[str] = KPI_KEYS
) -> Differences:
    return {
        key: paired_difference([t[key] for t in first], [t[key] for t in other]) for key in keys
    }


def _remote_differences(
    first: Sequence[ReplicationKpis], other: Sequence[ReplicationKpis]
) -> Differences | None:
    """The remote-ticket KPIs' differences, when both scenarios have remote tickets."""
    a = [rep.remote for rep in first if rep.remote is not None]
    b = [rep.remote for rep in other if rep.remote is not None]
    if len(a) != len(first) or len(b) != len(other):
        return None
    return _differences(a, b, REMOTE_KEYS)


def compare(
    scenarios: Sequence[Scenario],
    replications: int,
    seed: int,
    executor: Executor,
    *,
    labels: Sequence[str] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> CompareResult:
    """Run every scenario for ``replications`` replications (one batch, common
    random numbers): per scenario its KPIs, per later scenario the paired
    difference against the first of every overall and by-interval KPI
    (by-interval only when the intervals match). ``labels`` name the scenarios
    (default: their halls); ``on_done(job)`` is called as each of the
    ``len(scenarios) * replications`` jobs finishes."""
    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    names = list(labels) if labels is not None else [s.hall for s in scenarios]
    if len(names) != len(scenarios):
        raise ValueError(f"{len(names)} labels for {len(scenarios)} scenarios")
    runs = _run_batch(scenarios, replications, seed, executor, on_done)
    base = runs[0]
    starts = [row["start_s"] for row in base[0].by_interval]
    differences = []
    for name, reps in zip(names[1:], runs[1:], strict=True):
        by_interval: list[IntervalDifferences] = []
        if [row["start_s"] for row in reps[0].by_interval] == starts:
            by_interval = [
                IntervalDifferences(
                    format_clock(start_s),
                    _differences(
                        [rep.by_interval[i] for rep in base], [r.by_interval[i] for r in reps]
                    ),
                )
                for i, start_s in enumerate(starts)
            ]
        overall = _differences([rep.overall for rep in base], [r.overall for r in reps])
        remote = _remote_differences(base, reps)
        differences.append(Comparison(name, names[0], overall, by_interval, remote))
    return CompareResult(
        replications,
        seed,
        [
            ScenarioResult(name, scn.hall, target_of(scn), aggregate(reps), staff_cost(scn))
            for name, scn, reps in zip(names, scenarios, runs, strict=True)
        ],
        differences,
    )


# --- sweep -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SweepPoint:
    """One point of a sweep grid: the values set (path -> value), the KPIs
    there and what its counters cost."""

    values: dict[str, Scalar]
    target: Target
    overall: KpiStats
    by_interval: list[IntervalStats]
    cost: StaffCost
    by_segment: dict[str, KpiStats] = field(default_factory=dict)  # not in the JSON
    remote: KpiStats | None = None  # remote-ticket KPIs (sim.model.remote), when it has them

    def below_target(self) -> list[IntervalStats]:
        """The intervals whose mean service level is below the target."""
        return below_target(self.by_interval, self.target)

    def to_json(self) -> Json:
        out = {
            "values": dict(self.values),
            "target": self.target.to_json(),
            "intervals_below_target": [row.start for row in self.below_target()],
            "staffing": self.cost.to_json(),
            "overall": stats_json(self.overall),
            "by_interval": [row.to_json() for row in self.by_interval],
        }
        if self.remote is not None:  # absent without remote tickets: the JSON is as before
            out["remote"] = stats_json(self.remote)
        return out


def sweep(
    scn: Scenario,
    sets: Sequence[Assignment],
    replications: int,
    seed: int,
    executor: Executor,
    *,
    on_done: Callable[[int], None] | None = None,
) -> list[SweepPoint]:
    """Run ``scn`` at every point of the grid of ``sets`` (the cartesian product,
    the last path varying fastest), all points' replications as one batch with
    common random numbers. Every point is validated before anything runs."""
    if not sets:
        raise ScenarioError(f"sweep needs at least one --set ({SET_HINT})")
    paths = [path for path, _ in sets]
    for path in paths:
        if paths.count(path) > 1:
            raise ScenarioError(f"{path}: is set twice; give all its values in one --set")
    grid = list(itertools.product(*(values for _, values in sets)))
    scenarios = [apply_sets(scn, list(zip(paths, point, strict=True))) for point in grid]
    runs = _run_batch(scenarios, replications, seed, executor, on_done)
    points = []
    for point, point_scn, reps in zip(grid, scenarios, runs, strict=True):
        summary = aggregate(reps)
        values = dict(zip(paths, point, strict=True))
        points.append(
            SweepPoint(
                values,
                target_of(point_scn),
                summary.overall,
                summary.by_interval,
                staff_cost(point_scn),
                summary.by_segment,
                summary.remote,
            )
        )
    return points
