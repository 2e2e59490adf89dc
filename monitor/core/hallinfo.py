"""What a configured hall publishes about itself: its identity and labels
(:class:`~monitor.core.snapshot.HallInfo`) and the bounds of its histograms."""

from __future__ import annotations

from monitor.core.config import Hall
from monitor.core.snapshot import HallInfo
from sim.model.calendar import counter_instances

WAIT_BOUNDS_S = (60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2700.0, 3600.0, 7200.0)
SERVICE_BOUNDS_S = (30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0)


def hall_info(hall: Hall) -> HallInfo:
    """The published identity of a configured hall."""
    scn = hall.scenario
    remote_share = scn.arrivals.remote.share if scn.arrivals.remote is not None else {}
    return HallInfo(
        id=hall.id,
        name=hall.name,
        district=hall.district,
        city=hall.city,
        services=tuple(scn.services),
        segments=tuple(scn.segments),
        counters=tuple(i.name for i in counter_instances(scn) if not i.kiosk),
        target_wait_s=hall.target_wait_s,
        objective=hall.objective,
        service_names=tuple((k, v.name) for k, v in scn.services.items() if v.name),
        segment_names=tuple((k, v.name) for k, v in scn.segments.items() if v.name),
        opens_s=None if scn.stationary else scn.open,
        closes_s=None if scn.stationary else scn.close,
        clock=hall.clock,
        counter_groups=tuple(
            (i.name, scn.counters[i.group].id) for i in counter_instances(scn) if not i.kiosk
        ),
        location=None if hall.location is None else (hall.location.lat, hall.location.lon),
        offered=hall.services,
        remote=tuple(sorted(s for s, share in remote_share.items() if share > 0)),
    )


def wait_bounds(target_wait_s: float) -> tuple[float, ...]:
    """Wait histogram bounds: 1 minute to 2 hours, and the target itself."""
    return tuple(sorted({*WAIT_BOUNDS_S, float(target_wait_s)}))
