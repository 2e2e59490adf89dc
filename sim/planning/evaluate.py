"""Staffing plans simulated with common random numbers, replications added only
where a decision is close.

Every plan is simulated on the same replications ``first, first+1, …`` of one
seed, so two plans differ only by their counters, and the replications already
run for a plan are kept and extended, never repeated. Replications come in
stages of a fixed ladder (20, 40, 80, 160 … up to the cap, starting at the
requested ``-n``), so a decision that stays close until the cap is taken on the
same days whatever ``-n`` was. Work goes to the executor in chunks of
replications, every open plan's chunks of a stage in one batch.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.demand import Demand, draw_demand
from sim.model.hall import simulate
from sim.model.scenario import Scenario
from sim.model.summary import Stat, summarise
from sim.planning.grid import Counts, apply_plan
from sim.planning.judge import JUDGES, IntervalOdds, Judge, MeetRule, judged_service_levels
from sim.runs.executor import Executor, SerialExecutor

LADDER = (10, 20, 40, 80, 160, 320, 640, 1280)
CHUNK = 10  # replications per job: enough work to pay for sending the scenario


def ladder(first: int, cap: int) -> tuple[int, ...]:
    """Replication counts of the stages: ``first``, then the rungs of
    :data:`LADDER` above it, up to ``cap`` (``cap`` itself the last)."""
    cap = max(cap, first)
    return (first, *(n for n in LADDER if first < n < cap), cap) if cap > first else (first,)


@dataclass(frozen=True)
class Chunk:
    """Replications ``first .. first+count-1`` of ``scenario`` (a plan applied):
    picklable, so it runs in another process or on a cluster."""

    scenario: Scenario
    seed: int
    first: int
    count: int
    demand_key: str = ""  # names the scenario apart from its counters: "" draws afresh


# The customers of (scenario apart from counters, seed, replication), kept where the
# chunks run: every plan of a search meets the same customers (common random
# numbers), and drawing them is a sixth of a replication's time. They do not
# depend on the counters a plan sets.
_DEMANDS: OrderedDict[tuple[str, int, int], Demand] = OrderedDict()
_DEMANDS_KEPT = 600


def _demand(chunk: Chunk, replication: int) -> Demand:
    key = (chunk.demand_key, chunk.seed, replication)
    found = _DEMANDS.get(key) if chunk.demand_key else None
    if found is None:
        found = draw_demand(chunk.scenario, chunk.seed, replication)
        if chunk.demand_key:
            _DEMANDS[key] = found
            while len(_DEMANDS) > _DEMANDS_KEPT:
                _DEMANDS.popitem(last=False)
    else:
        _DEMANDS.move_to_end(key)
    return found


def demand_key(scn: Scenario) -> str:
    """A digest of everything but the counters: plans of ``scn`` share customers."""
    from sim.model.scenario_io import scenario_to_dict

    data = scenario_to_dict(scn)
    data.pop("counters", None)
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def judged_chunk(chunk: Chunk) -> np.ndarray:
    """Service level per judge, replication and interval: shape ``(judges, count, intervals)``."""
    out = []
    for r in range(chunk.first, chunk.first + chunk.count):
        records = simulate(chunk.scenario, chunk.seed, r, demand=_demand(chunk, r))
        out.append([judged_service_levels(records, chunk.scenario, j) for j in JUDGES])
    return np.asarray(out, dtype=float).transpose(1, 0, 2)


@dataclass(frozen=True)
class PlanOdds:
    """A plan as simulated so far: each judge's service level per replication and
    interval (``levels[judge]``, shape ``(days, intervals)``) under ``rule``."""

    rule: MeetRule
    levels: dict[Judge, np.ndarray]
    final: bool = False  # simulated to the last stage: close decisions go by the estimate

    @property
    def days(self) -> int:
        return int(self.levels[self.rule.judge].shape[0])

    def odds(self, judge: Judge | None = None) -> list[IntervalOdds]:
        """Per interval, the days that met the target under ``judge`` (default: the rule's)."""
        met = self.rule.met(self.levels[judge or self.rule.judge])
        return [IntervalOdds(int(k), met.shape[0]) for k in met.sum(axis=0)]

    def meets(self, judge: Judge | None = None) -> np.ndarray:
        """Per interval: does the plan meet the target (see :mod:`sim.planning.judge`)?"""
        p = self.rule.probability
        return np.array([o.meets(p) for o in self.odds(judge)], dtype=bool)

    def close(self) -> np.ndarray:
        """Per interval: is the decision still close (its 95% interval holds the probability)?"""
        p = self.rule.probability
        return np.array([not o.clear(p) for o in self.odds()], dtype=bool)

    def clear_misses(self) -> np.ndarray:
        """Per interval: is the target clearly missed (the whole 95% interval below)?"""
        p = self.rule.probability
        return np.array([o.ci95[1] < p for o in self.odds()], dtype=bool)

    def known_misses(self) -> np.ndarray:
        """Per interval: a miss that more replications would not undo: a clear
        one, or any miss once the plan ran to the last stage."""
        misses = self.clear_misses()
        return misses | ~self.meets() if self.final else misses

    def known_meets(self) -> np.ndarray:
        """Per interval: a meet that more replications would not undo."""
        meets: np.ndarray = self.meets() & (~self.close() | self.final)
        return meets

    def service_levels(self, judge: Judge | None = None) -> list[Stat]:
        """Per interval, the mean service level over days with its 95% CI."""
        levels = self.levels[judge or self.rule.judge]
        return [summarise(levels[:, t].tolist()) for t in range(levels.shape[1])]


StillOpen = Callable[[PlanOdds], bool]


def open_while_close(odds: PlanOdds) -> bool:
    """The default stopping rule: go on while some interval's decision is close."""
    return bool(odds.close().any())


class Evaluator:
    """Simulates plans (counts of the resized ``groups``) of ``scn`` on
    replications ``first_replication …`` of ``seed``, in the stages of
    ``stages``; see the module docstring."""

    def __init__(
        self,
        scn: Scenario,
        groups: Sequence[int],
        rule: MeetRule,
        seed: int,
        stages: Sequence[int],
        executor: Executor | None = None,
        first_replication: int = 0,
    ) -> None:
        self.scn, self.groups, self.rule, self.seed = scn, tuple(groups), rule, seed
        self.stages = tuple(stages)
        self.executor = executor or SerialExecutor()
        self.first = first_replication
        self.demand_key = demand_key(scn)
        self._seen: dict[Counts, dict[Judge, np.ndarray]] = {}
        self.plans = 0  # distinct plans simulated
        self.days = 0  # replications simulated, all plans

    def odds(self, plan: Counts, cap: int | None = None) -> PlanOdds:
        """What is known of ``plan`` so far (it must have been run); final once
        it reached ``cap`` (default: the last stage)."""
        seen = dict(self._seen[plan])  # a snapshot: later stages replace the arrays
        return PlanOdds(self.rule, seen, self._days(plan) >= (cap or self.stages[-1]))

    def run(
        self,
        plans: Sequence[Counts],
        still_open: Sequence[StillOpen] | None = None,
        cap: int | None = None,
    ) -> list[PlanOdds]:
        """Simulate each plan to at least the first stage, and on through the
        stages (up to ``cap`` replications, default: the last stage) while its
        ``still_open`` rule (default :func:`open_while_close`) says so; returns
        what is known of each."""
        stages = self.stages
        if cap is not None:
            stages = (*tuple(n for n in self.stages if n < cap), max(cap, self.stages[0]))
        rules = list(still_open) if still_open is not None else [open_while_close] * len(plans)
        wanted = list(dict.fromkeys(plans))
        for plan in wanted:
            if plan not in self._seen:
                self._seen[plan] = {j: np.zeros((0, 0)) for j in JUDGES}
                self.plans += 1
        while True:
            todo: list[tuple[Counts, int]] = []
            for plan in wanted:
                have = self._days(plan)
                goal = next((n for n in stages if n > have), None)
                if goal is None:
                    continue
                rule = rules[plans.index(plan)]
                if have >= stages[0] and not rule(self.odds(plan, stages[-1])):
                    continue
                todo.append((plan, goal))
            if not todo:
                break
            chunks: list[tuple[Counts, Chunk]] = []
            for plan, goal in todo:
                scn = apply_plan(self.scn, self.groups, plan)
                start = self.first + self._days(plan)
                end = self.first + goal
                chunks += [
                    (plan, Chunk(scn, self.seed, r, min(CHUNK, end - r), self.demand_key))
                    for r in range(start, end, CHUNK)
                ]
            results: list[np.ndarray | None] = [None] * len(chunks)
            for index, done in self.executor.map(judged_chunk, [c for _, c in chunks]):
                results[index] = done
            for (plan, chunk), levels in zip(chunks, results, strict=True):
                assert levels is not None
                self._append(plan, chunk.first - self.first, levels)
                self.days += chunk.count
        return [self.odds(plan, stages[-1]) for plan in plans]

    def _days(self, plan: Counts) -> int:
        return int(self._seen[plan][self.rule.judge].shape[0])

    def _append(self, plan: Counts, at: int, levels: np.ndarray) -> None:
        """Chunks of a stage arrive in order of submission, so ``at`` is the end."""
        seen = self._seen[plan]
        for j, judge in enumerate(JUDGES):
            block = levels[j]
            old = seen[judge]
            if old.shape[0] != at:
                raise RuntimeError(f"replication {at} arrived out of order")
            seen[judge] = block if old.size == 0 else np.vstack([old, block])
