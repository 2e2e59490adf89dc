"""How staffing judges an interval: whose customers it answers for, and when it
meets the target.

Two ways to give each customer to an interval (``Judge``):

- ``arrival`` (the usual service level, as ``hallsim run`` reports it): the
  interval the customer arrived in. A customer who arrives late in a thin
  quarter hour and is called by the next quarter hour's counters counts for the
  thin one, so a thin interval can borrow the next one's counters unnoticed.
- ``called``: the interval in which the customer's wait ended: when a counter
  called them (a late call is a miss), when they gave up or balked (a miss).
  The interval whose counters call a customer answers for them, as contact
  centres count service level by the interval a call is answered in. Over the
  whole day both give the same service level.

An interval *meets the target* on a simulated day when its service level
reaches ``target.service_level`` (an interval nobody is judged in meets it). A
plan meets the target in an interval when the **probability** that a day meets
it there is at least ``probability``: estimated as the share of replications
that do, with its Wilson 95% interval. Replications are added (common random
numbers: replication *r* of every plan sees the same customers) only while that
interval is *close*, its interval containing ``probability``, up to a cap; a
decision still close at the cap goes by the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from sim.model.calendar import intervals
from sim.model.kpis import interval_service_levels
from sim.model.records import SERVED, Records
from sim.model.scenario import Scenario
from sim.model.summary import wilson_interval

Judge = Literal["arrival", "called"]
JUDGES: tuple[Judge, ...] = ("arrival", "called")
JUDGE_TEXT = {
    "arrival": "by arrival interval (the customers who arrived in it)",
    "called": "by call interval (the customers called, or giving up, in it)",
}


def called_service_levels(r: Records, scn: Scenario) -> np.ndarray:
    """Service level per interval judged by when each customer's wait ended
    (see the module docstring); NaN where nobody's did."""
    bounds = intervals(scn)
    if not bounds:
        return np.zeros(0)
    counter_cust = ~r.kiosk & (r.arrival_s >= bounds[0][0]) & (r.arrival_s < bounds[-1][1])
    arrival = r.arrival_s[counter_cust]
    called = r.called_s[counter_cust]
    # called (served, or a no-show called), else gone (abandoned, balked, turned
    # away), else still waiting when the run ended: the hall's last moment
    ended = np.where(np.isnan(called), r.left_s[counter_cust], called)
    ended = np.where(np.isnan(ended), np.inf, ended)
    hit = (r.outcome[counter_cust] == SERVED) & (called - arrival <= scn.target.wait)
    starts = np.array([start for start, _ in bounds])
    # waits ending after closing (counters working on after the doors shut): the last interval
    which = np.clip(np.searchsorted(starts, ended, side="right") - 1, 0, len(bounds) - 1)
    ended_n = np.bincount(which, minlength=len(bounds)).astype(float)
    hits = np.bincount(which, weights=hit, minlength=len(bounds))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ended_n > 0, hits / ended_n, np.nan)


def judged_service_levels(r: Records, scn: Scenario, judge: Judge) -> np.ndarray:
    """Service level per interval of one simulated day under ``judge``."""
    if judge == "called":
        return called_service_levels(r, scn)
    levels: np.ndarray = interval_service_levels(r, scn)
    return levels


@dataclass(frozen=True, slots=True)
class MeetRule:
    """When a plan meets the target in an interval: ``target`` service level,
    reached on a day with probability at least ``probability``, customers
    given to intervals by ``judge``."""

    target: float
    probability: float
    judge: Judge = "arrival"

    def met(self, levels: np.ndarray) -> np.ndarray:
        """Per replication and interval: did the day meet the target there?
        (NaN, nobody judged: met.)"""
        met: np.ndarray = np.isnan(levels) | (levels >= self.target - 1e-12)
        return met


@dataclass(frozen=True, slots=True)
class IntervalOdds:
    """One interval of a simulated plan: ``met`` of ``days`` replications met
    the target there; the estimated probability and its Wilson 95% interval."""

    met: int
    days: int

    @property
    def probability(self) -> float:
        return self.met / self.days if self.days else float("nan")

    @property
    def ci95(self) -> tuple[float, float]:
        return wilson_interval(self.met, self.days)

    def clear(self, probability: float) -> bool:
        """The 95% interval lies wholly on one side of ``probability``."""
        lo, hi = self.ci95
        return lo >= probability or hi < probability

    def meets(self, probability: float) -> bool:
        """Met clearly, or not clearly missed and estimated at least ``probability``."""
        lo, hi = self.ci95
        if lo >= probability:
            return True
        return hi >= probability and self.probability >= probability - 1e-12
