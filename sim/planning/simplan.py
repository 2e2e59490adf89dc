"""The simulation-based staffing plan: the cheapest plan that keeps the rules
(:mod:`sim.planning.smooth`) and meets the target in every interval on the
full hall model (:mod:`sim.planning.judge`), found as a requirement per
interval that one integer programme covers, then checked on fresh replications.

1. **Start** from the Erlang need (or a need given, e.g. from a similar day).
2. **Plan**: the cheapest counts covering the need that keep the rules, chosen
   jointly for the whole day (:func:`sim.planning.staffing.smooth_counts`).
3. **Raise**: simulate the plan; wherever an interval looks short it needs one
   counter more, and no count of the plan falls while it is being raised (as
   in the iterative staffing algorithm of Feldman, Mandelbaum, Massey & Whitt,
   2008); back to 2 until every interval meets the target.
4. **Lower**: simulate the plan with one counter fewer in every interval at
   once (common random numbers: the same customers). Staffed no better around
   it than it will be, an interval that still meets the target there needs one
   counter fewer; one that misses is not tried that low again. Back to 2 (and
   3) until the plan no longer changes.
5. **Check** the plan on fresh replications (days the search never saw) and
   raise it wherever an interval misses there too, until it meets everywhere.

An interval that met the target with some count, in a plan staffed no better
around it, is *settled* at that count: a later miss with as many counters is
noise near the threshold, and its decision is not simulated again. Every
simulation adds replications only while an open decision is close
(:mod:`sim.planning.evaluate`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.calendar import intervals
from sim.model.scenario import Scenario, ScenarioError
from sim.model.units import format_clock
from sim.planning.evaluate import Evaluator, PlanOdds, ladder
from sim.planning.grid import Counts
from sim.planning.judge import MeetRule
from sim.planning.smooth import PlanRules
from sim.planning.staffing import Plan, erlang_need, group_bounds, resized_groups, smooth_counts
from sim.runs.executor import Executor

FRESH = 1_000_000  # first replication of the check: far beyond any search
MAX_ROUNDS = 24
MAX_REPAIRS = 6


@dataclass(frozen=True)
class SearchSettings:
    """How hard the search looks: ``replications`` to start every plan with,
    up to ``max_replications`` where a decision is close, on ``seed``."""

    replications: int = 20
    max_replications: int = 120
    seed: int = 1

    @property
    def stages(self) -> tuple[int, ...]:
        return ladder(self.replications, self.max_replications)


class _Search:
    """The state of one search (see the module docstring)."""

    def __init__(self, scn: Scenario, rules: PlanRules, need: list[list[int]]) -> None:
        self.scn, self.rules = scn, rules
        self.bounds = [group_bounds(scn, g) for g in resized_groups(scn)]
        self.need = need
        # per group and interval: the fewest counters it was seen to meet the target
        # with, in a plan staffed no better around it (a miss later with as many is
        # noise near the threshold), and the count a probe saw it miss at
        self.met_with = [
            [hi + 1 for _ in row] for row, (_, hi) in zip(need, self.bounds, strict=True)
        ]
        self.missed_at = [[-1 for _ in row] for row in need]

    def plan(self) -> Counts:
        for row, (_, hi) in zip(self.need, self.bounds, strict=True):
            for t, n in enumerate(row):
                row[t] = min(hi, max(n, 0))
        return smooth_counts(self.scn, self.need, self.rules)

    def settled(self, counts: Counts) -> np.ndarray:
        """Per interval: has it met the target with no more counters than now?"""
        settled: np.ndarray = np.array(
            [all(row[t] >= met[t] for row, met in zip(counts, self.met_with, strict=True))
             for t in range(len(counts[0]))]
        )  # fmt: skip
        return settled

    def base_rule(self, counts: Counts) -> Callable[[PlanOdds], bool]:
        """Simulate a plan on while an unsettled interval is close, unless one clearly misses."""
        open_ = ~self.settled(counts)

        def still_open(odds: PlanOdds) -> bool:
            if (odds.clear_misses() & open_).any():
                return False
            return bool((odds.close() & open_).any())

        return still_open

    def misses(self, counts: Counts, odds: PlanOdds) -> np.ndarray:
        """The unsettled intervals estimated to miss so far: a plan is raised
        wherever it looks short (a raise too many is taken back by the probes)."""
        misses: np.ndarray = ~odds.meets() & ~self.settled(counts)
        return misses

    def hold(self, counts: Counts, meets: np.ndarray, *, keep_all: bool = False) -> None:
        """Remember where the plan met the target; keep its counts there (everywhere
        with ``keep_all``) so that it does not fall while it is being raised."""
        for k, row in enumerate(counts):
            for t in range(len(row)):
                if meets[t]:
                    self.met_with[k][t] = min(self.met_with[k][t], row[t])
                if meets[t] or keep_all:
                    self.need[k][t] = max(self.need[k][t], row[t])

    def raise_where(self, counts: Counts, misses: np.ndarray) -> None:
        """One more counter, in the group with most room, where ``misses``."""
        stuck = []
        for t in np.flatnonzero(misses):
            room = [k for k, (_, hi) in enumerate(self.bounds) if counts[k][t] < hi]
            if not room:
                stuck.append(int(t))
                continue
            k = min(room, key=lambda k: counts[k][t] / self.bounds[k][1])
            self.need[k][t] = max(self.need[k][t], counts[k][t] + 1)
        if stuck:
            spans = intervals(self.scn)
            names = ", ".join(format_clock(spans[t][0]) for t in stuck[:5])
            more = f" and {len(stuck) - 5} more" if len(stuck) > 5 else ""
            raise ScenarioError(
                f"counters: the intervals starting {names}{more} miss the target even at "
                "resize.max; raise it or staff the other groups"
            )

    def probes(self, counts: Counts) -> list[tuple[int, np.ndarray, Counts]]:
        """Per group ``(group, lowered intervals, plan)``: the plan with one counter
        fewer wherever that is allowed and not yet known. Where the group already
        met the target with one counter fewer, the need drops without a probe."""
        out = []
        for k, row in enumerate(counts):
            lo = self.bounds[k][0]
            lowered = np.zeros(len(row), dtype=bool)
            for t, n in enumerate(row):
                if n - 1 < lo or self.missed_at[k][t] == n - 1:
                    continue
                if self.met_with[k][t] <= n - 1:
                    self.need[k][t] = min(self.need[k][t], n - 1)
                else:
                    lowered[t] = True
            if lowered.any():
                fewer = tuple(n - int(low) for n, low in zip(row, lowered, strict=True))
                out.append(
                    (k, lowered, tuple(fewer if j == k else r for j, r in enumerate(counts)))
                )
        return out

    @staticmethod
    def probe_rule(lowered: np.ndarray) -> Callable[[PlanOdds], bool]:
        """Simulate a probe on while a lowered interval's decision is close."""

        def still_open(odds: PlanOdds) -> bool:
            return bool((odds.close() & lowered).any())

        return still_open

    def learn(self, counts: Counts, k: int, lowered: np.ndarray, odds: PlanOdds) -> None:
        """What a probe of group ``k`` (one counter fewer wherever ``lowered``, the
        whole day staffed no better) says: an interval that still met needs one
        counter fewer; one that missed is not tried that low again."""
        meets, known = odds.meets(), odds.known_misses()
        for t in np.flatnonzero(lowered):
            fewer = counts[k][t] - 1
            if meets[t]:
                self.need[k][t] = min(self.need[k][t], fewer)
                self.met_with[k][t] = min(self.met_with[k][t], fewer)
            else:
                self.need[k][t] = max(self.need[k][t], counts[k][t])
                if known[t]:
                    self.missed_at[k][t] = fewer


