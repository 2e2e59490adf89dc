"""The SimPy behaviours :class:`sim.model.wakeup.Wakeup` relies on (SimPy 4.1)."""

from __future__ import annotations

import simpy

from sim.model.wakeup import Wakeup


def test_a_wakeup_fires_each_time_it_is_armed_with_its_value() -> None:
    env = simpy.Environment()
    fired: list[tuple[float, int, object]] = []

    def again(event: Wakeup) -> None:
        fired.append((env.now, event.index, event.value))
        if len(fired) < 3:
            wake.arm(2.5)

    wake = Wakeup(env, again, 7)
    wake.arm(1.0)
    env.run()
    assert fired == [(1.0, 7, 7), (3.5, 7, 7), (6.0, 7, 7)]
    assert wake.processed and wake.ok and wake.callbacks is None  # SimPy cleared the list


def test_same_time_events_run_in_scheduling_order() -> None:
    env = simpy.Environment()
    order: list[str] = []
    first = Wakeup(env, lambda e: order.append("first"), 0)
    timeout = env.timeout(1.0)
    timeout.callbacks.append(lambda e: order.append("timeout"))
    second = Wakeup(env, lambda e: order.append("second"), 1)
    first.arm(1.0)
    second.arm(1.0)
    env.run()
    assert order == ["timeout", "first", "second"]


def test_an_unarmed_wakeup_does_not_keep_the_run_going() -> None:
    env = simpy.Environment()
    Wakeup(env, lambda e: None, 0)
    env.timeout(5.0)
    env.run()
    assert env.now == 5.0
