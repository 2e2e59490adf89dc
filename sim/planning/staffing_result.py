"""What ``hallsim staff`` reports, typed: the rules the plans keep and the
rule they are judged by, then per distinct day of the week each plan's
totals and, per interval, the demand, every group's counters, and each plan
simulated on fresh replications (the service level, and the probability that a
day meets the target there); then the week's counter-hours, paid hours, FTE and
cost. ``to_json()`` gives the documented ``--json`` body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sim.model.calendar import counter_instances, intervals
from sim.model.scenario import Scenario
from sim.model.summary import Json, Stat, Target
from sim.model.units import format_clock
from sim.model.week import Workforce
from sim.planning.cost import contracts_json
from sim.planning.grid import apply_plan
from sim.planning.judge import JUDGE_TEXT, JUDGES, IntervalOdds, Judge, MeetRule
from sim.planning.simplan import SearchSettings
from sim.planning.smooth import PlanRules
from sim.planning.staffing import offered_load
from sim.planning.weekplan import DayToPlan, PlannedDay
from sim.runs.experiment import target_of


def staffed_per_group(scn: Scenario) -> dict[str, list[int]]:
    """Counter group id -> counters staffed (on shift, not on break) at the
    middle of each statistics interval; kiosks apart."""
    mids = [(start + end) / 2 for start, end in intervals(scn)]
    out: dict[str, list[int]] = {}
    for g, group in enumerate(scn.counters):
        members = [c for c in counter_instances(scn) if not c.kiosk and c.group == g]
        out[group.id] = [
            sum(any(a <= mid < b for a, b in c.windows) for c in members) for mid in mids
        ]
    return out


@dataclass(frozen=True, slots=True)
class Odds:
    """The probability that a day meets the target in an interval: ``met`` of
    ``days`` simulated days did; the estimate and its Wilson 95% interval."""

    met: int
    days: int
    estimate: float
    ci95: tuple[float, float]

    @staticmethod
    def of(odds: IntervalOdds) -> Odds:
        return Odds(odds.met, odds.days, odds.probability, odds.ci95)

    def to_json(self) -> Json:
        return {"estimate": self.estimate, "ci95": list(self.ci95), "met": self.met,
                "days": self.days}  # fmt: skip


@dataclass(frozen=True, slots=True)
class IntervalResult:
    """One plan in one interval: its simulated service level (mean over days,
    95% CI bounded to [0, 1]), the probability a day meets the target, and
    whether the plan meets it there."""

    service_level: Stat
    probability: Odds
    meets: bool

    def to_json(self) -> Json:
        return {
            "service_level": self.service_level.to_json(),
            "probability": self.probability.to_json(),
            "meets": self.meets,
        }


@dataclass(frozen=True, slots=True)
class StaffingRow:
    """One interval: demand, each plan's counts of the resized groups
    (``counts[method][group]``), the fixed groups' counters, each plan's total
    counters and result."""

    start: str  # ``09:30``
    arrivals_per_hour: float
    offered_load: float
    counts: dict[str, dict[str, int]]
    fixed: dict[str, int]
    total: dict[str, int]
    result: dict[str, IntervalResult]

    def to_json(self) -> Json:
        return {
            "start": self.start,
            "arrivals_per_hour": self.arrivals_per_hour,
            "offered_load": self.offered_load,
            "counts": {m: dict(c) for m, c in self.counts.items()},
            "fixed": dict(self.fixed),
            "total": dict(self.total),
            "result": {m: r.to_json() for m, r in self.result.items()},
        }


@dataclass(frozen=True, slots=True)
class Money:
    """Counter-hours turned into paid hours, FTE and cost by the scenario's workforce."""

    counter_hours: float  # the resized groups
    hall_counter_hours: float  # every counter group
    paid_hours: float
    fte: float | None  # per week only
    cost: float | None
    # (paid hours, cost) per contract type, at the workforce's contract mix
    by_contract: Mapping[str, tuple[float, float]] | None = None

    @staticmethod
    def of(resized: float, hall: float, workforce: Workforce, week: bool) -> Money:
        return Money(
            resized,
            hall,
            workforce.paid_hours(hall),
            workforce.fte(hall) if week else None,
            workforce.cost(hall),
            workforce.cost_by_contract(hall),
        )

    def to_json(self) -> Json:
        out: Json = {
            "counter_hours": self.counter_hours,
            "hall_counter_hours": self.hall_counter_hours,
            "paid_hours": self.paid_hours,
            "cost": self.cost,
        }
        if self.by_contract is not None:
            out["by_contract"] = contracts_json(self.by_contract, "paid_hours", "cost")
        if self.fte is not None:
            out["fte"] = self.fte
        return out