def sim_plan(
    scn: Scenario,
    rule: MeetRule,
    rules: PlanRules | None = None,
    settings: SearchSettings | None = None,
    executor: Executor | None = None,
    *,
    need: Sequence[Sequence[int]] | None = None,
    fresh: Evaluator | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Plan:
    """The simulation-based plan of the module docstring. ``need`` starts the
    search (default: the Erlang need); ``fresh`` is the evaluator of the check
    on fresh replications (default: replications from :data:`FRESH` of the same
    seed), whose results the caller can then report. Raises ScenarioError
    when an interval misses the target even at the groups' ``resize.max``."""
    rules = rules or PlanRules()
    settings = settings or SearchSettings()
    say = on_progress or (lambda _: None)
    groups = resized_groups(scn)
    ev = Evaluator(scn, groups, rule, settings.seed, settings.stages, executor)
    fresh = fresh or Evaluator(
        scn, groups, rule, settings.seed, settings.stages, executor, first_replication=FRESH
    )
    start = [list(row) for row in (need if need is not None else erlang_need(scn))]
    search = _Search(scn, rules, start)
    counts = search.plan()
    half = max(settings.replications, settings.max_replications // 2)
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        # raising is tentative too: half the days until the plan looks whole, then all
        (odds,) = ev.run([counts], [search.base_rule(counts)], cap=half)
        misses = search.misses(counts, odds)
        if not misses.any():
            (odds,) = ev.run([counts], [search.base_rule(counts)])
            misses = search.misses(counts, odds)
        say(f"round {rounds}: {int(misses.sum())} intervals miss the target")
        if misses.any():  # the plan only grows until it meets everywhere
            search.hold(counts, odds.known_meets(), keep_all=True)
            search.raise_where(counts, misses)
            counts = search.plan()
            continue
        search.hold(counts, odds.meets())
        probes = search.probes(counts)
        # a probe is tentative (the next round's plan is simulated in full): half the days
        results = ev.run(
            [p for _, _, p in probes],
            [search.probe_rule(low) for _, low, _ in probes],
            cap=half,
        )
        for (k, lowered, _), result in zip(probes, results, strict=True):
            search.learn(counts, k, lowered, result)
        lower = search.plan()
        if lower == counts:
            break
        counts = lower
    repairs = 0
    while True:
        (odds,) = fresh.run([counts])
        misses = ~odds.meets()
        say(f"check on fresh replications: {int(misses.sum())} intervals miss the target")
        if not misses.any():
            break
        repairs += 1
        if repairs > MAX_REPAIRS:
            raise ScenarioError(f"staffing: the plan still misses after {MAX_REPAIRS} repairs")
        search.hold(counts, ~misses)
        search.raise_where(counts, misses)
        counts = search.plan()
    need = tuple(tuple(row) for row in search.need)
    return Plan("sim", groups, counts, ev.plans + fresh.plans, ev.days + fresh.days, rounds, need)
