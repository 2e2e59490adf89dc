"""What ``hallsim events`` wrote, typed until the edge (:class:`EventsSummary`);
``to_json()`` gives the documented ``--json`` body, pinned by
``tests/golden/events-county.json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sim.model.summary import Json


@dataclass(frozen=True)
class EventsSummary:
    """A simulated log: the scenario's hall, the days simulated from ``start``
    with ``seed``, how give-ups were logged, the hall's time zone, the file
    written (None: stdout), the number of events and of each kind (in the
    format's order of kinds), and the first and last time stamps (None for an
    empty log)."""

    scenario: str
    start: date
    days: int
    seed: int
    abandon_events: str
    timezone: str
    out: str | None
    events: int
    by_kind: Mapping[str, int] = field(default_factory=dict)
    first_ts: datetime | None = None
    last_ts: datetime | None = None

    def to_json(self) -> Json:
        return {
            "scenario": self.scenario,
            "start": self.start.isoformat(),
            "days": self.days,
            "seed": self.seed,
            "abandon_events": self.abandon_events,
            "timezone": self.timezone,
            "out": self.out,
            "events": self.events,
            "by_kind": dict(self.by_kind),
            "first_ts": self.first_ts.isoformat() if self.first_ts else None,
            "last_ts": self.last_ts.isoformat() if self.last_ts else None,
        }
