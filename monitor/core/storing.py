"""One batch of one hall: decided, stored, applied; and a hall's day rebuilt
from the store at start (:func:`rebuild`).

What the monitor decides about a batch's new rows before it commits them
(which to hold back, which names to publish, what the hall's day budget is
charged) is written in the batch's transaction, so the store holds exactly
what was decided, and a restart rebuilds the same state. A hall's batches
are decided and committed one at a time (the caller holds the hall's lock),
each on the state the batches before it left: the applied ones, and those
committed but still being applied (:class:`Pending`), so that one batch's
apply runs while the next is committed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from operator import itemgetter

from monitor.core.intake import HallIntake
from monitor.core.rows import Row
from monitor.core.state import HallState
from monitor.core.store import Decision, EventStore

_TS_US = itemgetter(Row._fields.index("ts_us"))


class Pending:
    """A hall's batches committed and not yet applied. Added to under the hall's
    lock, as a batch is decided; removed from once applied, under a lock of its
    own, so that a batch applied is answered without waiting for the next
    batch's commit to end (rows in both the hall's state and here, for a moment,
    change no decision: they are the batches before, either way)."""

    def __init__(self) -> None:
        self._batches: list[list[Row]] = []
        self._lock = threading.Lock()

    def rows(self) -> list[Row]:
        with self._lock:
            return [row for batch in self._batches for row in batch]

    def add(self, rows: list[Row]) -> None:
        with self._lock:
            self._batches.append(rows)

    def remove(self, rows: list[Row]) -> None:
        with self._lock:
            self._batches = [batch for batch in self._batches if batch is not rows]


@dataclass(frozen=True, slots=True)
class Stored:
    """A committed batch: events applied, stored before (same content), sent
    with other content under a stored id, and stored but quarantined."""

    applied: int
    duplicates: int
    conflicts: int
    future: int  # dated too far ahead
    backwards: int  # running time backwards within their ticket
    to_apply: list[Row]  # the new rows to apply (registered as pending)


def store_batch(
    store: EventStore,
    state: HallState,
    intake: HallIntake,
    hall_id: str,
    rows: list[Row],
    size_bytes: int,
    *,
    pending: Pending,
    today: str,
    to_midnight_s: float,
) -> Stored:
    """Store ``rows`` of ``hall_id`` (a request body of ``size_bytes``); the
    new ones that may be applied are added to ``pending`` and returned, for the
    caller to apply, then remove. The hall's budget for its local ``today``
    is charged the share of ``size_bytes`` of the rows that add to the store
    (new rows, conflicts); :class:`~monitor.core.errors.RateLimited` when that
    would pass it, ``sqlite3.Error`` when the store fails (nothing stored)."""
    future_us = state.future_limit_us()
    applied: list[Row] = []
    labels: list[tuple[str, str, str]] = []
    added_bytes = future = backwards = 0

    def decide(fresh: list[Row], conflicts: list[Row]) -> Decision:
        nonlocal applied, labels, added_bytes, future, backwards
        added = len(fresh) + len(conflicts)
        added_bytes = size_bytes if added == len(rows) else size_bytes * added // len(rows)
        intake.check_room(today, added_bytes, to_midnight_s)
        # the latest time found in C first: a batch dated too far ahead is rare
        too_late = bool(fresh) and max(map(_TS_US, fresh)) > future_us
        held = [(r.id, "future") for r in fresh if r.ts_us > future_us] if too_late else []
        applicable = [r for r in fresh if r.ts_us <= future_us] if held else fresh
        held_back = state.backwards(applicable, pending.rows())
        future, backwards = len(held), len(held_back)
        if held_back:
            ids = {id_ for id_, _ in held_back}
            applicable = [r for r in applicable if r.id not in ids]
            held += held_back
        applied = applicable
        labels = state.admissions(applicable)
        return Decision(held, labels, (today, added_bytes, len(fresh)))

    done = store.commit(hall_id, rows, decide)
    intake.stored(today, added_bytes)
    if labels:
        state.admit(labels)
    pending.add(applied)
    return Stored(len(applied), done.duplicates, len(done.conflicts), future, backwards, applied)


def rebuild(store: EventStore, state: HallState, hall_id: str) -> None:
    """Apply the stored events of the hall's current day to ``state``: the
    latest day with applicable (not quarantined) events (event clock), or
    today and, within the future slack of midnight, tomorrow (wall clock).
    The names the hall published are read back first (a store of an older
    exporter has them decided now, in event time). The hall's last event is
    the latest applicable one."""
    found = store.latest_applied(hall_id)
    if found is None:
        return
    latest, last_us = found
    if state.events_clock:
        days = [latest]
    else:
        now_s = state.now_s()
        days = sorted({state.local_day(now_s), state.local_day(now_s + state.future_slack_s)})
    for day in days:
        rows = store.day_rows(hall_id, day)
        state.admit((day, dimension, name) for dimension, name in store.labels(hall_id, day))
        decided = state.admissions(rows)
        if decided:
            store.remember_labels(hall_id, decided)
            state.admit(decided)
        state.apply(rows)
    if state.last_event_us is None:  # a new day: nothing to count yet, but its time is known
        state.last_event_us = last_us
