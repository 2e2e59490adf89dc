"""What the JSON a person reads says: served means called and came, no-shows
and give-ups apart, every count against the events themselves; the
Prometheus families keep their meaning; durations rounded; every figure of
``/v1/halls``, ``/state`` and ``/history`` of the same moment."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from monitor.cli.replay import AHEAD_S, ahead_of_the_clock
from monitor.core.config import Settings
from monitor.server.app import create_app
from sim.eventlog.convert import day_events
from sim.eventlog.events import Event
from sim.model.hall import simulate
from sim.model.scenario import load_scenario
from tests.monitor.conftest import DAY, ROOT, as_json, auth

Pair = tuple[str, str]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, background=False)) as c:
        yield c


def outcomes(events: list[Event]) -> dict[str, Counter[Pair]]:
    """Per outcome, tickets per (service, segment), read off the events: a
    ticket's last word between service_ended and ticket_no_show decides."""
    issue: dict[str, Pair] = {}
    called, left = set(), set()
    last_end: dict[str, tuple[Any, str]] = {}
    for e in events:
        if e.kind == "ticket_issued":
            assert e.service is not None and e.segment is not None
            issue[e.ticket or ""] = (e.service, e.segment)
        elif e.kind == "ticket_called":
            called.add(e.ticket)
        elif e.kind == "ticket_abandoned":
            left.add(e.ticket)
        elif e.kind in ("service_ended", "ticket_no_show"):
            end = (e.ts, e.kind)
            if e.ticket not in last_end or end > last_end[e.ticket or ""]:
                last_end[e.ticket or ""] = end
    out: dict[str, Counter[Pair]] = {
        k: Counter() for k in ("issued", "called", "served", "no_shows", "abandoned", "waiting")
    }
    for ticket, pair in issue.items():
        out["issued"][pair] += 1
        no_show = ticket in last_end and last_end[ticket][1] == "ticket_no_show"
        if ticket in left:
            out["abandoned"][pair] += 1
        elif ticket not in called:
            out["waiting"][pair] += 1
        elif no_show:
            out["no_shows"][pair] += 1
        else:
            out["served"][pair] += 1
        if ticket in called:
            out["called"][pair] += 1
    return out


def _pairs(rows: list[dict[str, Any]]) -> Counter[Pair]:
    return Counter({(r["service"], r["segment"]): r["count"] for r in rows if r["count"]})


def _scraped(client: TestClient, family: str, hall: str) -> float:
    text = client.get("/metrics").text
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == family and s.labels.get("hall") == hall
    )


def busiest(events: list[Event]) -> list[Event]:
    """The events up to the moment the most tickets wait (the day's peak)."""
    return up_to_most(events, {"ticket_issued"}, {"ticket_called", "ticket_abandoned"})


def up_to_most(events: list[Event], starts: set[str], ends: set[str]) -> list[Event]:
    """The events up to the moment the most tickets are between an event of a
    kind in ``starts`` and one of a kind in ``ends``."""
    between: set[str | None] = set()
    best, cut = 0, 0
    for i, e in enumerate(events):
        if e.kind in starts:
            between.add(e.ticket)
        elif e.kind in ends:
            between.discard(e.ticket)
        if len(between) > best:
            best, cut = len(between), i + 1
    return events[:cut]


def _exact_day() -> list[Event]:
    """A flagship day whose give-ups are logged as they happen (ticket_abandoned;
    the counter still calls such a ticket later, in vain)."""
    scn = load_scenario(ROOT / "scenarios/flagship.yaml")
    return day_events(simulate(scn, seed=7, replication=0), scn, DAY, "exact")


@pytest.mark.parametrize("part", ["midday", "day", "exact"])
def test_each_count_says_what_it_means(
    client: TestClient, flagship_day: list[Event], part: str
) -> None:
    hall, events = {
        "midday": ("flagship", busiest(flagship_day)),
        "day": ("flagship", flagship_day),
        "exact": ("flagship", _exact_day()),
    }[part]
    posted = client.post(f"/v1/halls/{hall}/events", json=as_json(events), headers=auth(hall))
    assert posted.status_code == 200
    state = client.get(f"/v1/halls/{hall}/state").json()
    want = outcomes(events)
    for name in ("issued", "called", "served", "no_shows", "abandoned"):
        assert _pairs(state[name]) == +want[name], name
        assert state["totals"][name] == sum(want[name].values()), name
    totals = state["totals"]
    assert (
        totals["waiting"]
        == sum(want["waiting"].values())
        == sum(q["waiting"] for q in state["queue"])
    )
    assert totals["issued"] == (
        totals["waiting"] + totals["served"] + totals["no_shows"] + totals["abandoned"]
    )
    if part == "day":
        assert totals["no_shows"] > 0  # the seed has some: the split is tested
    if part == "exact":
        assert totals["abandoned"] > 0
    if part == "midday":
        assert totals["waiting"] > 0
    # the Prometheus families keep their meaning: every call, every loss
    assert _scraped(client, "hall_tickets_served_total", hall) == totals["called"]
    assert _scraped(client, "hall_tickets_abandoned_total", hall) == (
        totals["no_shows"] + totals["abandoned"]
    )


