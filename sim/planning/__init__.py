"""The planner's questions: Erlang B/C/A, counters per interval (staffing),
people on shifts (roster) and what-ifs (compare and sweep under common random
numbers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._exports import lazy

if TYPE_CHECKING:
    from sim.planning.erlang import ErlangA as ErlangA
    from sim.planning.erlang import erlang_a as erlang_a
    from sim.planning.erlang import erlang_c as erlang_c
    from sim.planning.grid import apply_plan as apply_plan
    from sim.planning.roster import Roster as Roster
    from sim.planning.roster import RosterError as RosterError
    from sim.planning.roster import RosterRules as RosterRules
    from sim.planning.roster import load_rules as load_rules
    from sim.planning.roster import solve_roster as solve_roster
    from sim.planning.roster.batch import roster_halls as roster_halls
    from sim.planning.roster.week import WeekRoster as WeekRoster
    from sim.planning.roster.week import solve_week as solve_week
    from sim.planning.simplan import sim_plan as sim_plan
    from sim.planning.staffing import Plan as Plan
    from sim.planning.staffing import erlang_plan as erlang_plan
    from sim.planning.weekplan import plan_days as plan_days
    from sim.planning.whatif import CompareResult as CompareResult
    from sim.planning.whatif import SweepPoint as SweepPoint
    from sim.planning.whatif import apply_sets as apply_sets
    from sim.planning.whatif import compare as compare
    from sim.planning.whatif import sweep as sweep

__getattr__, __all__ = lazy(
    __name__,
    {
        "erlang_c": "erlang",
        "erlang_a": "erlang",
        "ErlangA": "erlang",
        "Plan": "staffing",
        "erlang_plan": "staffing",
        "sim_plan": "simplan",
        "plan_days": "weekplan",
        "apply_plan": "grid",
        "solve_roster": "roster",
        "Roster": "roster",
        "RosterError": "roster",
        "load_rules": "roster",
        "RosterRules": "roster",
        "solve_week": "roster.week",
        "WeekRoster": "roster.week",
        "roster_halls": "roster.batch",
        "compare": "whatif",
        "sweep": "whatif",
        "CompareResult": "whatif",
        "SweepPoint": "whatif",
        "apply_sets": "whatif",
    },
)
