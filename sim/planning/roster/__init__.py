"""Rosters: from the counters a scenario staffs to people on shifts.

A layer cake, bottom first: the rules file (:mod:`.rules`), what must be
covered (:mod:`.demand`: the days and the people per slot after shrinkage),
the shift patterns (:mod:`.patterns`), the one HiGHS call (:mod:`.milp`), the
people (:mod:`.people`, named staff from :mod:`.staff`), the first stage that
counts shifts per kind, day and contract and hires people (its programme in
:mod:`.programme`, its search in :mod:`.counts`), which is the whole of a
one-day roster (:mod:`.day`), and for a week the second stage that gives the
shifts to people (:mod:`.assign`), the joint fallback (:mod:`.joint`) and the
week roster itself (:mod:`.week`); :mod:`.batch` rosters many halls on an
executor and :mod:`.output` writes a one-day roster back as a scenario.
"""

from __future__ import annotations

from sim.planning.roster.day import Roster, Shift, solve_roster
from sim.planning.roster.demand import Requirement, requirement, rostered_groups
from sim.planning.roster.output import rostered_scenario, shift_ids
from sim.planning.roster.problems import RosterError
from sim.planning.roster.rules import RosterRules, load_rules, rules_from_dict

__all__ = [
    "Requirement",
    "Roster",
    "RosterError",
    "RosterRules",
    "Shift",
    "load_rules",
    "requirement",
    "rostered_groups",
    "rostered_scenario",
    "rules_from_dict",
    "shift_ids",
    "solve_roster",
]
