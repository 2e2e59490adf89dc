"""The time-order check decides each ticket's events rank by rank without
sorting them: it must hold exactly the events (with the same reasons, in the
same order) that deciding them one by one in the documented order holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.rows import Row
from monitor.core.timeline import _RANK, Facts, _learn, _reason, backwards

KINDS = (
    "ticket_issued", "remote_ticket_issued", "ticket_called", "ticket_checked_in",
    "service_ended", "ticket_no_show", "ticket_abandoned",
)  # fmt: skip
DAYS = ("2026-03-02", "2026-03-03")


def _one_by_one(rows: list[Row], known: dict[tuple[str, str], Facts]) -> list[tuple[str, str]]:
    """The check as the module documents it: each ticket's events sorted
    issues first, then calls, then the rest, each in event time, each judged
    by what the events before it taught."""
    tickets: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        if row.ticket is not None:
            tickets.setdefault((row.day, row.ticket), []).append(row)
    held: list[tuple[str, str]] = []
    for key, events in tickets.items():
        found = known.get(key)
        facts = Facts() if found is None else Facts(*_facts(found))
        for row in sorted(events, key=lambda r: (_RANK.get(r.kind, 2), r.ts_us, r.id)):
            reason = _reason(row, facts)
            if reason is None:
                _learn(row, facts)
            else:
                held.append((row.id, reason))
    return held


def _facts(f: Facts) -> tuple[int | None, int | None, int | None]:
    return f.issued_us, f.first_call_us, f.ended_us


# few times and tickets, so that ties and contradictions are common
_times = st.integers(0, 6)
_maybe_time = st.none() | _times
_known = st.dictionaries(
    st.tuples(st.sampled_from(DAYS), st.sampled_from("AB")),
    st.builds(Facts, _maybe_time, _maybe_time, _maybe_time),
    max_size=4,
)
_event = st.tuples(
    st.sampled_from(KINDS), _times, st.sampled_from(DAYS), st.sampled_from("AB") | st.none()
)


@settings(max_examples=400)
@given(events=st.lists(_event, min_size=2, max_size=20), known=_known)
def test_backwards_holds_what_deciding_one_by_one_holds(
    events: list[tuple[str, int, str, str | None]], known: dict[tuple[str, str], Facts]
) -> None:
    rows = [
        Row(f"e{i}", ts, day, kind, ticket, "svc", "seg", "c1", 28800)
        for i, (kind, ts, day, ticket) in enumerate(events)
    ]
    before = {key: _facts(f) for key, f in known.items()}

    def look_up(day: str, ticket: str) -> Facts | None:
        return known.get((day, ticket))

    assert backwards(rows, look_up) == _one_by_one(rows, known)
    assert {key: _facts(f) for key, f in known.items()} == before  # what is known is not changed


def test_a_contradicting_pair_holds_the_event_against_the_issue() -> None:
    rows = [
        Row("call", 5, DAYS[0], "ticket_called", "A", None, None, "c1", 0),
        Row("issue", 9, DAYS[0], "ticket_issued", "A", "svc", "seg", None, 0),
        Row("end", 7, DAYS[0], "service_ended", "A", None, None, "c1", 0),
        Row("late", 8, DAYS[0], "ticket_issued", "B", "svc", "seg", None, 0),
        # the ticket's calls out of order: its end is judged by the earliest
        Row("again", 5, DAYS[1], "ticket_called", "C", None, None, "c1", 0),
        Row("ends", 3, DAYS[1], "service_ended", "C", None, None, "c1", 0),
        Row("first", 2, DAYS[1], "ticket_called", "C", None, None, "c1", 0),
    ]
    known = {(DAYS[0], "B"): Facts(None, 6, None)}
    assert backwards(rows, lambda day, ticket: known.get((day, ticket))) == [
        ("call", "called_before_issued"),
        ("end", "ended_before_issued"),
        ("late", "issued_after_called"),
    ]