@dataclass(frozen=True, slots=True)
class PlanTotals:
    """One plan over its day: counter-hours and money, the intervals meeting the
    target under each judge, and what finding it took."""

    method: str
    money: Money
    intervals: int
    meeting: dict[Judge, int]
    evaluations: int
    replications: int
    rounds: int

    def to_json(self) -> Json:
        return {
            "method": self.method,
            **self.money.to_json(),
            "intervals": self.intervals,
            "intervals_meeting": dict(self.meeting),
            "evaluations": self.evaluations,
            "replications": self.replications,
            "rounds": self.rounds,
        }


@dataclass(frozen=True, slots=True)
class DayResult:
    """A distinct day: ``day`` names it (``mon``, a date, ``""`` for every day),
    ``days`` are the days it stands for; closed days have no plans."""

    day: str
    days: tuple[str, ...]
    holiday: str | None
    open: str | None
    close: str | None
    plans: list[PlanTotals] = field(default_factory=list)
    intervals: list[StaffingRow] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.open is None

    def to_json(self) -> Json:
        out: Json = {"day": self.day, "days": list(self.days), "holiday": self.holiday,
                     "closed": self.closed}  # fmt: skip
        if not self.closed:
            out |= {
                "open": self.open,
                "close": self.close,
                "plans": [p.to_json() for p in self.plans],
                "intervals": [row.to_json() for row in self.intervals],
            }
        return out


@dataclass(frozen=True, slots=True)
class StaffingResult:
    """The plans for hall ``scenario`` (display name ``name``): ``groups`` are
    the resized groups, ``fixed_groups`` the others; ``week`` sums each method
    over the days planned (None when only one date is planned); ``seconds`` is
    the wall time, when measured."""

    scenario: str
    name: str | None
    timezone: str
    target: Target
    rule: MeetRule
    rules: PlanRules
    replications: int
    max_replications: int
    seed: int
    interval_s: float
    groups: list[str]
    fixed_groups: list[str]
    workforce: Workforce
    days: list[DayResult]
    week: dict[str, Money] | None
    seconds: float | None = None
    all_groups: tuple[str, ...] = ()  # every counter group in scenario order (for colours)

    @property
    def methods(self) -> list[str]:
        first = next((d for d in self.days if not d.closed), None)
        return [p.method for p in first.plans] if first else []

    @property
    def criterion(self) -> str:
        t = self.target
        return (
            f"a day meets {t.service_level:.0%} called within {t.wait_s / 60:g} min with "
            f"probability >= {self.rule.probability:g}, customers judged "
            f"{JUDGE_TEXT[self.rule.judge]}"
        )

    def to_json(self) -> Json:
        """The documented ``hallsim staff --json`` body."""
        wf = self.workforce
        out: Json = {
            "scenario": self.scenario,
            "target": self.target.to_json(),
            "criterion": self.criterion,
            "probability": self.rule.probability,
            "judge": self.rule.judge,
            "rules": {
                "min_block_s": self.rules.min_block_s,
                "max_change": self.rules.max_change,
                "step_s": self.rules.step_s or self.interval_s,
            },
            "replications": self.replications,
            "max_replications": self.max_replications,
            "seed": self.seed,
            "groups": list(self.groups),
            "fixed_groups": list(self.fixed_groups),
            "workforce": {
                "shrinkage": wf.shrinkage,
                "fte_hours_per_week": wf.fte_hours_per_week,
                "cost_per_hour": wf.cost_per_hour,
                "currency": wf.currency,
            },
            "days": [d.to_json() for d in self.days],
            "week": None if self.week is None else {m: w.to_json() for m, w in self.week.items()},
        }
        if self.seconds is not None:
            out["seconds"] = self.seconds
        return out