def _durations(body: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every number under a key ending in ``_s`` (seconds), with its path."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key.endswith("_s") and isinstance(value, float):
                yield f"{path}.{key}", value
            yield from _durations(value, f"{path}.{key}")
    elif isinstance(body, list):
        for i, value in enumerate(body):
            yield from _durations(value, f"{path}[{i}]")


def test_what_people_read_is_rounded_and_of_one_moment(
    client: TestClient, flagship_day: list[Event]
) -> None:
    morning = busiest(flagship_day)
    client.post("/v1/halls/flagship/events", json=as_json(morning), headers=auth("flagship"))
    state = client.get("/v1/halls/flagship/state").json()
    summary = next(h for h in client.get("/v1/halls").json() if h["id"] == "flagship")
    history = client.get("/v1/halls/flagship/history").json()
    for body in (state, summary):
        found = list(_durations(body))
        assert found
        for where, value in found:
            assert value == round(value, 1), where
    assert max(q["oldest_wait_s"] for q in state["queue"]) > 0  # something waits
    # one moment: the hall's clock
    assert summary["now"] == state["now"] == history["now"]
    assert summary["day"] == state["day"] == history["day"]
    totals = state["totals"]
    assert summary["issued_today"] == totals["issued"]
    assert summary["served_today"] == totals["served"]
    assert summary["no_shows_today"] == totals["no_shows"]
    assert summary["abandoned_today"] == totals["abandoned"]
    assert summary["queue_length"] == totals["waiting"]
    assert summary["oldest_wait_s"] == max(q["oldest_wait_s"] for q in state["queue"])
    assert summary["called_within_target_today"] == state["called_within_target"]
    # the SLO ratio as the alert rules compute it, from the histograms
    within = sum(
        b["count"] for h in state["wait"].values() for b in h["buckets"] if b["le_s"] == 900.0
    )
    called = sum(h["count"] for h in state["wait"].values())
    assert state["called_within_target"] == pytest.approx(within / called, abs=5e-5)
    # percentiles (nearest rank) of the waits, issue to first call, from the events
    issued_at = {e.ticket: e.ts for e in morning if e.kind == "ticket_issued"}
    first_call: dict[str | None, Any] = {}
    for e in morning:
        if e.kind == "ticket_called" and (
            e.ticket not in first_call or e.ts < first_call[e.ticket]
        ):
            first_call[e.ticket] = e.ts
    waits = sorted((first_call[t] - issued_at[t]).total_seconds() for t in first_call)
    everyone = state["wait_percentiles"]["*"]
    assert everyone["n"] == len(waits) == called == totals["called"]
    for name, q in (("p50_s", 0.5), ("p90_s", 0.9), ("p95_s", 0.95)):
        assert everyone[name] == round(waits[math.ceil(q * len(waits)) - 1], 1), name
    assert everyone["max_s"] == round(waits[-1], 1)
    # names from the scenario beside the ids
    assert {"id": "consult", "name": "咨询"} in state["services"]
    assert {"id": "gotone_vip", "name": "全球通VIP"} in state["segments"]
    assert (state["opens"], state["closes"], state["clock"]) == ("09:00", "21:00", "events")
    # the history: today's intervals so far, the tickets issued in them
    assert history["intervals"][0]["start"] == "09:00"
    assert all(i["elapsed_s"] <= i["end_s"] - i["start_s"] for i in history["intervals"])
    issued = sum(c["issued"] for i in history["intervals"] for c in i["services"].values())
    assert issued == totals["issued"]


def test_who_waits_longest_and_who_is_at_the_counters(
    client: TestClient, flagship_day: list[Event]
) -> None:
    morning = busiest(flagship_day)
    client.post("/v1/halls/flagship/events", json=as_json(morning), headers=auth("flagship"))
    state = client.get("/v1/halls/flagship/state").json()
    issued = {e.ticket: e for e in morning if e.kind == "ticket_issued"}
    for q in state["queue"]:
        if q["waiting"]:
            ticket = issued[q["oldest_ticket"]]
            assert ticket.service == q["service"]
            waiting = [
                e.ts for t, e in issued.items()
                if e.service == q["service"] and not any(
                    x.ticket == t and x.kind in ("ticket_called", "ticket_abandoned")
                    for x in morning
                )
            ]  # fmt: skip
            assert ticket.ts == min(waiting)
        else:
            assert q["oldest_ticket"] is None
    busy = [c for c in state["counters"] if c["busy"]]
    assert busy
    for c in busy:
        call = max(
            (e for e in morning if e.kind == "ticket_called" and e.counter == c["counter"]),
            key=lambda e: e.ts,
        )
        assert (c["ticket"], c["service"]) == (call.ticket, issued[call.ticket].service)
        assert c["called_at"][:19] == call.ts.isoformat()[:19]
    assert all(c["ticket"] is None for c in state["counters"] if not c["busy"])


def test_a_replay_says_when_its_events_would_run_ahead_of_the_clock(
    flagship_day: list[Event],
) -> None:
    """The exporter does not count events dated ahead of the wall clock; the
    replay says which of a day's would be, sent from now at its speed."""
    zone = flagship_day[0].ts.tzinfo

    def at(hh: int, mm: int) -> datetime:
        return datetime.combine(DAY, time(hh, mm), zone)

    assert ahead_of_the_clock(flagship_day, 60, at(22, 0)) == []  # the day is over
    assert ahead_of_the_clock(flagship_day, 0, at(22, 0)) == []
    early = ahead_of_the_clock(flagship_day, 0, at(8, 0))
    assert early == flagship_day  # unpaced before opening: every one
    midday = ahead_of_the_clock(flagship_day, 60, at(10, 0))
    assert midday and midday == flagship_day[-len(midday) :]  # from some event on
    first, flagged = flagship_day[0].ts, {e.id for e in midday}
    for e in flagship_day:
        sent = at(10, 0) + (e.ts - first) / 60
        assert (e.id in flagged) == (e.ts - sent > timedelta(seconds=AHEAD_S))
