"""What a scenario's staffing costs: its counter-hours on the day it simulates
and over its week, turned into paid hours, full-time equivalents and money by
its ``workforce`` (shrinkage, paid hours per FTE, cost per paid hour)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sim.model.calendar import counter_instances
from sim.model.days import apply_plan as apply_day
from sim.model.days import typical_day
from sim.model.scenario import Scenario
from sim.model.summary import Json
from sim.model.week import WEEKDAYS


def staffed_hours(scn: Scenario) -> float:
    """Counter-hours the one-day scenario staffs between opening and closing
    (every counter's staffed windows, kiosks apart)."""
    close = scn.close
    return (
        sum(
            min(b, close) - a
            for c in counter_instances(scn)
            if not c.kiosk
            for a, b in c.windows
            if a < close
        )
        / 3600.0
    )


@dataclass(frozen=True, slots=True)
class StaffCost:
    """A scenario's counters in people and money (``cost_week`` None when the
    scenario gives no cost per hour)."""

    counter_hours_day: float  # the typical day
    counter_hours_week: float  # every weekday (seven typical days without a week)
    paid_hours_week: float
    fte: float
    cost_week: float | None
    currency: str
    # (paid hours, cost) a week per contract type, at the workforce's contract mix
    by_contract: Mapping[str, tuple[float, float]] | None = None

    def to_json(self) -> Json:
        out: Json = {
            "counter_hours_day": self.counter_hours_day,
            "counter_hours_week": self.counter_hours_week,
            "paid_hours_week": self.paid_hours_week,
            "fte": self.fte,
            "cost_week": self.cost_week,
            "currency": self.currency,
        }
        if self.by_contract is not None:
            out["by_contract"] = contracts_json(self.by_contract, "paid_hours_week", "cost_week")
        return out


def contracts_json(split: Mapping[str, tuple[float, float]], hours_key: str, cost_key: str) -> Json:
    """Each contract type's paid hours and cost under ``hours_key`` and ``cost_key``."""
    return {name: {hours_key: hours, cost_key: cost} for name, (hours, cost) in split.items()}


def staff_cost(scn: Scenario) -> StaffCost:
    """The staffing cost of ``scn`` (a stationary run has no day: zeros)."""
    if scn.stationary:
        return StaffCost(0.0, 0.0, 0.0, 0.0, None, scn.workforce.currency)
    day = staffed_hours(typical_day(scn))
    if scn.week is None:
        week = 7 * day
    else:
        days = [apply_day(scn, scn.week.plan(d)) for d in WEEKDAYS]
        week = sum(staffed_hours(d) for d in days if d is not None)
    wf = scn.workforce
    return StaffCost(
        day, week, wf.paid_hours(week), wf.fte(week), wf.cost(week), wf.currency,
        wf.cost_by_contract(week),
    )  # fmt: skip
