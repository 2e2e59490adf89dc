"""The SimPy behaviours :class:`sim.model.wakeup.Wakeup` relies on (SimPy 4.1)."""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.model.wakeup import Wakeup


def test_a_wakeup_fires_each_time_it_is_armed_with_its_value() -> None:
    env = simpy.Environment()
    fired: list[tuple[float, float, int, object]] = []

    def again(event: Wakeup) -> None:
        fired.append((env.now, event.at_s, event.index, event.value))
        if len(fired) < 3:
            wake.arm(2.5, env.now)

    wake = Wakeup(env, again, 7)
    wake.arm(1.0, env.now)
    env.run()
    assert fired == [(1.0, 1.0, 7, 7), (3.5, 3.5, 7, 7), (6.0, 6.0, 7, 7)]
    assert wake.processed and wake.ok and wake.callbacks is None  # SimPy cleared the list


def test_processing_leaves_the_callback_list_as_it_was() -> None:
    """Re-arming hands SimPy the same one-element list each time."""
    env = simpy.Environment()
    seen: list[object] = []

    def again(event: Wakeup) -> None:
        if len(seen) < 2:
            wake.arm(1.0, env.now)
            seen.append(wake.callbacks)

    wake = Wakeup(env, again, 0)
    wake.arm(1.0, env.now)
    first = wake.callbacks
    env.run()
    assert seen == [first, first] and seen[0] is first and first == [again]


def test_it_fires_at_the_sum_schedule_computes_bit_for_bit() -> None:
    """``now + delay`` with a delay that does not add exactly: the event's time is
    that rounded sum, the same as a ``Timeout`` of the same delay gets."""
    now, delay = 0.1, 0.2  # 0.1 + 0.2 == 0.30000000000000004
    env = simpy.Environment(now)
    times: dict[str, float] = {}

    def note(name: str) -> Callable[[simpy.Event], None]:
        return lambda e: times.update({name: env.now})

    wake = Wakeup(env, note("wakeup"), 0)
    wake.arm(delay, env.now)
    timeout = env.timeout(delay)
    timeout.callbacks.append(note("timeout"))
    env.run()
    assert times == {"wakeup": now + delay, "timeout": now + delay}
    assert wake.at_s == now + delay != 0.3


def test_same_time_events_run_in_scheduling_order() -> None:
    env = simpy.Environment()
    order: list[str] = []
    first = Wakeup(env, lambda e: order.append("first"), 0)
    timeout = env.timeout(1.0)
    timeout.callbacks.append(lambda e: order.append("timeout"))
    second = Wakeup(env, lambda e: order.append("second"), 1)
    first.arm(1.0, env.now)
    second.arm(1.0, env.now)
    later = env.timeout(1.0)
    later.callbacks.append(lambda e: order.append("later"))
    env.run()
    assert order == ["timeout", "first", "second", "later"]


def test_armed_from_a_time_ahead_of_the_clock_it_fires_then() -> None:
    """A callback that has moved on to a later time (an arrival taken early) arms
    from that time; SimPy pops the event in its place among the others."""
    env = simpy.Environment()
    order: list[tuple[str, float]] = []
    wake = Wakeup(env, lambda e: order.append(("wakeup", env.now)), 0)

    def at_one(event: simpy.Event) -> None:
        wake.arm(0.5, 2.0)  # from 2.0, while SimPy's clock says 1.0

    env.timeout(1.0).callbacks.append(at_one)
    env.timeout(2.25).callbacks.append(lambda e: order.append(("timeout", env.now)))
    env.timeout(2.5).callbacks.append(lambda e: order.append(("tie", env.now)))
    env.run()
    assert order == [("timeout", 2.25), ("tie", 2.5), ("wakeup", 2.5)]


def test_an_unarmed_wakeup_does_not_keep_the_run_going() -> None:
    env = simpy.Environment()
    Wakeup(env, lambda e: None, 0)
    env.timeout(5.0)
    env.run()
    assert env.now == 5.0


def test_a_finished_hall_is_freed_without_the_cycle_collector() -> None:
    """The hall's callbacks are its own methods, held by its Wakeups: released
    at the end of the run, the hall goes as soon as it is dropped."""
    import gc
    import weakref

    from sim.model.demand import draw_demand
    from sim.model.hall import _Hall
    from sim.model.scenario import scenario_from_dict

    scn = scenario_from_dict(
        {
            "hall": "small",
            "target": {"wait": "10m"},
            "horizon": {"duration": "2h"},
            "services": {"s": {"service_time": {"dist": "exponential", "mean": "4m"}}},
            "segments": {"all": {"share": 1.0}},
            "arrivals": {"mix": {"s": 1.0}, "rate_per_hour": 40},
            "counters": [{"id": "C", "count": 3, "services": ["s"]}],
        }
    )
    hall = _Hall(scn, draw_demand(scn, 1, 0))
    gone = weakref.ref(hall)
    gc.disable()
    try:
        hall.run()
        del hall
        assert gone() is None
    finally:
        gc.enable()
