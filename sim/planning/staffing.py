"""Staffing to the wait target, per interval of the day.

Two methods for the counter groups marked ``resize``:

- ``erlang``: the textbook workforce-management answer. Offered load per
  interval with the usual lag of one mean service time, the smallest count
  meeting the service level by Erlang C (Erlang A when every segment has
  exponential-like patience), minus what the fixed groups staff.
- ``sim``: the iterative staffing algorithm of Feldman, Mandelbaum, Massey &
  Whitt (2008) on the full hall model, with common random numbers across
  iterations: simulate, add a counter in every interval that misses the
  target, repeat until none misses; then take counters away wherever the plan
  still meets the target without them, until no interval can lose one. An
  interval *meets* the target when the lower end of the 95% confidence interval
  of its service level (over replications) reaches the target.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.calendar import counter_instances, intervals, step_value
from sim.model.hall import simulate
from sim.model.kpis import interval_service_levels
from sim.model.scenario import Scenario, ScenarioError
from sim.model.summary import Stat, summarise
from sim.model.units import format_clock
from sim.planning import erlang
from sim.planning.grid import Counts, grid_blocks, on_grid
from sim.runs.executor import Executor, SerialExecutor
from sim.runs.experiment import Job


@dataclass(frozen=True)
class Plan:
    """Counts of the resized groups per interval, and how they were found."""

    method: str
    groups: tuple[int, ...]  # indices into scenario.counters
    counts: Counts
    evaluations: int = 0  # simulated plans (each with every replication)
    iterations: int = 0

    def staff_hours(self, scn: Scenario) -> float:
        """Counter-hours the resized groups are staffed over the day."""
        return sum(
            n * (end - start) / 3600.0
            for row in self.counts
            for n, (start, end) in zip(row, intervals(scn), strict=True)
        )


@dataclass(frozen=True)
class Evaluation:
    """A plan simulated: service level per interval over replications."""

    mean: tuple[float, ...]
    lower: tuple[float, ...]  # lower end of the 95% CI (the mean when it has none)
    upper: tuple[float, ...]

    @staticmethod
    def of(stats: Sequence[Stat]) -> Evaluation:
        """From each interval's service level over replications: an interval
        nobody arrived in counts as met (1.0), one without an interval as its mean."""
        means = [1.0 if s.mean is None else s.mean for s in stats]
        return Evaluation(
            tuple(means),
            tuple(m if s.ci95[0] is None else s.ci95[0] for m, s in zip(means, stats, strict=True)),
            tuple(m if s.ci95[1] is None else s.ci95[1] for m, s in zip(means, stats, strict=True)),
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


def _bounds(scn: Scenario, g: int) -> tuple[int, int]:
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


def erlang_plan(scn: Scenario, step_s: float | None = None) -> Plan:
    """The Erlang C/A plan (see the module docstring); on a ``step_s`` grid,
    each block takes the largest count any of its intervals needs."""
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
    counts = []
    for g, weight in zip(groups, weights, strict=True):
        lo, hi = _bounds(scn, g)
        counts.append(tuple(min(hi, max(lo, math.ceil(n * weight))) for n in need))
    return Plan("erlang", groups, on_grid(tuple(counts), grid_blocks(scn, step_s)))


def apply_plan(scn: Scenario, groups: Sequence[int], counts: Counts) -> Scenario:
    """``scn`` with the count of each resized group following the plan."""
    starts = [start for start, _ in intervals(scn)]
    new_groups = list(scn.counters)
    for g, row in zip(groups, counts, strict=True):
        steps: list[tuple[float, float]] = []
        for start, n in zip(starts, row, strict=True):
            if not steps or steps[-1][1] != n:
                steps.append((start, float(n)))
        new_groups[g] = new_groups[g].model_copy(update={"count": tuple(steps)})
    return scn.model_copy(update={"counters": tuple(new_groups)})


def _interval_service_levels(job: Job) -> list[float]:
    """One replication of a plan, reduced to its service level per interval."""
    records = simulate(job.scenario, job.seed, job.replication)
    levels: list[float] = interval_service_levels(records, job.scenario).tolist()
    return levels


class _Evaluator:
    """Simulates plans in batches on the executor, same seeds for every plan."""

    def __init__(self, scn: Scenario, groups: Sequence[int], reps: int, seed: int, ex: Executor):
        self.scn, self.groups, self.reps, self.seed, self.ex = scn, groups, reps, seed, ex
        self.count = 0

    def __call__(self, plans: Sequence[Counts]) -> list[Evaluation]:
        jobs = [
            Job(apply_plan(self.scn, self.groups, plan), self.seed, r)
            for plan in plans
            for r in range(self.reps)
        ]
        levels: list[list[float]] = [[] for _ in jobs]
        for index, result in self.ex.map(_interval_service_levels, jobs):
            levels[index] = result
        self.count += len(plans)
        out = []
        for p in range(len(plans)):
            per_rep = levels[p * self.reps : (p + 1) * self.reps]
            stats = [summarise([rep[i] for rep in per_rep]) for i in range(len(per_rep[0]))]
            out.append(Evaluation.of(stats))
        return out


def meets(evaluation: Evaluation, target: float) -> list[bool]:
    """Per interval: does the lower end of the service level's 95% CI reach the target?"""
    return [lo >= target - 1e-12 for lo in evaluation.lower]


