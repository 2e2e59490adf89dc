"""The live state does not depend on the order events arrive in, also for the
awkward tickets: called again, logged twice, a no-show and then a service end,
issued twice. Checked on the state's snapshot and on the metrics the collector
renders from it (an explicit registry)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest

from monitor.api.collector import HallCollector
from monitor.core.batches import to_rows
from monitor.core.config import Hall, Settings
from monitor.core.snapshot import HallView, LiveSnapshot
from monitor.core.state import HallState
from monitor.core.store import Row
from sim.eventlog.events import Event
from tests.monitor.conftest import DAY

ZONE = ZoneInfo("Asia/Shanghai")
OPEN = datetime(DAY.year, DAY.month, DAY.day, 9, 0, tzinfo=ZONE)
NOW_S = (OPEN + timedelta(hours=10)).timestamp()  # after every generated event


def _ts(minute: int, second: int = 0) -> datetime:
    return OPEN + timedelta(minutes=minute, seconds=second)


def _event(n: int, kind: str, ticket: str | None, at: datetime, **fields: str) -> Event:
    return Event(id=f"e{n}", hall="county", kind=kind, ts=at, ticket=ticket, **fields)


def _applied(hall: Hall, rows: list[Row]) -> HallState:
    state = HallState(hall)
    state.apply(rows)
    return state


def _metrics(state: HallState, live: LiveSnapshot) -> bytes:
    """The exposition, but for when the events were received (wall clock, by
    design not a function of the events: with clock: events the hall was last
    heard from when the exporter last received one)."""
    registry = CollectorRegistry(auto_describe=False)
    view = HallView(state.info, live, forecast=None, nowcast=None, ingested={})
    registry.register(HallCollector(lambda: [view]))
    lines = generate_latest(registry).splitlines(keepends=True)
    return b"".join(line for line in lines if b"hall_last_heard_timestamp_seconds" not in line)


def test_a_recalled_ticket_waits_until_its_first_call_in_any_order(settings: Settings) -> None:
    """Issued 09:00, called 09:05, called again 09:20: the wait is 300 s, also
    when the second call arrives before the others; the counter of the first
    call is the one that called it."""
    events = [
        _event(1, "ticket_issued", "T1", _ts(0), service="payment", segment="gotone"),
        _event(2, "ticket_called", "T1", _ts(5), counter="C1"),
        _event(3, "ticket_called", "T1", _ts(20), counter="C2"),
    ]
    hall = settings.halls[0]
    zone = HallState(hall).zone
    for order in ([0, 1, 2], [2, 0, 1], [2, 1, 0], [1, 2, 0]):
        state = _applied(hall, to_rows([events[i] for i in order], zone))
        live = state.snapshot(NOW_S)
        assert live.wait["payment"].count == 1, order
        assert live.wait["payment"].sum_s == 300.0, order
        assert live.counter_served == {"C1": 1, "C2": 0, "P1": 0}, order
        assert live.served[("payment", "gotone")] == 1, order
        assert live.counter_busy["C2"] and not live.counter_busy["C1"], order


def test_a_service_end_after_a_no_show_is_the_last_word(settings: Settings) -> None:
    """Called 09:05, no-show 09:06, called again 09:20 and served until 09:30:
    the customer came after all, in whatever order the events arrive."""
    events = [
        _event(1, "ticket_issued", "T1", _ts(0), service="business", segment="gotone"),
        _event(2, "ticket_called", "T1", _ts(5), counter="C1"),
        _event(3, "ticket_no_show", "T1", _ts(6), counter="C1"),
        _event(4, "ticket_called", "T1", _ts(20), counter="C1"),
        _event(5, "service_ended", "T1", _ts(30), counter="C1"),
    ]
    hall = settings.halls[0]
    zone = HallState(hall).zone
    lives = []
    for seed in range(12):
        shuffled = list(events)
        random.Random(seed).shuffle(shuffled)
        lives.append(_applied(hall, to_rows(shuffled, zone)).snapshot(NOW_S))
    assert all(live == lives[0] for live in lives)
    live = lives[0]
    assert live.abandoned[("business", "gotone")] == 0
    assert live.service_time["business"].count == 1
    assert live.service_time["business"].sum_s == 600.0  # from the call it answered
    assert live.wait["business"].sum_s == 300.0 and live.counters_busy == 0


# -- the property -------------------------------------------------------------------

_SERVICES = st.sampled_from(["consult", "business", "payment", "fax"])  # fax: unknown
_SEGMENTS = st.sampled_from(["gotone", "easyown", "platinum"])  # platinum: unknown
_COUNTERS = st.sampled_from(["C1", "C2", "P1", "X9"])  # X9: unknown
_MINUTE = st.integers(0, 59)  # coarse, so that events share timestamps


@st.composite
def _ticket_events(draw: st.DrawFn, ticket: str) -> list[tuple[str, int, dict[str, str]]]:
    """One ticket's events as (kind, minute, fields): issued (maybe twice, at the
    hall or remotely), a check-in, called up to three times, a no-show, a service
    end (also after a no-show), a give-up."""
    out: list[tuple[str, int, dict[str, str]]] = []
    issued = draw(_MINUTE)
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["ticket_issued", "remote_ticket_issued"]))
        out.append((kind, issued, {"service": draw(_SERVICES), "segment": draw(_SEGMENTS)}))
        issued += draw(st.integers(0, 3))
    if draw(st.booleans()):
        out.append(("ticket_checked_in", draw(_MINUTE), {}))
    for _ in range(draw(st.integers(0, 3))):
        out.append(("ticket_called", draw(_MINUTE), {"counter": draw(_COUNTERS)}))
    if draw(st.booleans()):
        out.append(("ticket_no_show", draw(_MINUTE), {"counter": draw(_COUNTERS)}))
    if draw(st.booleans()):
        out.append(("service_ended", draw(_MINUTE), {"counter": draw(_COUNTERS)}))
    if draw(st.integers(0, 3)) == 0:
        out.append(("ticket_abandoned", draw(_MINUTE), {}))
    return out


@st.composite
def _logs(draw: st.DrawFn) -> list[Event]:
    """A day's log of a few tickets and counter switches, with duplicates (the
    same event logged again under another id)."""
    entries: list[tuple[str, str | None, int, dict[str, str]]] = []
    for t in range(draw(st.integers(1, 6))):
        entries += [(k, f"T{t}", m, f) for k, m, f in draw(_ticket_events(f"T{t}"))]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["counter_opened", "counter_closed"]))
        entries.append((kind, None, draw(_MINUTE), {"counter": draw(_COUNTERS)}))
    if entries:
        entries += draw(st.lists(st.sampled_from(entries), max_size=3))  # logged twice
    return [
        _event(n, kind, ticket, _ts(minute, n % 2), **fields)
        for n, (kind, ticket, minute, fields) in enumerate(entries)
    ]


@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(log=_logs(), seed=st.integers(0, 2**32 - 1))
def test_any_permutation_gives_the_same_state_and_metrics(
    settings: Settings, log: list[Event], seed: int
) -> None:
    hall = settings.halls[0]
    zone = HallState(hall).zone
    rows = to_rows(log, zone)
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    a, b = _applied(hall, rows), _applied(hall, shuffled)
    live_a, live_b = a.snapshot(NOW_S), b.snapshot(NOW_S)
    assert live_a == live_b
    assert a.picture(NOW_S) == b.picture(NOW_S)
    assert _metrics(a, live_a) == _metrics(b, live_b)
    # and in two halves, the second half first
    half = len(shuffled) // 2
    c = HallState(hall)
    c.apply(shuffled[half:])
    c.apply(shuffled[:half])
    assert c.snapshot(NOW_S) == live_a
