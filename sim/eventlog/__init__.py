"""The ticket-system event format shared by the simulator, the fit and the live
exporter (events: validation, JSON Lines and CSV), and the conversion between a
simulation's records and a day of events (convert)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._exports import lazy

if TYPE_CHECKING:
    from sim.eventlog.convert import day_events as day_events
    from sim.eventlog.convert import replay as replay
    from sim.eventlog.convert import simulate_days as simulate_days
    from sim.eventlog.events import KIND_ORDER as KIND_ORDER
    from sim.eventlog.events import KINDS as KINDS
    from sim.eventlog.events import Event as Event
    from sim.eventlog.events import EventError as EventError
    from sim.eventlog.events import read_events as read_events
    from sim.eventlog.events import write_events as write_events
    from sim.eventlog.modes import AbandonMode as AbandonMode

__getattr__, __all__ = lazy(
    __name__,
    {
        "Event": "events",
        "EventError": "events",
        "KINDS": "events",
        "KIND_ORDER": "events",
        "AbandonMode": "modes",
        "read_events": "events",
        "write_events": "events",
        "day_events": "convert",
        "simulate_days": "convert",
        "replay": "convert",
    },
)
