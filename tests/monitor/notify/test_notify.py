"""The "your turn soon" notifications: exactly once across restarts of the
exporter on the same store file (the ledger claims before sending), nothing
for tickets no longer waiting, what a crash between the claim and the send
leaves (at most once, or once more to an idempotent gateway), and the loop as
the app runs it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.background.etas import Etas
from monitor.core.config import Settings, load_settings
from monitor.notify.ledger import FAILED, SENDING, SENT, Ledger, NoteKey
from monitor.notify.notifiers import RecordingNotifier
from monitor.notify.watch import Notifying
from monitor.server.app import create_app
from sim.eventlog.events import Event
from tests.monitor.notify.conftest import DAY, HALL, TOKEN, config, not_waiting, until


class Crash(BaseException):
    """The exporter dying in the middle of a send."""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(config(tmp_path), environ={"T_REMOTE": TOKEN})


def _post(client: TestClient, rows: list[dict[str, str]]) -> None:
    answer = client.post(
        f"/v1/halls/{HALL}/events", json=rows, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 200, answer.text


def _round(client: TestClient, settings: Settings, double: RecordingNotifier) -> Notifying:
    """One notification round of the app's monitor, with a ledger of its own on
    the store file (as a restarted exporter opens it)."""
    assert settings.notify is not None
    monitor = client.app.state.monitor  # type: ignore[attr-defined]
    watch = Notifying(monitor, Etas(monitor), double, Ledger(settings.store), settings.notify)
    try:
        asyncio.run(watch.check())
    finally:
        watch.ledger.close()
    return watch


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, background=False)) as c:
        yield c


def test_each_ticket_is_told_once_across_restarts_and_called_ones_never(
    settings: Settings, remote_day: list[Event]
) -> None:
    remote = {e.ticket for e in remote_day if e.kind == "remote_ticket_issued" and e.ticket}
    first = RecordingNotifier()
    with TestClient(create_app(settings, background=False)) as client:
        _post(client, until(remote_day, 12.5))
        watch = _round(client, settings, first)
        told = [n.key.ticket for n in first.sent]
        assert told, "the lunch-time queue has remote holders whose turn is near"
        assert set(told) <= remote  # tickets: remote (the default)
        assert not set(told) & not_waiting(remote_day, 12.5)
        assert watch.counts == {(HALL, "sent"): len(told)}
        again = RecordingNotifier()
        _round(client, settings, again)
        assert again.sent == []  # the same process, the same state: nothing new
    # the exporter restarts on the same store: the state is rebuilt from it, the
    # same tickets wait and are as near their turn; the ledger says they were told
    restarted, later = RecordingNotifier(), RecordingNotifier()
    with TestClient(create_app(settings, background=False)) as client:
        _post(client, until(remote_day, 12.5))
        _round(client, settings, restarted)
        assert restarted.sent == []
        _post(client, until(remote_day, 12.75))  # a quarter of an hour on
        _round(client, settings, later)
    more = [n.key.ticket for n in later.sent]
    assert more
    assert not set(more) & set(told)  # never twice
    assert not set(more) & not_waiting(remote_day, 12.75)
    ledger = Ledger(settings.store)
    records = ledger.records(HALL)
    ledger.close()
    assert sorted(r.key.ticket for r in records) == sorted(told + more)
    assert {r.state for r in records} == {SENT} and {r.attempts for r in records} == {1}
    for note in first.sent + later.sent:
        assert note.minutes <= 10 and note.key.day == DAY.isoformat()
        assert note.payload()["idempotency_key"] == f"hallmon:{HALL}:{DAY}:{note.key.ticket}:soon"


def test_a_crash_between_claim_and_send_is_never_resent_by_default(
    settings: Settings, remote_day: list[Event]
) -> None:
    with TestClient(create_app(settings, background=False)) as client:
        _post(client, until(remote_day, 12.5))
        with pytest.raises(Crash):
            _round(client, settings, RecordingNotifier(crash=Crash()))
    ledger = Ledger(settings.store)
    (interrupted,) = ledger.records(HALL)  # claimed, then the process died
    ledger.close()
    assert interrupted.state == SENDING
    after = RecordingNotifier()
    with TestClient(create_app(settings, background=False)) as client:
        _post(client, until(remote_day, 12.5))
        watch = _round(client, settings, after)
    assert interrupted.key.ticket not in {n.key.ticket for n in after.sent}
    assert watch.counts[(HALL, "unconfirmed")] == 1


def test_an_idempotent_gateway_gets_the_interrupted_one_again_with_its_key(
    settings: Settings, remote_day: list[Event]
) -> None:
    with TestClient(create_app(settings, background=False)) as client:
        _post(client, until(remote_day, 12.5))
        with pytest.raises(Crash):
            _round(client, settings, RecordingNotifier(idempotent=True, crash=Crash()))
        gateway = RecordingNotifier(idempotent=True)
        watch = _round(client, settings, gateway)
        resent = [n for n in gateway.sent if n.attempt == 2]
        assert len(resent) == 1 and watch.counts[(HALL, "resent")] == 1
        # a third round: everything is confirmed, nothing goes out again
        third = RecordingNotifier(idempotent=True)
        _round(client, settings, third)
        assert third.sent == []


def test_a_refused_message_is_recorded_failed_and_not_retried(
    settings: Settings, remote_day: list[Event]
) -> None:
    with TestClient(create_app(settings, background=False)) as client:
        _post(client, until(remote_day, 12.5))
        watch = _round(client, settings, RecordingNotifier(fail=True))
        failed = watch.counts[(HALL, "failed")]
        assert failed >= 1
        retry = RecordingNotifier()
        _round(client, settings, retry)
        assert retry.sent == []
    ledger = Ledger(settings.store)
    assert {r.state for r in ledger.records(HALL)} == {FAILED}
    ledger.close()


def test_all_tickets_are_told_when_configured(tmp_path: Path, remote_day: list[Event]) -> None:
    settings = load_settings(
        config(tmp_path, "{before: 10m, tickets: all}"), environ={"T_REMOTE": TOKEN}
    )
    double = RecordingNotifier()
    with TestClient(create_app(settings, background=False)) as client:
        _post(client, until(remote_day, 12.5))
        _round(client, settings, double)
    remote = {e.ticket for e in remote_day if e.kind == "remote_ticket_issued" and e.ticket}
    assert {n.key.ticket for n in double.sent} - remote  # walk-ins too


@pytest.mark.slow
def test_the_app_runs_the_loop_and_counts_what_it_sent(
    tmp_path: Path, remote_day: list[Event]
) -> None:
    settings = load_settings(
        config(tmp_path, "{before: 10m, every: 0.2s}"), environ={"T_REMOTE": TOKEN}
    )
    double = RecordingNotifier()
    with TestClient(create_app(settings, notifier=double)) as client:
        _post(client, until(remote_day, 12.5))
        deadline = time.monotonic() + 120
        while not double.sent and time.monotonic() < deadline:
            time.sleep(0.1)
        assert double.sent
        sent = f'hall_notifications_sent_total{{hall="{HALL}",result="sent"}}'
        while time.monotonic() < deadline:  # /metrics is cached for limits.metrics_every
            if sent in client.get("/metrics").text:
                break
            time.sleep(0.2)
        assert sent in client.get("/metrics").text


def test_a_round_prunes_the_halls_records_older_than_keep(
    settings: Settings, remote_day: list[Event]
) -> None:
    """The ledger keeps ``notify.keep`` (90 days by default) of a hall's records,
    by the hall's own clock: older days go, recent ones and other halls' stay."""

    def ago(days: int) -> str:
        return (DAY - timedelta(days=days)).isoformat()

    with TestClient(create_app(settings, background=False)) as client:
        ledger = Ledger(settings.store)  # the store exists once the exporter runs
        for hall, day in [(HALL, ago(91)), (HALL, ago(400)), (HALL, ago(89)), ("x", ago(400))]:
            key = NoteKey(hall, day, "A001", "soon")
            assert ledger.claim(key) == 1
            ledger.finish(key, SENT)
        _post(client, until(remote_day, 12.5))
        _round(client, settings, RecordingNotifier())
    kept = {(r.key.hall, r.key.day) for hall in (HALL, "x") for r in ledger.records(hall)}
    ledger.close()
    assert (HALL, ago(91)) not in kept and (HALL, ago(400)) not in kept
    assert {(HALL, ago(89)), ("x", ago(400))} <= kept
