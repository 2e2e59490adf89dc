"""Bounded label values: what a ticket system may add to ``/metrics``.

The ticket system is the truth, so a service, segment or counter the scenario
does not know is published under its own name -- but only the first
``limit`` such names of a hall's day in each dimension. Later ones are counted
under the label value :data:`OTHER`, and each event that named one is counted
in ``hallmon_label_overflow_total{hall,dimension}``. Without the cap, one
valid token could add a series per junk name and make every scrape slower
until Prometheus' scrape timeout.

Which names get their own label value depends on the order they arrive in
(within a day, first come first served; a restart rebuilds the day in event
time): the cap trades the state's order independence for a bound, and only
when a hall sends more unknown names than the cap.
"""

from __future__ import annotations

from collections.abc import Iterable

from monitor.core.snapshot import LABEL_DIMENSIONS

OTHER = "other"
DIMENSIONS: tuple[str, ...] = LABEL_DIMENSIONS


class LabelCap:
    """The label value of a name in one dimension: configured names and the
    first ``limit`` others as themselves, the rest as :data:`OTHER`."""

    __slots__ = ("admitted", "known", "limit")

    def __init__(self, known: Iterable[str], limit: int) -> None:
        self.known = frozenset(known)
        self.limit = limit
        self.admitted: set[str] = set()

    def label(self, name: str) -> str | None:
        """``name``, or None when it must be published as :data:`OTHER`."""
        if name in self.known or name in self.admitted:
            return name
        if len(self.admitted) < self.limit:
            self.admitted.add(name)
            return name
        return None
