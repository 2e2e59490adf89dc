"""Reading a request body (:mod:`monitor.core.batches`): the column-by-column
reading of a plain batch gives exactly what reading it event by event gives,
the same rows or the same refusal, for batches mixing good events with every
kind of bad one (shapes a kind does not take, times that are not times, names
that are not plain, another hall)."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core import batches
from monitor.core.batches import BatchInvalid, OtherHalls, read_batch
from monitor.core.localdays import LocalDays
from monitor.core.rows import Row
from sim.eventlog.events import FIELDS_BY_KIND, KINDS

HALL = "flagship"
names = st.sampled_from(
    ["A", "B1", "consult", "t-001", "ｃｏｎｓｕｌｔ", "Ａ", "a b", "x\ty", "柜台1"]
)
times = st.sampled_from(
    [
        "2026-03-02T09:30:00+08:00",
        "2026-03-02T09:30:59.123456+08:00",
        "2026-03-02T01:30:07.5Z",
        "2026-03-01T23:59:59.999-05:30",
        "2026-03-02T09:30:00",
        "2026-02-30T09:30:00+08:00",
        "2026-03-02T09:30:00+08:00\n",
        "2026-03-02t09:31:00.1234567+08:00",
    ]
)


plain_names = st.sampled_from(["A", "B1", "consult", "t-001", "V1"])
plain_times = st.sampled_from(
    ["2026-03-02T09:30:00+08:00", "2026-03-02T09:30:59.123456+08:00", "2026-03-02T01:30:07.5Z"]
)


@st.composite
def events(draw: st.DrawFn, plain: bool = False) -> dict[str, Any]:
    """An event, good or bad in any way; ``plain``: good but for a rare shape
    a kind does not take (so that whole batches take the column path)."""
    names_of = plain_names if plain else names
    kind = draw(st.sampled_from(KINDS))
    needed, allowed = FIELDS_BY_KIND[kind]
    event: dict[str, Any] = {
        "id": draw(
            st.sampled_from(["e1", "e2"])
            if plain
            else st.sampled_from(["e1", "e2", "ｅ3", "e 4"]) | st.text(min_size=1, max_size=8)
        ),
        "hall": HALL
        if plain
        else draw(st.sampled_from([HALL, HALL, HALL, "other", "ｆｌａｇｓｈｉｐ"])),
        "ts": draw(plain_times if plain else times),
        "kind": kind,
    }
    for field in ("ticket", "service", "segment", "counter"):
        present = field in needed or (field in allowed and draw(st.booleans()))
        if draw(st.integers(0, 99 if plain else 19)) == 0:
            present = not present  # a shape the kind does not take
        if present:
            event[field] = draw(names_of)
    return event


def read(body: bytes, media: str) -> list[Row] | tuple[str, Any, int]:
    try:
        return read_batch(body, media, HALL, LocalDays(ZoneInfo("Asia/Shanghai")))
    except (BatchInvalid, OtherHalls) as exc:
        return type(exc).__name__, exc.errors, exc.size


@settings(max_examples=300, deadline=None)
@given(
    st.lists(events(), max_size=12) | st.lists(events(plain=True), max_size=40),
    st.sampled_from(["application/json", "application/x-ndjson"]),
)
def test_the_columns_read_a_batch_as_the_events_one_by_one_do(
    batch: list[dict[str, Any]], media: str
) -> None:
    if media == "application/json":
        body = json.dumps(batch, ensure_ascii=False).encode()
    else:
        body = "\n".join(json.dumps(e, ensure_ascii=False) for e in batch).encode()
    together = read(body, media)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batches, "_plain_rows", lambda *args: None)
        one_by_one = read(body, media)
    assert together == one_by_one


def test_a_plain_batch_is_read_by_columns() -> None:
    """The common batch takes the column path (the test above would pass if it
    never did)."""
    body = json.dumps(
        [
            {"id": "e1", "hall": HALL, "ts": "2026-03-02T09:30:00.25+08:00",
             "kind": "ticket_issued", "ticket": "A001", "service": "consult", "segment": "mzone"},
            {"id": "e2", "hall": HALL, "ts": "2026-03-02T09:31:00+08:00",
             "kind": "counter_opened", "counter": "B1"},
        ]
    ).encode()  # fmt: skip
    wires = batches._BATCH.decode(body)
    rows = batches._plain_rows(wires, HALL, LocalDays(ZoneInfo("Asia/Shanghai")))
    assert rows == [
        Row("e1", 1772415000250000, "2026-03-02", "ticket_issued", "A001", "consult", "mzone",
            None, 28800),
        Row("e2", 1772415060000000, "2026-03-02", "counter_opened", None, None, None, "B1", 28800),
    ]  # fmt: skip
