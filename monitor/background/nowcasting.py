"""The nowcast between the live core and the simulator: a hall's live queue
picture as the simulation's starting point (:func:`hall_start`), the configured
precision as the nowcast takes it, and a nowcast's result as the collector
publishes it (:func:`published`, horizons as labels). The loops that run it
are in :mod:`monitor.background.loops`."""

from __future__ import annotations

import math

from monitor.core.modelconfig import NowcastConfig
from monitor.core.snapshot import HORIZON_S, NowcastNow, QueuePicture
from sim.live.demandlevel import DemandLevel
from sim.live.nowcast import Nowcast, Precision
from sim.live.warmstart import BusyCounter, HallStart, WaitingTicket
from sim.model.scenario import Scenario

_LABEL = {seconds: label for label, seconds in HORIZON_S.items()}


def hall_start(
    picture: QueuePicture, scn: Scenario, local_now_s: float, level: DemandLevel | None = None
) -> HallStart:
    """The simulation's starting point for a live queue picture taken at
    ``local_now_s`` (seconds after the hall's local midnight), with the day's
    demand ``level`` when known. Tickets and customers of services or segments
    the scenario does not know are left out: the model cannot say how long
    they take."""
    return HallStart(
        now_s=local_now_s,
        waiting=tuple(
            _waiting(s, g, w, travel)
            for (s, g, w), travel in zip(picture.waiting, _travel(picture), strict=True)
            if s in scn.services and g in scn.segments
        ),
        busy=tuple(
            # the wait before the call tells how likely a no-show is only for a
            # segment whose patience the scenario knows
            BusyCounter(c, s, e, segment=g, waited_s=w)
            if g in scn.segments
            else BusyCounter(c, s, e, segment=None)
            for (c, s, g, e), w in zip(picture.busy, _waited(picture), strict=True)
            if s in scn.services
        ),
        open_counters=picture.open_counters,
        issued=None
        if picture.issued is None
        else sum(n for s, n in picture.issued.items() if s in scn.services),
        level=level,
    )


def _waiting(service: str, segment: str, waited_s: float, travel: float | None) -> WaitingTicket:
    """A waiting ticket of the picture as the simulation takes it: taken in the
    hall (``travel`` NaN), or from afar, its holder on the way (None) or checked
    in ``travel`` seconds after taking it (no later than now)."""
    if travel is not None and math.isnan(travel):
        return WaitingTicket(service, segment, waited_s)
    return WaitingTicket(
        service, segment, waited_s, remote=True,
        travel_s=None if travel is None else min(travel, waited_s),
    )  # fmt: skip


def _travel(picture: QueuePicture) -> tuple[float | None, ...]:
    """Per waiting ticket, its travel (none given: each taken in the hall)."""
    travel = picture.waiting_travel
    if len(travel) != len(picture.waiting):
        return (math.nan,) * len(picture.waiting)
    return travel


def _waited(picture: QueuePicture) -> tuple[float | None, ...]:
    """Per busy counter, how long its ticket waited before the call (None: unknown)."""
    waited = picture.busy_waited
    if len(waited) != len(picture.busy):
        return (None,) * len(picture.busy)
    return waited


def precision_of(conf: NowcastConfig) -> Precision | None:
    """The configured precision as the nowcast takes it."""
    p = conf.precision
    if p is None:
        return None
    return Precision(p.wait, p.wait_ratio, p.probability, p.min_replications)


def published(result: Nowcast, computed_s: float, computed_at_s: float | None = None) -> NowcastNow:
    """A nowcast as the collector publishes it (horizons as labels), as of
    ``computed_s`` (Unix seconds of the state it started from), computed at the
    wall time ``computed_at_s``."""

    def by_label(table: dict[tuple[str, float], float]) -> dict[tuple[str, str], float]:
        return {(svc, _LABEL[h]): v for (svc, h), v in table.items() if h in _LABEL}

    return NowcastNow(
        computed_s=computed_s,
        wait_s=by_label(result.wait_s),
        breach_probability={
            _LABEL[h]: p for h, p in result.breach_probability.items() if h in _LABEL
        },
        present_queue=dict(result.present_queue),
        computed_at_s=computed_at_s,
        wait_median_s=by_label(result.wait_median_s),
        wait_p90_s=by_label(result.wait_p90_s),
        service_breach_probability=by_label(result.service_breach_probability),
        replications=result.replications,
    )
