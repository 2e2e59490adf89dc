"""kill -9 of a real exporter in the middle of a busy ingest: whatever it
acknowledged survives, the restarted state is exactly what the store holds,
and resending what was in flight changes nothing twice.

The data set is consecutive simulated flagship days (day ``DAY + i`` is
replication ``i``), whole days until there are 50,000 events, sent in time order
in batches by two concurrent posters. The live state covers one local day, so
each state comparison is of the store's latest day, whichever day the kill fell
on (often a day cut short).
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.api.views import hall_state
from monitor.core.batches import to_rows
from monitor.core.config import load_settings
from monitor.core.plan import HallPlan
from monitor.core.snapshot import HallView
from monitor.core.state import HallState
from sim.eventlog.convert import day_events
from sim.eventlog.events import Event
from sim.model.hall import simulate
from sim.model.scenario import load_scenario
from tests.monitor.conftest import DAY, ENV, ROOT, TOKENS, write_config
from tests.monitor.server import Server, running_server, start_server

pytestmark = [pytest.mark.integration]

HALL = "flagship"
SEED = 7
MIN_EVENTS = 50_000
BATCH = 200
POSTERS = 2
CRASH_SEED = 20260302


def _data_set() -> list[Event]:
    """At least MIN_EVENTS events: whole flagship days, in time order."""
    scn = load_scenario(ROOT / "scenarios/flagship.yaml")
    events: list[Event] = []
    i = 0
    while len(events) < MIN_EVENTS:
        events += day_events(simulate(scn, SEED, i), scn, DAY + timedelta(days=i), "no_show")
        i += 1
    return events


@dataclass
class Ledger:
    """What the posters saw: acknowledged batches with the server's counts,
    batches whose request got no reply, and requests under way now."""

    acked: dict[int, tuple[int, int]] = field(default_factory=dict)  # batch -> (accepted, dups)
    failed: dict[int, str] = field(default_factory=dict)  # batch -> the error
    in_flight: set[int] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)  # replies but 200, a poster's own errors
    changed: threading.Condition = field(default_factory=threading.Condition)


def _post_all(
    url: str, bodies: Sequence[bytes], order: Sequence[int], ledger: Ledger
) -> list[threading.Thread]:
    """Start POSTERS threads sending the batches ``order`` names, back to back,
    each taking the next unsent one; a thread stops at its first failure."""
    endpoint = f"{url}/v1/halls/{HALL}/events"
    headers = {
        "Authorization": f"Bearer {TOKENS[HALL]}",
        "Content-Type": "application/json",
    }
    queue: Iterator[int] = iter(order)

    def poster() -> None:
        try:
            send()
        except BaseException as exc:  # the test must hear of it, not wait for acks
            with ledger.changed:
                ledger.refused.append(f"poster failed: {exc!r}")
                ledger.changed.notify_all()
            raise

    def send() -> None:
        with httpx.Client(timeout=httpx.Timeout(120.0, connect=30.0)) as client:
            while True:
                with ledger.changed:
                    i = next(queue, None)
                    if i is None:
                        return
                    ledger.in_flight.add(i)
                    ledger.changed.notify_all()
                try:
                    response = client.post(endpoint, content=bodies[i], headers=headers)
                except httpx.TransportError as exc:
                    with ledger.changed:
                        ledger.in_flight.discard(i)
                        ledger.failed[i] = repr(exc)
                        ledger.changed.notify_all()
                    return
                with ledger.changed:
                    ledger.in_flight.discard(i)
                    if response.status_code == 200:
                        reply = response.json()
                        ledger.acked[i] = (reply["accepted"], reply["duplicates"])
                    else:
                        ledger.refused.append(f"batch {i}: {response.status_code} {response.text}")
                        ledger.failed[i] = "refused"
                    ledger.changed.notify_all()
                if response.status_code != 200:
                    return

    threads = [threading.Thread(target=poster, daemon=True) for _ in range(POSTERS)]
    for t in threads:
        t.start()
    return threads


def _join(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join(timeout=600)
        assert not t.is_alive(), "a poster hangs"


def _stored_ids(db: Path) -> set[str]:
    """Every event id of the hall in the store, read without writing to it."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM events WHERE hall = ?", (HALL,))}


def _replayed_state(config: Path, events: Sequence[Event]) -> dict[str, Any]:
    """The state JSON of a fresh HallState fed ``events`` (the test's own copies,
    in log order), as ``GET /v1/halls/{hall}/state`` would show it (with the
    plan for the hall's date and time)."""
    hall = next(h for h in load_settings(config, environ=ENV).halls if h.id == HALL)
    state = HallState(hall)
    state.apply(to_rows(events, state.zone))
    live = state.snapshot(tickets=True)
    planned = HallPlan(hall.scenario, hall.roster).at(
        date.fromisoformat(live.day), state.local_seconds(live.now_s)
    )
    view = HallView(state.info, live, forecast=None, nowcast=None, ingested={}, planned=planned)
    return hall_state(view, state.zone).model_dump(mode="json")


