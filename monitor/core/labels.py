"""Bounded label values: what a ticket system may add to ``/metrics``.

The ticket system is the truth, so a service, segment or counter the scenario
does not know is published under its own name -- but only the first
``limit`` such names of a hall's day in each dimension. Later ones are counted
under the label value :data:`OTHER`, and each event that named one is counted
in ``hallmon_label_overflow_total{hall,dimension}``. Without the cap, one
valid token could add a series per junk name and make every scrape slower
until Prometheus' scrape timeout.

Which names get their own label value is decided once, when the batch that
first names them is stored (:func:`admissions`): the names of one batch in
the event time of their first event (ties by event id), batches in the order
they were stored. The decision is stored with the batch, and a restart reads
it back before rebuilding the day, so it publishes the same series whatever
order the events are replayed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter

from monitor.core.rows import Row
from monitor.core.snapshot import LABEL_DIMENSIONS

OTHER = "other"
DIMENSIONS: tuple[str, ...] = LABEL_DIMENSIONS
# a row's service, segment and counter, in the order of DIMENSIONS
_FIELDS: tuple[Callable[[Row], str | None], ...] = tuple(
    itemgetter(Row._fields.index(field)) for field in ("service", "segment", "counter")
)


class LabelCap:
    """The label value of a name in one dimension: configured names and the
    first ``limit`` others as themselves, the rest as :data:`OTHER`."""

    __slots__ = ("admitted", "known", "limit")

    def __init__(self, known: Iterable[str], limit: int) -> None:
        self.known = frozenset(known)
        self.limit = limit
        self.admitted: set[str] = set()

    def label(self, name: str) -> str | None:
        """``name``, or None when it must be published as :data:`OTHER` (a name
        not decided beforehand is admitted while there is room)."""
        if name in self.known or name in self.admitted:
            return name
        if len(self.admitted) < self.limit:
            self.admitted.add(name)
            return name
        return None


Caps = tuple[LabelCap, LabelCap, LabelCap]  # service, segment, counter


def admissions(
    rows: Sequence[Row],
    *,
    current: tuple[str | None, Caps | None],
    ahead: Mapping[str, Sequence[tuple[str, str]]],
    known: tuple[Iterable[str], Iterable[str], Iterable[str]],
    limit: int,
) -> list[tuple[str, str, str]]:
    """(day, dimension, name) newly admitted by ``rows``: only their latest
    local day counts (applying them ends any earlier one); its caps are the
    ``current`` day's, or for a later day the admissions decided ``ahead``."""
    if all(_configured(rows, field, names) for field, names in zip(_FIELDS, known, strict=True)):
        return []  # the common batch: every name is the scenario's (one pass per dimension, in C)
    latest = max((r.day for r in rows), default=None)
    day, caps = current
    if latest is None or (day is not None and latest < day):
        return []
    if latest == day and caps is not None:
        knowns = [cap.known for cap in caps]
        admitted = [set(cap.admitted) for cap in caps]
    else:
        knowns = [frozenset(names) for names in known]
        admitted = [set() for _ in DIMENSIONS]
        for dimension, decided in ahead.get(latest, ()):
            admitted[DIMENSIONS.index(dimension)].add(decided)
    services, segments, counters = knowns
    unknown = [
        r
        for r in rows
        if r.day == latest
        and not (
            (r.service is None or r.service in services)
            and (r.segment is None or r.segment in segments)
            and (r.counter is None or r.counter in counters)
        )
    ]
    chosen: list[tuple[str, str, str]] = []
    for row in sorted(unknown, key=lambda r: (r.ts_us, r.id)):
        for i, name in enumerate((row.service, row.segment, row.counter)):
            if name is None or name in knowns[i] or name in admitted[i]:
                continue
            if len(admitted[i]) < limit:
                admitted[i].add(name)
                chosen.append((latest, DIMENSIONS[i], name))
    return chosen


def _configured(
    rows: Sequence[Row], field: Callable[[Row], str | None], names: Iterable[str]
) -> bool:
    """Whether every name ``field`` picks from ``rows`` (but None) is one of ``names``."""
    found = set(map(field, rows))
    found.discard(None)
    return found.issubset(names)
