"""One stored event as the store keeps it and the live state applies it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # Unix time 0: ts_us counts from it
# what a row costs the store beyond its texts: three integers, the index entry's
# integer and the b-tree cells' headers (measured: within 20% of the file's growth)
_ROW_OVERHEAD_BYTES = 40


class Row(NamedTuple):
    """One stored event of a hall, as the live state applies it."""

    id: str
    ts_us: int
    day: str
    kind: str
    ticket: str | None
    service: str | None
    segment: str | None
    counter: str | None
    utc_offset_s: int  # with ts_us, gives back the event's RFC 3339 time exactly

    def time(self) -> datetime:
        """The event's ``ts``: the instant, with the UTC offset it was written with."""
        zone = timezone(timedelta(seconds=self.utc_offset_s))
        return (EPOCH + timedelta(microseconds=self.ts_us)).astimezone(zone)

    def event(self, hall: str) -> dict[str, str]:
        """The row in the event format (fields that do not apply left out)."""
        event = {"id": self.id, "hall": hall, "ts": self.time().isoformat(), "kind": self.kind}
        optional = (
            ("ticket", self.ticket),
            ("service", self.service),
            ("segment", self.segment),
            ("counter", self.counter),
        )
        event |= {k: v for k, v in optional if v is not None}
        return event

    def same_content(self, other: Row) -> bool:
        """The same event: the same instant, kind and names (the UTC offset it
        was written with may differ)."""
        return (
            self.ts_us == other.ts_us
            and self.kind == other.kind
            and self.ticket == other.ticket
            and self.service == other.service
            and self.segment == other.segment
            and self.counter == other.counter
        )


def stored_bytes(hall: str, row: Row) -> int:
    """About what storing ``row`` of ``hall`` adds to the store's file: its
    texts (in the table, and hall, day and id again in the index) and a fixed
    overhead. Characters are counted as bytes (exact for ASCII, the common
    case; a bound within a factor of 4 otherwise)."""
    return (
        2 * (len(hall) + len(row.id) + len(row.day))
        + len(row.kind)
        + len(row.ticket or "")
        + len(row.service or "")
        + len(row.segment or "")
        + len(row.counter or "")
        + _ROW_OVERHEAD_BYTES
    )
