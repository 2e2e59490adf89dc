"""The two pure pieces of :mod:`monitor.background.loops`: a hall's live
picture mapped to the start of its nowcast's simulation (:func:`hall_start`),
and a nowcast published with its horizons labelled (:func:`published`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.background.loops import hall_start, published
from monitor.core.batches import to_rows
from monitor.core.config import Settings, load_settings
from monitor.core.snapshot import QueuePicture
from monitor.core.state import HallState
from sim.eventlog.convert import day_events
from sim.eventlog.events import Event
from sim.live.nowcast import Nowcast, state_at
from sim.live.warmstart import BusyCounter, WaitingTicket
from sim.model.hall import simulate
from tests.monitor.conftest import DAY, ROOT, write_config

ZONE = ZoneInfo("Asia/Shanghai")


def _at(hour: int, minute: int = 0) -> float:
    """Unix seconds of ``hour:minute`` on DAY in the halls' zone."""
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=ZONE).timestamp()


def test_hall_start_keeps_what_the_scenario_knows(settings: Settings) -> None:
    state = HallState(settings.halls[1])  # flagship
    picture = QueuePicture(
        now_s=_at(11, 30) + 0.25,
        waiting=(
            ("business", "gotone", 120.0),
            ("fax", "gotone", 60.0),  # a service the scenario does not know
            ("consult", "platinum", 30.0),  # a segment it does not know
            ("payment", "easyown", 0.0),
        ),
        busy=(
            ("B1", "after_sales", "gotone_vip", 300.0),
            ("B2", "fax", "mzone", 10.0),  # unknown service: left out
            ("Q1", "consult", "platinum", 45.0),  # unknown segment: the counter's default
            ("X9", "consult", "easyown", 5.0),  # a counter the scenario lacks: passed on
        ),
        open_counters=("B1", "B2", "Q1", "X9"),
        busy_waited=(600.0, 20.0, 1200.0, None),
        issued={"business": 30, "fax": 4, "payment": 11},
    )
    start = hall_start(picture, state.hall.scenario, state.local_seconds(picture.now_s))
    assert start.now_s == pytest.approx(11.5 * 3600 + 0.25, abs=1e-6)
    assert start.waiting == (
        WaitingTicket("business", "gotone", 120.0),
        WaitingTicket("payment", "easyown", 0.0),
    )
    # the wait before the call comes along: of an unknown segment, whose patience
    # is unknown, it says nothing
    assert start.busy == (
        BusyCounter("B1", "after_sales", 300.0, segment="gotone_vip", waited_s=600.0),
        BusyCounter("Q1", "consult", 45.0, segment=None, waited_s=None),
        BusyCounter("X9", "consult", 5.0, segment="easyown", waited_s=None),
    )
    assert start.open_counters == ("B1", "B2", "Q1", "X9")
    assert start.issued == 41  # tickets of the services the scenario knows
    assert hall_start(QueuePicture(0.0, (), (), None), state.hall.scenario, 0.0).issued is None


def test_hall_start_says_who_took_a_ticket_from_afar(settings: Settings) -> None:
    """Each waiting ticket's travel comes along: taken in the hall, on the way,
    or checked in (no later than now, whatever a clock said)."""
    state = HallState(settings.halls[1])
    picture = QueuePicture(
        now_s=_at(11),
        waiting=(("business", "gotone", 120.0),) * 4,
        busy=(),
        open_counters=None,
        waiting_travel=(math.nan, None, 90.0, 150.0),
    )
    start = hall_start(picture, state.hall.scenario, state.local_seconds(picture.now_s))
    assert start.waiting == (
        WaitingTicket("business", "gotone", 120.0),
        WaitingTicket("business", "gotone", 120.0, remote=True),
        WaitingTicket("business", "gotone", 120.0, remote=True, travel_s=90.0),
        WaitingTicket("business", "gotone", 120.0, remote=True, travel_s=120.0),
    )
    # a picture without travel: every ticket taken in the hall
    bare = hall_start(
        QueuePicture(_at(11), picture.waiting, (), None), state.hall.scenario, 39600.0
    )
    assert not any(t.remote for t in bare.waiting)


def test_hall_start_of_a_replayed_state(settings: Settings, flagship_day: list[Event]) -> None:
    """From a real picture (the first moment of the day with a queue and busy
    counters) every busy customer keeps their segment and every waiting ticket
    its wait, with the hall's local time as the simulation's clock."""
    state = HallState(settings.halls[1])
    rows = to_rows(flagship_day, state.zone)
    for fed in range(0, len(rows), 10):
        state.apply(rows[fed : fed + 10])
        picture = state.picture(state.now_s())
        if len(picture.waiting) >= 2 and len(picture.busy) >= 2:
            break
    else:
        pytest.fail("the flagship day never has a queue")
    start = hall_start(picture, state.hall.scenario, state.local_seconds(picture.now_s))
    local = datetime.fromtimestamp(picture.now_s, ZONE)
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    assert start.now_s == pytest.approx(seconds, abs=1e-6)
    assert [(b.counter, b.service, b.segment, b.elapsed_s) for b in start.busy] == list(
        picture.busy
    )
    assert [(t.service, t.segment, t.waited_s) for t in start.waiting] == list(picture.waiting)
    assert start.open_counters == picture.open_counters
    # how long each ticket at a counter had waited when called, and the tickets so far
    issued = {e.ticket: e.ts for e in flagship_day if e.kind == "ticket_issued"}
    called = [e for e in flagship_day if e.kind == "ticket_called"]
    for b in start.busy:
        last_call = max(
            (e for e in called if e.counter == b.counter and e.ts.timestamp() <= picture.now_s),
            key=lambda e: e.ts,
        )
        waited = (last_call.ts - issued[last_call.ticket]).total_seconds()
        assert b.waited_s == pytest.approx(waited, abs=1e-6)
    assert start.issued == sum(
        1 for e in flagship_day if e.kind == "ticket_issued" and e.ts.timestamp() <= picture.now_s
    )