def _server_state(server: Server) -> dict[str, Any]:
    response = server.get(f"/v1/halls/{HALL}/state")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _without_ingested(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in ("ingested", "silent_s")}


@pytest.mark.slow
def test_kill_9_loses_nothing_acknowledged_and_restarts_from_the_store(tmp_path: Path) -> None:
    events = _data_set()
    assert len(events) >= MIN_EVENTS and len({e.id for e in events}) == len(events)
    chunks = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    bodies = [json.dumps([e.as_row() for e in c], ensure_ascii=False).encode() for c in chunks]
    batch_ids = [{e.id for e in c} for c in chunks]
    config = write_config(tmp_path, clock="events")
    db = tmp_path / "hallmon.db"
    log = tmp_path / "server.log"
    rng = random.Random(CRASH_SEED)
    kill_after = rng.randrange(len(chunks) // 5, 4 * len(chunks) // 5)

    # -- first life: two posters, SIGKILL after kill_after acknowledged batches
    first = Ledger()
    server = start_server(config, ENV, log=log)
    try:
        threads = _post_all(server.url, bodies, range(len(chunks)), first)
        with first.changed:
            # a request must be under way when the server dies, or this would
            # only test a clean stop between requests
            first.changed.wait_for(
                lambda: (
                    (len(first.acked) >= kill_after and bool(first.in_flight))
                    or bool(first.refused)
                ),
                timeout=600,
            )
            assert len(first.acked) >= kill_after and first.in_flight, first.refused
            under_way = set(first.in_flight)
            server.kill()
    finally:
        server.kill()
    _join(threads)
    assert not first.refused
    assert under_way <= set(first.acked) | set(first.failed)
    assert all(reply == (len(chunks[i]), 0) for i, reply in first.acked.items())

    # -- (a) every acknowledged event is in the store; batches are all or nothing
    stored = _stored_ids(db)
    acked_ids = set().union(*(batch_ids[i] for i in first.acked))
    assert acked_ids <= stored, f"{len(acked_ids - stored)} acknowledged events were lost"
    landed = {i for i in first.failed if batch_ids[i] <= stored}  # committed, reply lost
    for i in first.failed:
        assert i in landed or not batch_ids[i] & stored, f"batch {i} is stored in part"
    assert stored == acked_ids.union(*(batch_ids[i] for i in landed)), "events not sent"

    # -- (b) the restarted server's state is the replay of what the store holds
    # The store is the server's whole memory: it acknowledged only what it had
    # committed, and a batch in flight at the kill may have been committed
    # without a reply. So the one right answer after a restart is a fresh state
    # fed exactly the stored events -- built here from the test's own copies of
    # those events, not from the server's rows, so a field garbled on the way
    # into or out of the store, or a rebuild that drops or doubles events or
    # picks the wrong day, shows. Only ``ingested`` differs legitimately (counts
    # since the process started); with ``clock: events`` the hall's "now" is its
    # latest event, so ``now``, ``open`` and the oldest waits must match too.
    stored_events = [e for e in events if e.id in stored]
    with running_server(config, ENV, log=log) as server:
        restarted = _server_state(server)
        assert restarted["ingested"] == {
            "accepted": 0, "duplicate": 0, "rejected": 0, "future": 0, "error": 0,
            "conflict": 0, "backwards": 0,
        }  # fmt: skip
        expected = _replayed_state(config, stored_events)
        assert expected["day"] == max(e.ts.date() for e in stored_events).isoformat()
        assert _without_ingested(restarted) == _without_ingested(expected)

        # -- second life: the rest, the batches in flight at the kill first
        rest = [i for i in range(len(chunks)) if i not in first.acked]
        second = Ledger()
        _join(_post_all(server.url, bodies, rest, second))
        assert not second.refused and not second.failed
        assert set(second.acked) == set(rest)
        for i, (accepted, duplicates) in second.acked.items():
            # a landed batch is acknowledged again, as duplicates, and not applied twice
            want = (0, len(chunks[i])) if i in landed else (len(chunks[i]), 0)
            assert (accepted, duplicates) == want, f"batch {i}"
        final = _server_state(server)

    assert _stored_ids(db) == {e.id for e in events}
    resent = sum(len(chunks[i]) for i in landed)
    assert final["ingested"] == {
        "accepted": len(events) - len(stored),
        "duplicate": resent,
        "rejected": 0,
        "future": 0,
        "error": 0,
        "conflict": 0,
        "backwards": 0,
    }
    whole = _replayed_state(config, events)
    assert whole["day"] == events[-1].ts.date().isoformat()
    assert _without_ingested(final) == _without_ingested(whole)
