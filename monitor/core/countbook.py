"""The :class:`~monitor.core.monitor.Monitor`'s part that counts, for each hall
since the process started: its events ingested by result, its batches refused
by one of its limits and its background jobs that failed. These are the
exporter's ``_total`` counters; ingest threads and the background count at
once, so every count and every read of them holds one lock."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from monitor.core.errors import RateLimited
from monitor.core.snapshot import BACKGROUND_JOBS, HALL_LIMITS, INGEST_RESULTS

if TYPE_CHECKING:
    from monitor.core.storing import Stored


class CountBook:
    """Each hall's counts of ingested events, refused batches and failed jobs."""

    def __init__(self, hall_ids: Iterable[str]) -> None:
        halls = list(hall_ids)
        self._ingested = {h: dict.fromkeys(INGEST_RESULTS, 0) for h in halls}
        self._limited = {h: dict.fromkeys(HALL_LIMITS, 0) for h in halls}
        self._failures = {h: dict.fromkeys(BACKGROUND_JOBS, 0) for h in halls}
        self._count_lock = threading.Lock()

    def count(self, hall_id: str, result: str, n: int) -> None:
        """Count ``n`` ingested events of ``result`` (one of INGEST_RESULTS)."""
        with self._count_lock:
            self._ingested[hall_id][result] += n

    def count_failure(self, hall_id: str, job: str) -> None:
        """Count one failed background ``job`` (one of BACKGROUND_JOBS) of the hall."""
        with self._count_lock:
            self._failures[hall_id][job] += 1

    def _count_limited(self, hall_id: str, refusal: RateLimited) -> None:
        with self._count_lock:
            self._limited[hall_id][refusal.limit] += 1

    def _count_stored(self, hall_id: str, done: Stored) -> None:
        """Count the events of a committed batch by what became of them."""
        with self._count_lock:
            counts = self._ingested[hall_id]
            counts["accepted"] += done.applied
            counts["duplicate"] += done.duplicates
            counts["conflict"] += done.conflicts
            counts["future"] += done.future
            counts["backwards"] += done.backwards

    def _counts(self, hall_id: str) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """Copies of the hall's counts: ingested by result, failed by job, refused by limit."""
        with self._count_lock:
            return (
                dict(self._ingested[hall_id]),
                dict(self._failures[hall_id]),
                dict(self._limited[hall_id]),
            )
