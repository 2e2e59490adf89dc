"""The event store: duplicates found, batches atomic, everything durable."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.core.store import EventStore, Row


def _row(i: int, day: str = "2026-03-02") -> Row:
    return Row(
        f"e{i}",
        1_772_400_000_000_000 + i,
        day,
        "ticket_issued",
        f"T{i}",
        "payment",
        "gotone",
        None,
        8 * 3600,
    )


def test_duplicates_are_left_out_in_and_across_batches(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "s.db")
    assert [r.id for r in store.append("h", [_row(1), _row(2), _row(1)])] == ["e1", "e2"]
    assert [r.id for r in store.append("h", [_row(2), _row(3)])] == ["e3"]
    assert [r.id for r in store.append("other", [_row(2)])] == ["e2"]  # ids are per hall
    assert store.count("h") == 3 and store.count() == 4


def test_wal_and_full_sync_by_default(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "s.db")
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_failing_batch_stores_nothing(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "s.db")
    bad = _row(2)._replace(ts_us=None)  # type: ignore[arg-type]  # NOT NULL violated by the second row
    with pytest.raises(sqlite3.IntegrityError):
        store.append("h", [_row(1), bad])
    assert store.count("h") == 0
    assert len(store.append("h", [_row(1)])) == 1


def test_reopened_store_has_every_committed_row(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "s.db")
    store.append("h", [_row(i) for i in range(1000)])
    store.append("h", [_row(5, day="2026-03-03")._replace(id="late")])
    store.close()
    again = EventStore(tmp_path / "s.db")
    assert again.ids("h") == {f"e{i}" for i in range(1000)} | {"late"}
    assert again.latest_day("h") == "2026-03-03"
    rows = again.day_rows("h", "2026-03-02")
    assert [r.ts_us for r in rows] == sorted(r.ts_us for r in rows) and len(rows) == 1000
    assert again.last_ts_us("h", "2026-03-02") == _row(999).ts_us
    assert again.latest_day("nobody") is None


def test_rows_keep_each_events_instant_and_offset() -> None:
    from datetime import date

    from monitor.core.batches import to_rows
    from sim.eventlog.events import Event

    zone = ZoneInfo("Asia/Shanghai")
    events = [
        Event(id=str(i), hall="h", ts=ts, kind="counter_opened", counter="C1")
        for i, ts in enumerate(
            [
                "2026-03-02T09:00:00.123456+08:00",
                "2026-03-02T01:00:00Z",
                "2026-03-01T23:30:00-05:00",
            ]
        )
    ]
    rows = to_rows(events, zone)
    assert [r.time() for r in rows] == [e.ts for e in events]
    assert [r.time().utcoffset() for r in rows] == [e.ts.utcoffset() for e in events]
    assert [r.day for r in rows] == [date(2026, 3, 2).isoformat()] * 3
