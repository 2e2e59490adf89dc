"""The floor against the plan, as response bodies: the counters the plan staffs
now beside those open and busy (:class:`PlanBody`), and the nowcast's call-in
advice (:class:`CallInBody`), what a hall manager asks first."""

from __future__ import annotations

from monitor.api.models import CallInBody, GroupPlan, PlanBody
from monitor.core.snapshot import HallView


def plan_body(view: HallView) -> PlanBody | None:
    """The plan now against the counters open and busy, per group (None: no plan)."""
    planned = view.planned
    if planned is None:
        return None
    live, groups = view.live, dict(view.info.counter_groups)
    opened = dict.fromkeys(planned.by_group, 0)
    busy = dict.fromkeys(planned.by_group, 0)
    for counter, is_open in live.counter_open.items():
        group = groups.get(counter)
        if group in opened and is_open:
            opened[group] += 1
            busy[group] += int(live.counter_busy.get(counter, False))
    return PlanBody(
        source="roster" if planned.source == "roster" else "scenario",
        planned=planned.total,
        open=live.counters_open,
        busy=live.counters_busy,
        by_group=[
            GroupPlan(group=g, planned=n, open=opened[g], busy=busy[g])
            for g, n in planned.by_group.items()
        ],
    )


def call_in_body(view: HallView) -> CallInBody | None:
    """The nowcast's advice (None: no nowcast, or none for its horizon)."""
    nowcast = view.nowcast
    advice = None if nowcast is None else nowcast.call_in
    if nowcast is None or advice is None:
        return None
    return CallInBody(
        horizon=advice.horizon,
        counters=advice.counters,
        group=advice.group,
        max_extra=advice.max_extra,
        budget=round(1.0 - view.info.objective, 6),
        breach_probability_now=nowcast.breach_probability.get(advice.horizon),
        breach_probability=advice.breach_probability,
    )
