"""The nowcast job with its call-in advice: the nowcast of a hall, then, only
when it predicts a breach 30 minutes ahead (the predictive alert's
condition), how many more counters of which group would prevent it
(:func:`sim.live.callin.call_in`), in the same worker process.

The advice costs nothing for a hall within target. For a hall predicted to
breach it costs a few dozen short runs per group tried (common random numbers
with the nowcast, sequential stopping; see :mod:`sim.live.callin`)."""

from __future__ import annotations

from dataclasses import replace

from monitor.core.snapshot import HORIZON_S, CallInNow, NowcastNow
from sim.live.callin import HORIZON_S as CALL_IN_HORIZON_S
from sim.live.callin import MAX_EXTRA, CallIn, call_in, late_services, needs_call_in
from sim.live.nowcast import Nowcast, nowcast
from sim.live.warmstart import HallStart
from sim.model.scenario import Scenario

HORIZON = next(label for label, s in HORIZON_S.items() if s == CALL_IN_HORIZON_S)


def nowcast_job(
    scn: Scenario, start: HallStart, replications: int, seed: int, objective: float
) -> tuple[Nowcast, CallIn | None]:
    """The nowcast from ``start`` and, when it predicts a breach at 30 minutes
    beyond what ``objective`` allows, the call-in advice (else None)."""
    result = nowcast(
        scn, start, horizons_s=tuple(HORIZON_S.values()), replications=replications, seed=seed
    )
    budget = 1.0 - objective
    if budget <= 0.0 or not needs_call_in(result.breach_probability, budget):
        return result, None
    late = late_services(result.service_breach_probability, budget)
    return result, call_in(scn, start, budget=budget, late=late, seed=seed)


def with_call_in(published: NowcastNow, result: Nowcast, advice: CallIn | None) -> NowcastNow:
    """``published`` with the advice (none needed when the nowcast predicts no
    breach at 30 minutes); unchanged without that horizon (closing is near)."""
    if CALL_IN_HORIZON_S not in result.breach_probability:
        return published
    if advice is None:
        return replace(published, call_in=CallInNow(HORIZON, 0, None, None, MAX_EXTRA))
    found = CallInNow(
        HORIZON, advice.counters, advice.group, advice.breach_probability, advice.max_extra
    )
    return replace(published, call_in=found)
