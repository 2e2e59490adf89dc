"""What the drift test reads of a live day (:mod:`monitor.core.observed`) is
what the simulation's records say the ticket system saw: the same tickets
issued, services (duration, counter) and calls with their outcome, so the
drift test's false-alarm rate, calibrated on simulated days, holds for the
exporter's own reading of a day."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.background.drift import local_observations
from monitor.core.config import Settings
from monitor.core.monitor import Monitor
from sim.eventlog.convert import day_events, to_log_precision
from sim.live.drift import observations_at
from sim.model.hall import simulate
from sim.model.scenario import load_scenario
from tests.monitor.conftest import DAY, ROOT


@pytest.mark.parametrize("until", ["14:30", "23:59"])
def test_the_live_reading_of_a_day_is_the_records_reading(settings: Settings, until: str) -> None:
    scn = load_scenario(ROOT / "scenarios/flagship.yaml")
    records = to_log_precision(simulate(scn, seed=4, replication=0))
    events = day_events(records, scn, DAY, "no_show")
    hours, minutes = map(int, until.split(":"))
    now_local = hours * 3600.0 + minutes * 60
    m = Monitor(settings)
    m.open()
    try:
        midnight = events[0].ts.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        m.ingest(
            m.hall("flagship"), [e for e in events if e.ts.timestamp() - midnight <= now_local]
        )
        day, seen = m.observations("flagship", midnight + now_local)
    finally:
        m.close()
    assert day == DAY.isoformat()
    live = local_observations(seen, DAY, m.zone("flagship"))
    known = observations_at(records, now_local)
    np.testing.assert_allclose(np.sort(live.issued_s), np.sort(known.issued_s), atol=1e-6)
    for name in ("served_end_s", "served_duration_s", "call_known_s", "call_waited_s"):
        np.testing.assert_allclose(
            np.sort(getattr(live, name)), np.sort(getattr(known, name)), atol=2e-6, err_msg=name
        )
    assert sorted(live.served_counter) == sorted(known.served_counter)
    assert sorted(live.call_segment) == sorted(known.call_segment)
    assert int(np.sum(live.call_no_show)) == int(np.sum(known.call_no_show))
