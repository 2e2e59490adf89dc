"""The textbook SimPy queue, as a reference for the hall model.

A process per customer requests one of ``c`` identical counters of a
:class:`simpy.PriorityResource` and reneges with the pattern from the SimPy
documentation, ``result = yield request | env.timeout(patience_s)``. It knows
nothing of shifts, kiosks, balking, appointments or no-shows, so it covers the
simple case only: one service, one counter group, a stationary horizon.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import simpy

from sim.model.demand import Demand
from sim.model.records import ABANDONED, SERVED, UNSERVED
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class TextbookRun:
    """Per customer, in the order of the demand: outcome code, call and end times (s)."""

    outcome: np.ndarray
    called_s: np.ndarray
    ended_s: np.ndarray


def run_textbook(scn: Scenario, demand: Demand) -> TextbookRun:
    """Serve ``demand`` at the single counter group of ``scn``: the best
    (segment priority, arrival time) request gets the next free counter, and a
    customer still waiting after ``patience_s`` cancels the request and leaves."""
    if not scn.stationary or len(scn.counters) != 1 or scn.kiosks or len(scn.services) != 1:
        raise ValueError("the textbook model covers one service at one stationary counter group")
    if scn.arrivals.appointments is not None or scn.no_show_delay != 0:
        raise ValueError("the textbook model has no appointments and no no-shows")
    if any(seg.balk_if_queue_over is not None for seg in scn.segments.values()):
        raise ValueError("the textbook model has no balking")
    (group,) = scn.counters
    ((_, servers),) = group.count
    priority = [seg.priority for seg in scn.segments.values()]

    env = simpy.Environment()
    desk = simpy.PriorityResource(env, capacity=int(servers))
    n = len(demand)
    outcome = np.full(n, UNSERVED, dtype=np.int8)
    called_s = np.full(n, math.nan)
    ended_s = np.full(n, math.nan)

    def customer(i: int) -> Generator[simpy.Event, object, None]:
        patience_s = float(demand.patience_s[i])
        # SimPy orders requests by (priority, time of request), here (segment priority, arrival)
        request = desk.request(priority=priority[int(demand.segment[i])])
        if math.isinf(patience_s):
            yield request
        else:
            result = yield request | env.timeout(patience_s)
            assert isinstance(result, simpy.events.ConditionValue)
            if request not in result:
                request.cancel()
                outcome[i] = ABANDONED
                return
        called_s[i] = env.now
        yield env.timeout(float(demand.work_s[i]) / group.speed)
        ended_s[i] = env.now
        outcome[i] = SERVED
        desk.release(request)

    def arrivals() -> Generator[simpy.Event, object, None]:
        for i, t_s in enumerate(demand.arrival_s.tolist()):
            yield env.timeout(t_s - env.now)
            env.process(customer(i))

    env.process(arrivals())
    env.run()
    return TextbookRun(outcome, called_s, ended_s)
