"""One SimPy event object re-armed for every wake-up, instead of a new
``Timeout`` per customer.

A counter has at most one pending completion and the arrival chain one pending
arrival, so each owns one :class:`Wakeup` that is scheduled again after it
fires. This keeps SimPy's scheduler and callbacks but drops an allocation per
customer from the hot loop. It is the only place that touches SimPy's
internals, and it relies on three behaviours of SimPy 4.1 (pinned in
``pyproject.toml``; ``tests/sim/model/test_wakeup.py`` checks each):

* an event whose ``_ok`` and ``_value`` are set is processed as a success when
  ``env.schedule`` puts it on the queue, without ``succeed()``;
* processing sets ``callbacks`` to ``None``, so re-arming must give it a new list;
* events due at the same time and priority are processed in scheduling order.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy


class Wakeup(simpy.Event):
    """Calls ``callback(self)`` each time it fires. ``index`` says whose it is
    (a counter's index, say), read by the callback as a plain attribute: the
    hot loop reads it once per customer."""

    def __init__(
        self, env: simpy.Environment, callback: Callable[[Wakeup], None], index: int
    ) -> None:
        super().__init__(env)
        self._ok = True
        self._value = index
        self.index = index
        self._callback = callback

    def arm(self, delay_s: float) -> None:
        """Fire ``delay_s`` seconds from now (the event must not be pending)."""
        self.callbacks = [self._callback]
        self.env.schedule(self, simpy.events.NORMAL, delay_s)
