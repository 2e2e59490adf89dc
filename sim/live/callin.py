"""The call-in decision: how many more counters, of which group, bring a hall
predicted to breach back within target 30 minutes from now?

From a hall's live state (:class:`~sim.live.warmstart.HallStart`) the scenario
is run forward with ``k`` more counters of one group opened now (``k`` = 1, 2,
3; each group that serves a late service), and a probe ticket of every
counter service and segment taken ``horizon_s`` from now, as the nowcast
does. A variant *meets the target* when the probability that a counter
customer taking a ticket then waits past the target is at most ``budget``
(``1 - objective``): the measure of the nowcast's ``breach_probability`` and
of the predictive alert, so the advice is the smallest change that would clear
that alert. The answer is the smallest ``k`` any group meets it with (the
group with the lowest probability among those), or ``None`` when even
``max_extra`` more counters of any group do not.

Cheap by design, since it may run every nowcast round for every hall: the
caller asks only for a hall predicted to breach (:func:`needs_call_in`); each
variant uses common random numbers with the nowcast (replication ``r`` draws
the same customers, patience and service work, so variants differ only by
their counters); probes sit at one horizon, so each run stops once the
30-minute probes are called; and replications come in batches of ``batch``
with sequential stopping: a variant is settled as soon as, after at least
``min_replications``, the 95% interval of its breach probability lies on one
side of ``budget`` (else after ``replications``, by its mean), and ``k`` grows
only while no group meets it. The floor matters: a replication's share of
late customers is often 0 (no jam) and sometimes large, so a few replications
can look certain and be wrong (8 gave 0.07 where 160 give 0.24).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.live.nowcast import counter_service_shares
from sim.live.warmstart import HallStart, Probe, WarmStart
from sim.model.scenario import CounterGroup, Scenario
from sim.model.summary import t_quantile_975

HORIZON_S = 1800.0
MAX_EXTRA = 3


@dataclass(frozen=True)
class Trial:
    """One variant: ``k`` more counters of ``group``; its estimated breach
    probability at the horizon, the 95% half-width and the replications run."""

    group: str
    k: int
    breach_probability: float
    half_width: float
    replications: int

    def meets(self, budget: float) -> bool:
        return self.breach_probability <= budget


@dataclass(frozen=True)
class CallIn:
    """The advice: ``counters`` more of ``group`` (``None``: more than
    ``max_extra`` would be needed), the breach probability at ``horizon_s`` it
    leads to, and every variant tried (their replications are the cost)."""

    horizon_s: float
    budget: float
    counters: int | None
    group: str | None
    breach_probability: float | None
    trials: tuple[Trial, ...]
    max_extra: int = MAX_EXTRA

    @property
    def runs(self) -> int:
        """Simulation runs spent on the variants."""
        return sum(t.replications for t in self.trials)


def needs_call_in(breach_probability: Mapping[float, float], budget: float) -> bool:
    """Whether the nowcast predicts a breach at :data:`HORIZON_S` (the
    predictive alert's condition): only then is the call-in worth its runs."""
    p = breach_probability.get(HORIZON_S)
    return p is not None and p > budget


def late_services(
    service_breach: Mapping[tuple[str, float], float], budget: float
) -> tuple[str, ...]:
    """The services whose tickets taken at the horizon breach more often than ``budget``."""
    return tuple(s for (s, h), p in service_breach.items() if h == HORIZON_S and p > budget)


def with_extra(scn: Scenario, group: str, k: int, now_s: float) -> tuple[Scenario, tuple[str, ...]]:
    """``scn`` with ``k`` more counters like those of ``group`` staffed from
    ``now_s`` to closing (a new group ``{group}+``), and their names."""
    like = next(g for g in scn.counters if g.id == group)
    extra = like.model_copy(
        update={
            "id": f"{group}+",
            "count": ((0.0, float(k)),),
            "shift": None if scn.stationary else (now_s, scn.close),
            "breaks": (),
            "resize": None,
        }
    )
    assert isinstance(extra, CounterGroup)
    variant = scn.model_copy(update={"counters": (*scn.counters, extra)})
    return variant, tuple(f"{group}+{i}" for i in range(1, k + 1))


def _probes(scn: Scenario, now_s: float, horizon_s: float) -> tuple[list[Probe], np.ndarray]:
    """A probe of every counter service and segment at ``now_s + horizon_s``, and
    each one's weight (service share of counter customers × segment share)."""
    services = counter_service_shares(scn)
    segments = {name: s.share for name, s in scn.segments.items() if s.share > 0}
    keys = [(svc, seg) for svc in services for seg in segments]
    weights = np.array([services[svc] * segments[seg] for svc, seg in keys])
    return [Probe(now_s + horizon_s, svc, seg) for svc, seg in keys], weights / weights.sum()


def _estimate(values: list[float]) -> tuple[float, float]:
    """Mean and 95% Student-t half-width (infinite from one value)."""
    x = np.asarray(values)
    if x.size < 2:
        return float(x.mean()), math.inf
    return float(x.mean()), t_quantile_975(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)


def breach_shares(
    scn: Scenario,
    start: HallStart,
    replications: range,
    *,
    horizon_s: float = HORIZON_S,
    target_wait_s: float | None = None,
    seed: int = 1,
) -> list[float]:
    """Per replication, the share of counter customers (weighted by service and
    segment) taking a ticket ``horizon_s`` from ``start`` whose wait passes the
    target (never called counts as late): the breach probability's samples."""
    target = scn.target.wait if target_wait_s is None else target_wait_s
    probes, weights = _probes(scn, start.now_s, horizon_s)
    runs = WarmStart(scn, start, probes)  # the same waits as simulate_from's, for less
    out = []
    for r in replications:
        waits = runs.probe_waits(seed, r)
        late = np.isnan(waits) | (waits > target)
        out.append(float(late @ weights))
    return out


def extra_start(start: HallStart, names: Sequence[str]) -> HallStart:
    """``start`` with the counters ``names`` open now too (when the ticket
    system logs which counters are open; else the schedule opens them)."""
    opened = start.open_counters
    return HallStart(
        start.now_s,
        start.waiting,
        start.busy,
        None if opened is None else (*opened, *names),
        start.issued,
    )


def _trial(
    scn: Scenario,
    start: HallStart,
    group: str,
    k: int,
    budget: float,
    *,
    horizon_s: float,
    target_wait_s: float | None,
    seed: int,
    replications: int,
    batch: int,
    min_replications: int,
) -> Trial:
    """Replications of ``k`` more ``group`` counters, in batches, until (after
    ``min_replications``) the 95% interval is on one side of ``budget``, or
    ``replications`` ran."""
    variant, names = with_extra(scn, group, k, start.now_s)
    varied = extra_start(start, names)
    shares: list[float] = []
    mean, half = math.nan, math.inf
    for first in range(0, replications, batch):
        reps = range(first, min(first + batch, replications))
        shares += breach_shares(
            variant, varied, reps, horizon_s=horizon_s, target_wait_s=target_wait_s, seed=seed
        )
        mean, half = _estimate(shares)
        if len(shares) >= min_replications and abs(mean - budget) > half:
            break
    return Trial(group, k, mean, half, len(shares))


def call_in(
    scn: Scenario,
    start: HallStart,
    *,
    budget: float,
    late: Sequence[str] = (),
    horizon_s: float = HORIZON_S,
    target_wait_s: float | None = None,
    max_extra: int = MAX_EXTRA,
    seed: int = 1,
    replications: int = 48,
    batch: int = 8,
    min_replications: int = 24,
) -> CallIn:
    """The smallest number of extra counters of one group that meets ``budget``
    at ``horizon_s`` (see the module docstring). ``late``: the services
    predicted to breach (default: every counter service); a group is tried
    when it serves one of them. ``target_wait_s`` defaults to the scenario's."""
    if not 0.0 < budget < 1.0:
        raise ValueError(f"budget must be between 0 and 1, not {budget}")
    if max_extra < 1 or batch < 2 or not 2 <= min_replications <= replications:
        raise ValueError(
            "max_extra must be at least 1, batch at least 2, "
            "and 2 <= min_replications <= replications"
        )
    wanted = set(late) or set(counter_service_shares(scn))
    groups = [g.id for g in scn.counters if wanted & set(g.services)]

    def trial(group: str, k: int) -> Trial:
        return _trial(
            scn, start, group, k, budget, horizon_s=horizon_s, target_wait_s=target_wait_s,
            seed=seed, replications=replications, batch=batch, min_replications=min_replications,
        )  # fmt: skip

    trials: list[Trial] = []
    for k in range(1, max_extra + 1):
        found = [trial(group, k) for group in groups]
        trials += found
        meeting = [t for t in found if t.meets(budget)]
        if meeting:
            best = min(meeting, key=lambda t: t.breach_probability)
            return CallIn(
                horizon_s, budget, k, best.group, best.breach_probability, tuple(trials), max_extra
            )
    return CallIn(horizon_s, budget, None, None, None, tuple(trials), max_extra)
