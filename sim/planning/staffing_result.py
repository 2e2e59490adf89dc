"""What ``hallsim staff`` reports, typed: per interval the demand, every
plan's counts of the resized groups, the counters the other (fixed) groups
staff, the total counters each plan staffs, and the service level each plan
achieves when simulated. ``to_json()`` gives the documented ``--json`` body."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sim.model.calendar import counter_instances, intervals
from sim.model.scenario import Scenario
from sim.model.summary import Json, Target
from sim.model.units import format_clock
from sim.planning.staffing import Evaluation, Plan, apply_plan, meets, offered_load
from sim.runs.experiment import target_of

CRITERION = "lower end of the 95% CI of the interval's service level >= target"


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
class PlanTotals:
    """One plan over the day: the resized groups' counter-hours, the intervals
    that miss the target when it is simulated, and what finding it took."""

    method: str
    staff_hours: float
    intervals_missing: int
    evaluations: int
    iterations: int

    def to_json(self) -> Json:
        return {
            "method": self.method,
            "staff_hours": self.staff_hours,
            "intervals_missing": self.intervals_missing,
            "evaluations": self.evaluations,
            "iterations": self.iterations,
        }


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """A plan's simulated service level in one interval: mean and 95% CI ends."""

    mean: float
    ci95_lower: float
    ci95_upper: float

    def to_json(self) -> Json:
        return {"mean": self.mean, "ci95_lower": self.ci95_lower, "ci95_upper": self.ci95_upper}


@dataclass(frozen=True, slots=True)
class StaffingRow:
    """One statistics interval: demand, each plan's counts of the resized groups
    (``counts[method][group]``), the fixed groups' counters, each plan's total
    counters and simulated service level."""

    start: str  # ``09:30``
    arrivals_per_hour: float
    offered_load: float
    counts: dict[str, dict[str, int]]
    fixed: dict[str, int]
    total: dict[str, int]
    service_level: dict[str, ServiceLevel]

    def to_json(self) -> Json:
        return {
            "start": self.start,
            "arrivals_per_hour": self.arrivals_per_hour,
            "offered_load": self.offered_load,
            "counts": {m: dict(c) for m, c in self.counts.items()},
            "fixed": dict(self.fixed),
            "total": dict(self.total),
            "service_level": {m: sl.to_json() for m, sl in self.service_level.items()},
        }


@dataclass(frozen=True, slots=True)
class StaffingResult:
    """The plans for hall ``scenario`` (display name ``name``): ``groups`` are
    the resized groups, ``fixed_groups`` the others; counts change only every
    ``step_s`` seconds; ``seconds`` is the wall time, when measured."""

    scenario: str
    name: str | None
    timezone: str
    target: Target
    replications: int
    seed: int
    step_s: float
    groups: list[str]
    fixed_groups: list[str]
    plans: list[PlanTotals]
    intervals: list[StaffingRow]
    seconds: float | None = None
    all_groups: tuple[str, ...] = ()  # every counter group in scenario order (for colours)

    @property
    def methods(self) -> list[str]:
        return [p.method for p in self.plans]

    def to_json(self) -> Json:
        """The documented ``hallsim staff --json`` body."""
        out: Json = {
            "scenario": self.scenario,
            "target": self.target.to_json(),
            "replications": self.replications,
            "seed": self.seed,
            "step_s": self.step_s,
            "groups": list(self.groups),
            "fixed_groups": list(self.fixed_groups),
            "criterion": CRITERION,
            "plans": [p.to_json() for p in self.plans],
            "intervals": [row.to_json() for row in self.intervals],
        }
        if self.seconds is not None:
            out["seconds"] = self.seconds
        return out


def staffing_result(
    scn: Scenario,
    plans: Sequence[Plan],
    evaluations: Sequence[Evaluation],
    replications: int,
    seed: int,
    step_s: float | None = None,
) -> StaffingResult:
    """The result of ``hallsim staff`` for ``plans`` and their simulated
    ``evaluations`` (same order)."""
    rates, loads, _ = offered_load(scn)
    resized = plans[0].groups
    groups = [scn.counters[g].id for g in resized]
    fixed_groups = [g.id for i, g in enumerate(scn.counters) if i not in resized]
    fixed_counts = staffed_per_group(scn)
    staffed = {p.method: staffed_per_group(apply_plan(scn, p.groups, p.counts)) for p in plans}
    target = scn.target.service_level
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
                service_level={
                    p.method: ServiceLevel(ev.mean[i], ev.lower[i], ev.upper[i])
                    for p, ev in zip(plans, evaluations, strict=True)
                },
            )
        )
    totals = [
        PlanTotals(
            p.method,
            p.staff_hours(scn),
            sum(not ok for ok in meets(ev, target)),
            p.evaluations,
            p.iterations,
        )
        for p, ev in zip(plans, evaluations, strict=True)
    ]
    return StaffingResult(
        scenario=scn.hall,
        name=scn.name,
        timezone=scn.timezone,
        target=target_of(scn),
        replications=replications,
        seed=seed,
        step_s=scn.interval if step_s is None else step_s,
        groups=groups,
        fixed_groups=fixed_groups,
        plans=totals,
        intervals=rows,
        all_groups=tuple(g.id for g in scn.counters),
    )