def _nowcast(horizons_s: tuple[float, ...]) -> Nowcast:
    def by(f: Callable[[int, float], float]) -> dict[tuple[str, float], float]:
        return {(svc, h): f(i, h) for i, svc in enumerate("ab") for h in horizons_s}

    return Nowcast(
        now_s=41400.0,
        horizons_s=horizons_s,
        replications=2,
        wait_s=by(lambda i, h: 60.0 * i + h / 100),
        wait_ci_s=by(lambda i, h: 1.0),
        wait_by_segment_s={},
        breach_probability={h: h / 7200 for h in horizons_s},
        queue={"a": 3, "b": 0},
        present_queue={"a": 2.5, "b": 0.0},
        wait_median_s=by(lambda i, h: 50.0 * i + h / 100),
        wait_p90_s=by(lambda i, h: 90.0 * i + h / 100),
        service_breach_probability=by(lambda i, h: (i + 1) * h / 14400),
    )


def test_published_labels_the_horizons() -> None:
    """Horizon seconds become the labels 0m/15m/30m/60m; a horizon without a
    label is left out, a horizon the nowcast dropped (past closing) is absent;
    the as-of time and the wall time it was computed are kept apart."""
    result = published(
        _nowcast((0.0, 600.0, 900.0, 1800.0, 3600.0)), computed_s=1.7e9, computed_at_s=1.8e9
    )
    assert (result.computed_s, result.computed_at_s) == (1.7e9, 1.8e9)
    labelled = tuple(zip(("0m", "15m", "30m", "60m"), (0.0, 900.0, 1800.0, 3600.0), strict=True))
    expected: tuple[tuple[dict[tuple[str, str], float], Callable[[int, float], float]], ...]
    expected = (
        (result.wait_s, lambda i, h: 60.0 * i + h / 100),
        (result.wait_median_s, lambda i, h: 50.0 * i + h / 100),
        (result.wait_p90_s, lambda i, h: 90.0 * i + h / 100),
        (result.service_breach_probability, lambda i, h: (i + 1) * h / 14400),
    )
    for table, f in expected:
        assert table == {
            (svc, label): f(i, h) for i, svc in enumerate("ab") for label, h in labelled
        }
    assert result.breach_probability == {"0m": 0.0, "15m": 0.125, "30m": 0.25, "60m": 0.5}
    assert result.present_queue == {"a": 2.5, "b": 0.0}
    late = published(_nowcast((0.0, 900.0)), computed_s=0.0)
    assert late.computed_at_s is None
    assert set(late.breach_probability) == {"0m", "15m"}
    for table in (late.wait_s, late.wait_median_s, late.wait_p90_s):
        assert {h for _, h in table} == {"0m", "15m"}


def test_hall_start_of_a_remote_day_is_the_simulation_s_own_state(tmp_path: Path) -> None:
    """A flagship-remote day logged as its ticket system would and read by the
    live state: every half hour from 10:00 to 20:00 the waiting tickets the nowcast
    starts from (service, segment, wait, taken from afar, travel once checked
    in) are those of the simulated day itself (``state_at``)."""
    halls = (
        f"  - {{id: flagship-remote, scenario: {ROOT / 'scenarios/flagship-remote.yaml'}, "
        "token_env: T_REMOTE}"
    )
    settings = load_settings(write_config(tmp_path, halls=halls), environ={"T_REMOTE": "x"})
    scn = settings.halls[0].scenario
    records = simulate(scn, seed=3, replication=1)
    events = day_events(records, scn, DAY, "no_show")
    state = HallState(settings.halls[0])
    rows = to_rows(events, state.zone)

    def key(t: WaitingTicket) -> tuple[str, str, float, bool, float | None]:
        travel = None if t.travel_s is None else round(t.travel_s, 3)
        return (t.service, t.segment, round(t.waited_s, 3), t.remote, travel)

    fed = 0
    seen_away = seen_in = 0
    for half_hours in range(20, 41):
        hour, minute = divmod(half_hours * 30, 60)
        now = _at(hour, minute)
        while fed < len(rows) and rows[fed].ts_us <= now * 1e6:
            state.apply(rows[fed : fed + 1])
            fed += 1
        start = hall_start(state.picture(now), scn, state.local_seconds(now))
        truth = state_at(records, hour * 3600.0 + minute * 60.0)
        assert sorted(map(key, start.waiting)) == sorted(map(key, truth.waiting)), (hour, minute)
        seen_away += sum(t.away for t in start.waiting)
        seen_in += sum(t.remote and not t.away for t in start.waiting)
    assert seen_away and seen_in  # the case has holders on the way and checked in
