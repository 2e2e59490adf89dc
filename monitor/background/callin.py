"""The nowcast's call-in advice in the background: after a hall's nowcast is
published, and only when it predicts a breach 30 minutes ahead (the predictive
alert's condition), how many more counters of which group would prevent it
(:func:`sim.live.callin.call_in`), computed in the pool and published as an
update of that nowcast.

The nowcast is published first, so the advice never delays what the
predictive alert reads; until the new advice is in, the hall keeps its
previous one. A hall within target costs nothing more (its advice is "none
needed"); a hall predicted to breach costs a few dozen short runs per group
tried (see :mod:`sim.live.callin` and ``benchmarks/bench_callin.py``)."""

from __future__ import annotations

from dataclasses import replace

from monitor.core.snapshot import HORIZON_S, CallInNow, NowcastNow
from sim.live.callin import HORIZON_S as CALL_IN_HORIZON_S
from sim.live.callin import MAX_EXTRA, CallIn, call_in, late_services, needs_call_in
from sim.live.nowcast import Nowcast, Precision, nowcast
from sim.live.warmstart import HallStart
from sim.model.scenario import Scenario

HORIZON = next(label for label, s in HORIZON_S.items() if s == CALL_IN_HORIZON_S)
NONE_NEEDED = CallInNow(HORIZON, 0, None, None, MAX_EXTRA)


def nowcast_job(
    scn: Scenario, start: HallStart, replications: int, seed: int, precision: Precision | None
) -> Nowcast:
    """The exporter's nowcast from ``start``, at its horizons (stopping early
    once ``precision`` is met; None: every replication)."""
    return nowcast(
        scn,
        start,
        horizons_s=tuple(HORIZON_S.values()),
        replications=replications,
        seed=seed,
        precision=precision,
    )


def advice_needed(result: Nowcast, objective: float) -> bool:
    """Whether ``result`` predicts a breach at 30 minutes beyond what
    ``objective`` allows (an objective of 100% allows none: no advice can help)."""
    budget = 1.0 - objective
    return budget > 0.0 and needs_call_in(result.breach_probability, budget)


def call_in_job(
    scn: Scenario, start: HallStart, result: Nowcast, seed: int, objective: float
) -> CallIn:
    """The advice for a hall whose nowcast ``result`` predicts a breach."""
    budget = 1.0 - objective
    late = late_services(result.service_breach_probability, budget)
    return call_in(scn, start, budget=budget, late=late, seed=seed)


def advice_now(advice: CallIn) -> CallInNow:
    """The advice as published."""
    return CallInNow(
        HORIZON, advice.counters, advice.group, advice.breach_probability, advice.max_extra
    )


def with_call_in(shown: NowcastNow, result: Nowcast, advice: CallInNow | None) -> NowcastNow:
    """``shown`` with ``advice`` (None: none yet); unchanged when the nowcast
    has no 30-minute horizon (closing is near: no advice at all)."""
    if CALL_IN_HORIZON_S not in result.breach_probability:
        return shown
    return replace(shown, call_in=advice)