def sim_plan(
    scn: Scenario,
    replications: int = 20,
    seed: int = 1,
    executor: Executor | None = None,
    start: Plan | None = None,
    max_iterations: int = 60,
    on_progress: Callable[[str], None] | None = None,
    step_s: float | None = None,
) -> Plan:
    """The simulation-based plan (see the module docstring). With ``step_s``
    (a grid of :func:`~sim.planning.grid.grid_blocks`), counts change only where
    a block starts: a block is raised when any of its intervals misses, and
    lowered only when every interval still meets the target, so the plan meets
    the target in every interval and no block can lose a counter. Raises
    ScenarioError if some interval cannot meet the target within the groups'
    ``resize.max``."""
    executor = executor or SerialExecutor()
    blocks = grid_blocks(scn, step_s)
    start = start or erlang_plan(scn, step_s)
    groups = start.groups
    target = scn.target.service_level
    evaluate = _Evaluator(scn, groups, replications, seed, executor)
    say = on_progress or (lambda _: None)
    bounds = [_bounds(scn, g) for g in groups]
    # counts[g][b]: group g's counters over block b
    counts = [[max(row[i] for i in block) for block in blocks] for row in start.counts]
    n_blocks = len(blocks)
    block_of = {i: b for b, block in enumerate(blocks) for i in block}

    def frozen(c: list[list[int]]) -> Counts:
        return tuple(tuple(row[block_of[i]] for i in range(len(block_of))) for row in c)

    # 1. raise every block with an interval that misses until none does
    iterations = 0
    while True:
        iterations += 1
        ok = meets(evaluate([frozen(counts)])[0], target)
        missing = sorted({block_of[i] for i in range(len(ok)) if not ok[i]})
        say(f"iteration {iterations}: {len(missing)} intervals miss the target")
        if not missing:
            break
        if iterations >= max_iterations:
            raise ScenarioError(f"staffing did not converge in {max_iterations} iterations")
        raised = False
        for b in missing:
            # the resized group with most room relative to its cap takes the counter
            g = min(
                (g for g in range(len(groups)) if counts[g][b] < bounds[g][1]),
                key=lambda g: counts[g][b] / bounds[g][1],
                default=None,
            )
            if g is not None:
                counts[g][b] += 1
                raised = True
        if not raised:
            spans = intervals(scn)
            names = ", ".join(format_clock(spans[blocks[b][0]][0]) for b in missing[:5])
            raise ScenarioError(
                f"counters: intervals starting {names} miss the target even at resize.max"
            )

    # 2. lower. A reduction that fails usually keeps failing once other blocks
    #    lose counters too, so each round tries only the reductions not yet seen
    #    to fail, as one parallel batch, and keeps those that still meet the
    #    target: all of them if the plan still meets it together, else the
    #    non-adjacent ones, else the first. "Usually" is not "always" (priorities,
    #    CIs), so when no untried reduction is left, one round over every
    #    reducible block checks the end state: the plan is done only when no
    #    single counter can go.
    tight: set[tuple[int, int]] = set()
    verifying = False
    while True:
        reducible = [
            (g, b)
            for g in range(len(groups))
            for b in range(n_blocks)
            if counts[g][b] > bounds[g][0]
        ]
        candidates = reducible if verifying else [c for c in reducible if c not in tight]
        if not candidates:
            if verifying:
                break
            verifying = True
            continue
        trials = []
        for g, b in candidates:
            trial = [row[:] for row in counts]
            trial[g][b] -= 1
            trials.append(frozen(trial))
        results = evaluate(trials)
        good = [c for c, ev in zip(candidates, results, strict=True) if all(meets(ev, target))]
        tight = (tight | set(candidates)) - set(good)
        say(f"lowering: {len(good)} of {len(candidates)} counters can go")
        if not good:
            if verifying:
                break
            verifying = True
            continue
        verifying = False
        accepted = False
        for subset in (good, _spaced(good)):
            if len(subset) < 2:
                continue
            together = [row[:] for row in counts]
            for g, b in subset:
                together[g][b] -= 1
            if all(meets(evaluate([frozen(together)])[0], target)):
                counts, accepted = together, True
                break
        if accepted:
            continue
        g, b = good[0]
        counts[g][b] -= 1
    return Plan("sim", groups, frozen(counts), evaluate.count, iterations)


def _spaced(cells: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cells (group, block) of the same group at least two blocks apart, in order."""
    chosen: list[tuple[int, int]] = []
    for g, i in cells:
        if all(h != g or abs(i - j) > 1 for h, j in chosen):
            chosen.append((g, i))
    return chosen


def evaluate_plans(
    scn: Scenario,
    plans: Sequence[Plan],
    replications: int = 20,
    seed: int = 1,
    executor: Executor | None = None,
) -> list[Evaluation]:
    """Simulate each plan (same seeds) and return its service level per interval."""
    if not plans:
        return []
    evaluate = _Evaluator(scn, plans[0].groups, replications, seed, executor or SerialExecutor())
    return evaluate([plan.counts for plan in plans])
