"""One SimPy event object re-armed for every wake-up, instead of a new
``Timeout`` per customer.

A counter has at most one pending completion and the arrival chain one pending
arrival, so each owns one :class:`Wakeup` that is scheduled again after it
fires. This keeps SimPy's scheduler and callbacks but drops an allocation per
customer from the hot loop. It is the only place that reaches SimPy's
internals (the hall's inlined arms go through the references it keeps), and it
relies on these behaviours of SimPy 4.1 (pinned in ``pyproject.toml``;
``tests/sim/model/test_wakeup.py`` checks each):

* an event whose ``_ok`` and ``_value`` are set is processed as a success when
  ``env.schedule`` puts it on the queue, without ``succeed()``;
* processing sets ``callbacks`` to ``None`` and calls each function of the
  list it took, without changing that list, so re-arming may hand the same
  one-element list back;
* ``env.schedule(event, priority, delay)`` is one push of ``(env.now + delay,
  priority, next(env._eid), event)`` onto the heap ``env._queue``, which the run
  pops in that order: :meth:`Wakeup.arm` makes the push itself (a method call
  less per customer), from a time it is given (see :meth:`Wakeup.arm`), onto
  the heap and counter it took when made (SimPy never rebinds them);
* the hall's two per-customer places that start a service
  (``sim.model.hall._Hall._on_done``, ``sim.model.arrivals.Arrivals._take``)
  repeat :meth:`Wakeup.arm`'s four lines instead of calling it (a Python call
  per served customer), through the public ``armed``, ``numbers`` and ``heap``;
* events due at the same time and priority are processed in scheduling order,
  that is by the number drawn from ``env._eid`` when scheduled, which the
  hall draws ahead (``next(wakeup.numbers)``, as ``arm`` would) for a later
  :meth:`Wakeup.arm_as`.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush

import simpy
from simpy.events import NORMAL


class Wakeup(simpy.Event):
    """Calls ``callback(self)`` each time it fires. ``index`` says whose it is
    (a counter's index, say) and ``at_s`` when it fires (the current time while
    its callback runs), both plain attributes: the hot loop reads them once per
    customer, and ``at_s`` spares it the ``env.now`` property."""

    def __init__(
        self, env: simpy.Environment, callback: Callable[[Wakeup], None], index: int
    ) -> None:
        super().__init__(env)
        self._ok = True
        self._value = index
        self.index = index
        self.at_s = env.now
        self.eid = -1  # the scheduling number it was last armed with
        self.armed: list[Callable[[Wakeup], None]] = [callback]  # callbacks when armed
        # the environment's, never rebound: the heap and the scheduling numbers
        self.heap, self.numbers = env._queue, env._eid

    def arm(self, delay_s: float, now_s: float) -> float:
        """Fire at ``now_s + delay_s`` (that sum, as ``env.schedule`` computes it
        from ``env.now``) and return that time; the event must not be pending. ``now_s`` is the
        current time, or a later one that a callback has moved on to without
        SimPy's clock: it handles, in one go, what SimPy would have run next
        anyway (see ``sim.model.arrivals.Arrivals._on_arrival``)."""
        self.at_s = at_s = now_s + delay_s
        self.callbacks = self.armed
        self.eid = eid = next(self.numbers)  # its place among events due at the same time
        heappush(self.heap, (at_s, NORMAL, eid, self))  # env.schedule, from now_s
        return at_s

    def arm_as(self, at_s: float, eid: int) -> None:
        """Fire at ``at_s`` in the place ``eid`` among events due then: an
        ``arm`` whose scheduling number was drawn earlier, when it was due to
        be armed (see ``sim.model.arrivals.Arrivals._schedule``)."""
        self.at_s = at_s
        self.callbacks = self.armed
        self.eid = eid
        heappush(self.heap, (at_s, NORMAL, eid, self))

    def release(self) -> None:
        """Let go of the callback for good. A callback is usually a method of
        the object that owns this Wakeup, which makes a reference cycle: kept
        until the cycle collector's next full pass, which walks everything the
        owner holds (a hall's per-customer lists) before freeing it."""
        self.armed = []
