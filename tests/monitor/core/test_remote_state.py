"""Remote tickets in the live state (issue 24): a ticket issued remotely waits
in the queue and is counted on its way until its holder checks in, whatever
order the events arrive in; the collector publishes the count and the state
body shows it per service."""

from __future__ import annotations

import itertools
import math

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from monitor.api.collector import HallCollector
from monitor.core.batches import to_rows
from monitor.core.config import Settings
from monitor.core.snapshot import HallView
from monitor.core.state import HallState
from monitor.server.app import create_app
from sim.eventlog.events import Event
from tests.monitor.conftest import as_json, auth
from tests.monitor.core.test_state_order import _applied, _event, _ts

# T1, T2 taken from home, T3 at the door (business); T1's holder checks in at
# 09:10; T2 is called at 09:12 while its holder is away and given up
EVENTS = [
    _event(1, "remote_ticket_issued", "T1", _ts(0), service="business", segment="gotone"),
    _event(2, "remote_ticket_issued", "T2", _ts(1), service="business", segment="easyown"),
    _event(3, "ticket_issued", "T3", _ts(2), service="business", segment="gotone"),
    _event(4, "ticket_checked_in", "T1", _ts(10)),
    _event(5, "ticket_called", "T2", _ts(12), counter="C1"),
    _event(6, "ticket_no_show", "T2", _ts(12, 20), counter="C1"),
]


def test_holders_on_the_way_are_in_the_queue_not_in_the_hall(settings: Settings) -> None:
    hall = settings.halls[0]
    zone = HallState(hall).zone
    rows = to_rows(EVENTS, zone)
    early = _applied(hall, rows[:3]).snapshot(_ts(5).timestamp())
    assert early.queue["business"] == 3 and early.away == {"business": 2, "consult": 0,
                                                            "payment": 0}  # fmt: skip
    for order in itertools.permutations(range(len(rows))):
        live = _applied(hall, [rows[i] for i in order]).snapshot(_ts(30).timestamp())
        assert live.queue["business"] == 2, order  # T1 (in the hall now) and T3
        assert live.away["business"] == 0, order  # T1 checked in, T2 given up
        assert live.abandoned[("business", "easyown")] == 1, order


def test_the_count_is_published_per_service(settings: Settings) -> None:
    hall = settings.halls[0]
    state = _applied(hall, to_rows(EVENTS[:3], HallState(hall).zone))
    view = HallView(state.info, state.snapshot(_ts(5).timestamp()), None, None, {})
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HallCollector(lambda: [view]))
    on_the_way = "hall_remote_tickets_on_the_way"
    assert registry.get_sample_value(on_the_way, {"hall": "county", "service": "business"}) == 2
    assert registry.get_sample_value(on_the_way, {"hall": "county", "service": "payment"}) == 0
    assert registry.get_sample_value("hall_queue_length", {"hall": "county",
                                                           "service": "business"}) == 3  # fmt: skip


def test_ingest_takes_them_and_the_state_body_shows_them(settings: Settings) -> None:
    with TestClient(create_app(settings, background=False)) as client:
        posted = client.post(
            "/v1/halls/county/events", json=as_json(EVENTS[:4]), headers=auth("county")
        )
        assert posted.status_code == 200 and posted.json()["accepted"] == 4
        body = client.get("/v1/halls/county/state").json()
    business = next(q for q in body["queue"] if q["service"] == "business")
    assert (business["waiting"], business["on_the_way"]) == (3, 1)  # T2 is still away


def test_a_check_in_before_its_issue_is_held(settings: Settings) -> None:
    hall = settings.halls[0]
    state = HallState(hall)
    issue = _event(1, "remote_ticket_issued", "T9", _ts(5), service="business", segment="gotone")
    early: Event = _event(2, "ticket_checked_in", "T9", _ts(4))
    rows = to_rows([issue, early], state.zone)
    assert state.backwards(rows) == [("e2", "checked_in_before_issued")]


def test_pending_rows_of_the_batch_s_tickets_count_and_others_are_left_out(
    settings: Settings,
) -> None:
    """A batch is checked against the rows of batches stored but not yet
    applied (``pending``): an issue pending for its ticket holds a call dated
    before it; pending rows of other tickets say nothing of the batch."""
    hall = settings.halls[0]
    state = HallState(hall)
    pending = to_rows(
        [
            _event(1, "ticket_issued", "T1", _ts(5), service="business", segment="gotone"),
            _event(2, "ticket_issued", "T2", _ts(9), service="business", segment="gotone"),
        ],
        state.zone,
    )
    call = to_rows([_event(3, "ticket_called", "T1", _ts(4), counter="C1")], state.zone)
    assert state.backwards(call, pending) == [("e3", "called_before_issued")]
    assert state.backwards(call, pending[1:]) == []
    other = to_rows([_event(4, "ticket_called", "T3", _ts(4), counter="C1")], state.zone)
    assert state.backwards(other, pending) == []


def test_the_nowcast_picture_says_who_is_on_the_way(settings: Settings) -> None:
    """What the nowcast starts from: at 09:05 T1 and T2 are on the way, T3 in
    the hall; at 09:11 T1 has checked in 10 minutes after taking its ticket."""
    hall = settings.halls[0]
    rows = to_rows(EVENTS, HallState(hall).zone)
    for order in itertools.permutations(range(4)):  # issues and the check-in, any order
        state = _applied(hall, [rows[i] for i in order])
        later = state.picture(_ts(11).timestamp())
        assert later.waiting_ids == ("T1", "T2", "T3"), order
        assert later.waiting_travel[0] == 600.0 and later.waiting_travel[1] is None, order
        walk_in = later.waiting_travel[2]
        assert walk_in is not None and math.isnan(walk_in), order
    early = _applied(hall, rows[:3]).picture(_ts(5).timestamp())
    assert early.waiting_travel[:2] == (None, None)


def test_the_oldest_wait_is_of_a_customer_in_the_hall(settings: Settings) -> None:
    """The oldest wait (what ``HallOldestWaitPastTarget`` pages on) counts a
    remote holder from their check-in and not at all while on the way: at
    09:05 T3, taken at the door at 09:02, is the oldest (T1 and T2, taken
    earlier from home, are on the way); without T3, at 09:11 T1 has waited
    in the hall since its check-in at 09:10."""
    hall = settings.halls[0]
    rows = to_rows(EVENTS, HallState(hall).zone)
    for order in itertools.permutations(range(3)):
        early = _applied(hall, [rows[i] for i in order]).snapshot(_ts(5).timestamp())
        assert early.oldest_ticket["business"] == "T3", order
        assert early.oldest_wait_s["business"] == 180.0, order
    for order in itertools.permutations((0, 1, 3)):  # T1, T2 and T1's check-in
        state = _applied(hall, [rows[i] for i in order])
        later = state.snapshot(_ts(11).timestamp())
        assert later.oldest_ticket["business"] == "T1", order
        assert later.oldest_wait_s["business"] == 60.0, order
    away = _applied(hall, rows[:2]).snapshot(_ts(5).timestamp())  # both on the way
    assert "business" not in away.oldest_ticket and away.oldest_wait_s["business"] == 0.0
