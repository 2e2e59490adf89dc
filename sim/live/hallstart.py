"""What a warm start starts from and what one of its runs gives back: a hall's
live state (:class:`HallStart`: the tickets waiting, the counters busy and
open, the day's demand so far), the probes a run takes tickets for, and a
run's result (:class:`WarmRun`). :mod:`sim.live.warmstart` runs them and
re-exports these names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.live.demandlevel import DemandLevel
from sim.model.records import Records


@dataclass(frozen=True)
class WaitingTicket:
    """A ticket taken ``waited_s`` seconds ago and not yet called. ``remote``:
    taken from afar (``arrivals.remote``); its holder checked in ``travel_s``
    after taking it, or, ``travel_s`` None, is still on the way."""

    service: str
    segment: str
    waited_s: float
    appointment: bool = False  # booked: called with the appointments' priority
    remote: bool = False
    travel_s: float | None = None  # a remote ticket's, once its holder checked in

    @property
    def away(self) -> bool:
        """Taken from afar, its holder not in the hall yet."""
        return self.remote and self.travel_s is None

    @property
    def in_hall_s(self) -> float:
        """How long its holder has been in the hall (0 while on the way)."""
        if not self.remote:
            return self.waited_s
        return 0.0 if self.travel_s is None else max(self.waited_s - self.travel_s, 0.0)


@dataclass(frozen=True)
class BusyCounter:
    """Counter ``counter`` has called a ticket of ``service`` ``elapsed_s`` seconds
    ago and is serving it (or still calling it); without ``segment`` the record
    uses the counter's largest segment. ``waited_s``: how long that ticket had
    waited when called; known, the customer may turn out a no-show (see the
    module docstring); ``None``: the customer is taken to be there."""

    counter: str
    service: str
    elapsed_s: float
    segment: str | None = None
    waited_s: float | None = None


@dataclass(frozen=True)
class HallStart:
    """A hall at ``now_s`` (seconds after local midnight, the scenario's clock).
    ``open_counters``: the counters staffed now (``None``: as scheduled). Counter
    names the scenario does not know are ignored, here and in ``busy``.
    ``issued``: counter tickets issued today so far; with it (and day noise in
    the scenario) the rest of the day's demand level follows from it
    (:mod:`sim.live.demandlevel`); ``None``: drawn as for a new day.
    ``level``: the rest of the day's demand factor as the drift test read it
    from the day's tickets (:attr:`sim.live.drift.HallDrift.level`); when
    given, it is drawn from, instead of what ``issued`` says."""

    now_s: float
    waiting: tuple[WaitingTicket, ...] = ()
    busy: tuple[BusyCounter, ...] = ()
    open_counters: tuple[str, ...] | None = None
    issued: int | None = None
    level: DemandLevel | None = None


@dataclass(frozen=True)
class Probe:
    """A virtual walk-in ticket of ``service`` and ``segment`` taken at ``at_s``: no work,
    endless patience, never balks, not on the display; only its wait is kept."""

    at_s: float
    service: str
    segment: str


@dataclass(frozen=True)
class WarmRun:
    """One run from a :class:`HallStart`: records of the present customers (in
    arrival order; one in service counts as called when service began), then of
    those to come; each probe's wait (NaN: never called); the end time. A run
    with probes ends when the last is called (unless ``run_to_end``) and leaves
    what is under way as it is: no ``ended_s``, or unserved with NaN times."""

    records: Records
    probe_wait_s: np.ndarray
    end_s: float