def _day_result(planned: PlannedDay, rule: MeetRule, workforce: Workforce) -> DayResult:
    scn = planned.scenario
    rates, loads, _ = offered_load(scn)
    plans = planned.plans
    resized = plans[0].groups
    groups = [scn.counters[g].id for g in resized]
    fixed_groups = [g.id for i, g in enumerate(scn.counters) if i not in resized]
    fixed_counts = staffed_per_group(scn)
    staffed = {p.method: staffed_per_group(apply_plan(scn, p.groups, p.counts)) for p in plans}
    p_min = rule.probability
    per_plan = []
    for odds in planned.odds:
        levels = odds.service_levels()
        chances = odds.odds()
        per_plan.append(
            [
                IntervalResult(level.bounded(0.0, 1.0), Odds.of(c), c.meets(p_min))
                for level, c in zip(levels, chances, strict=True)
            ]
        )
    rows = []
    for i, (start, _) in enumerate(intervals(scn)):
        rows.append(
            StaffingRow(
                start=format_clock(start),
                arrivals_per_hour=float(rates[i]),
                offered_load=float(loads[i]),
                counts={p.method: {g: p.counts[k][i] for k, g in enumerate(groups)} for p in plans},
                fixed={g: fixed_counts[g][i] for g in fixed_groups},
                total={m: sum(per[i] for per in s.values()) for m, s in staffed.items()},
                result={p.method: r[i] for p, r in zip(plans, per_plan, strict=True)},
            )
        )
    totals = [
        PlanTotals(
            p.method,
            Money.of(p.staff_hours(scn), planned.hall_hours(p), workforce, week=False),
            len(rows),
            {j: int(odds.meets(j).sum()) for j in JUDGES},
            p.evaluations,
            p.replications,
            p.rounds,
        )
        for p, odds in zip(plans, planned.odds, strict=True)
    ]
    return DayResult(
        planned.day.key, planned.day.days, planned.day.holiday,
        format_clock(scn.open), format_clock(scn.close), totals, rows,
    )  # fmt: skip


def staffing_result(
    scn: Scenario,
    days: Sequence[DayToPlan],
    planned: Sequence[PlannedDay | None],
    rule: MeetRule,
    rules: PlanRules,
    settings: SearchSettings,
    *,
    week: bool = True,
) -> StaffingResult:
    """The result of ``hallsim staff`` for ``days`` and their plans (same order,
    None for a closed day); ``week`` sums the days into a week."""
    results = []
    for day, plan in zip(days, planned, strict=True):
        if plan is None:
            results.append(DayResult(day.key, day.days, day.holiday, None, None))
        else:
            results.append(_day_result(plan, rule, scn.workforce))
    days_out = results
    first = next(p for p in planned if p is not None)
    resized = first.plans[0].groups
    money = None
    if week:
        money = {}
        for m, method in enumerate(d.method for d in first.plans):
            resized_h = hall_h = 0.0
            for result in days_out:
                if not result.closed:
                    resized_h += result.plans[m].money.counter_hours * len(result.days)
                    hall_h += result.plans[m].money.hall_counter_hours * len(result.days)
            money[method] = Money.of(resized_h, hall_h, scn.workforce, week=True)
    return StaffingResult(
        scenario=scn.hall,
        name=scn.name,
        timezone=scn.timezone,
        target=target_of(scn),
        rule=rule,
        rules=rules,
        replications=settings.replications,
        max_replications=settings.max_replications,
        seed=settings.seed,
        interval_s=scn.interval,
        groups=[scn.counters[g].id for g in resized],
        fixed_groups=[g.id for i, g in enumerate(scn.counters) if i not in resized],
        workforce=scn.workforce,
        days=days_out,
        week=money,
        all_groups=tuple(g.id for g in scn.counters),
    )
