"""``hallmon replay`` against a real HTTP server in a thread: every event arrives
once however the network fails, pacing never sends early, refusals are fatal."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import typer
from typer.testing import CliRunner

from monitor.cli.replay import register
from monitor.replay.client import ReplayError, ReplayStats, batches, post_events
from sim.eventlog.convert import day_events
from sim.eventlog.events import Event
from sim.model.hall import simulate
from sim.model.scenario import load_scenario

DAY = date(2025, 3, 3)
TOKEN = "s3cret"


@dataclass(frozen=True)
class Reply:
    """A canned reply the server sends instead of ingesting: ``body`` as JSON,
    or as is if bytes."""

    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)


# what the server does with a request: ingest ("ok"), a canned reply, drop the
# connection before ingesting ("drop") or after ingesting, losing the reply ("lose_reply")
Action = str | Reply


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def ids(self) -> list[str]:
        return [row["id"] for row in json.loads(self.body)]


class Ingest(ThreadingHTTPServer):
    """The exporter's ingest, reduced to what replay relies on: bearer token,
    known hall, dedupe by id. ``plan`` scripts the next requests."""

    daemon_threads = True

    def __init__(self, hall: str = "county") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hall = hall
        self.lock = threading.Lock()
        self.applied: Counter[str] = Counter()  # id -> times applied: must stay 1
        self.seen: list[Seen] = []
        self.plan: list[Action] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: Ingest

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        srv = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with srv.lock:
            srv.seen.append(Seen(self.path, dict(self.headers.items()), body))
            action = srv.plan.pop(0) if srv.plan else "ok"
        if action == "drop":
            self.close_connection = True
            return
        if isinstance(action, Reply):
            self._reply(action.status, action.body, action.headers)
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, {"detail": "bad token"})
            return
        if self.path != f"/v1/halls/{srv.hall}/events":
            self._reply(404, {"detail": "unknown hall"})
            return
        rows = json.loads(body.decode("utf-8"))
        with srv.lock:
            new = [row["id"] for row in rows if row["id"] not in srv.applied]
            srv.applied.update(new)
        if action == "lose_reply":
            self.close_connection = True
            return
        self._reply(200, {"accepted": len(new), "duplicates": len(rows) - len(new)})

    def _reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        raw = isinstance(body, bytes)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if raw else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[Ingest]:
    srv = Ingest()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as c:
        yield c


@pytest.fixture(scope="module")
def day() -> list[Event]:
    scn = load_scenario("scenarios/county.yaml")
    return day_events(simulate(scn, 1, 0), scn, DAY, "no_show")


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s")


class Sleeps(list[float]):
    """A ``sleep`` that only records."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def send(server: Ingest, client: httpx.Client, events: list[Event], **kw: Any) -> ReplayStats:
    options: dict[str, Any] = {"speed": 0, "batch": 50, "retries": 3, "sleep": no_sleep} | kw
    return post_events(client, server.url, "county", TOKEN, events, **options)


def test_batches_are_consecutive_and_cover_everything() -> None:
    assert list(batches(list(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches([], 3)) == []
    with pytest.raises(ValueError, match="at least 1"):
        list(batches([1], 0))


def test_unpaced_posts_fixed_batches_once_each_without_sleeping(
    server: Ingest, client: httpx.Client, day: list[Event]
) -> None:
    stats = send(server, client, day)
    assert stats == ReplayStats(
        events=len(day), batches=5, accepted=len(day), duplicates=0, seconds=stats.seconds
    )
    assert [len(s.ids) for s in server.seen] == [50, 50, 50, 50, len(day) - 200]
    assert [i for s in server.seen for i in s.ids] == [e.id for e in day]
    assert set(server.applied.values()) == {1}
    first = server.seen[0]
    assert first.path == "/v1/halls/county/events"
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert first.headers["Content-Type"] == "application/json"
    rows = [e.as_row() for e in day[:50]]
    assert first.body == json.dumps(rows, ensure_ascii=False).encode("utf-8")


def test_a_second_run_is_all_duplicates(
    server: Ingest, client: httpx.Client, day: list[Event]
) -> None:
    send(server, client, day)
    again = send(server, client, day, batch=500)
    assert (again.accepted, again.duplicates, again.batches) == (0, len(day), 1)
    assert set(server.applied.values()) == {1}


def test_transient_failures_are_retried_with_the_same_batch(
    server: Ingest, client: httpx.Client, day: list[Event]
) -> None:
    busy = Reply(503, {"detail": "busy"})
    server.plan = ["ok", busy, "drop", Reply(429, {"detail": "slow down"})]
    sleeps = Sleeps()
    stats = send(server, client, day, sleep=sleeps)
    assert sleeps == [0.5, 1.0, 2.0]  # capped exponential backoff, per batch
    assert (stats.retries, stats.batches, stats.accepted, stats.duplicates) == (3, 5, len(day), 0)
    assert len(server.seen) == 5 + 3
    assert len({s.body for s in server.seen[1:5]}) == 1  # the retried batch is the same bytes
    assert sorted(server.applied) == sorted(e.id for e in day)
    assert set(server.applied.values()) == {1}


def test_a_lost_reply_is_repeated_and_counted_as_duplicates(
    server: Ingest, client: httpx.Client, day: list[Event]
) -> None:
    server.plan = ["ok", "lose_reply"]
    stats = send(server, client, day, sleep=Sleeps())
    assert (stats.retries, stats.accepted, stats.duplicates) == (1, len(day) - 50, 50)
    assert stats.events == len(day)
    assert sorted(server.applied) == sorted(e.id for e in day)
    assert set(server.applied.values()) == {1}


def test_backoff_is_capped_and_honours_retry_after(
    server: Ingest, client: httpx.Client, day: list[Event]
) -> None:
    server.plan = [Reply(503, {}), Reply(429, {}, {"Retry-After": "3"}), *[Reply(503, {})] * 3]
    sleeps = Sleeps()
    send(server, client, day, retries=5, sleep=sleeps, backoff_s=1.0, max_backoff_s=4.0)
    assert sleeps == [1.0, 3.0, 4.0, 4.0, 4.0]


def test_gives_up_after_the_retries_with_the_last_problem(
    server: Ingest, client: httpx.Client, day: list[Event]
) -> None:
    server.plan = ["ok", *[Reply(503, {"detail": "database is down"})] * 10]
    sleeps = Sleeps()
    with pytest.raises(ReplayError) as caught:
        send(server, client, day, retries=2, sleep=sleeps)
    exc = caught.value
    assert exc.gave_up and exc.attempts == 3 and exc.status == 503
    assert exc.reason == "database is down"
    assert "gave up after 3 attempts: HTTP 503: database is down" in str(exc)
    assert exc.first_id == day[50].id and exc.stats.events == 50
    assert sleeps == [0.5, 1.0]


def test_no_server_is_a_transient_failure(client: httpx.Client, day: list[Event]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ReplayError) as caught:
        post_events(
            client, f"http://127.0.0.1:{port}", "county", TOKEN, day,
            speed=0, batch=50, retries=1, sleep=Sleeps(),
        )  # fmt: skip
    assert caught.value.gave_up and caught.value.status is None
    assert "no reply" in str(caught.value)


@pytest.mark.parametrize(
    ("action", "token", "status", "reason"),
    [
        ("ok", "wrong", 401, "bad token"),
        (Reply(403, {"detail": "token is for hall flagship"}), TOKEN, 403, "hall flagship"),
        (Reply(413, "too large"), TOKEN, 413, "too large"),
        (
            Reply(422, {"detail": [{"index": 2, "field": "ts", "reason": "has no UTC offset"}]}),
            TOKEN,
            422,
            "event county-20250303-000003: ts: has no UTC offset",
        ),
        (
            Reply(422, {"detail": [{"index": None, "field": None, "reason": "not JSON"}] * 4}),
            TOKEN,
            422,
            "not JSON; not JSON; not JSON (and 1 more)",
        ),
        (
            Reply(422, {"detail": [{"loc": ["body", 1, "ts"], "msg": "bad", "type": "x"}]}),
            TOKEN,
            422,
            "event county-20250303-000002: ts: bad",
        ),
        (Reply(400, b"<html>\n<b>nope</b></html>"), TOKEN, 400, "<html> <b>nope</b></html>"),
    ],
)
def test_a_refusal_is_fatal_with_the_servers_reason(
    server: Ingest,
    client: httpx.Client,
    day: list[Event],
    action: Action,
    token: str,
    status: int,
    reason: str,
) -> None:
    server.plan = [action]
    with pytest.raises(ReplayError) as caught:
        post_events(
            client, server.url, "county", token, day, speed=0, batch=50, retries=3, sleep=no_sleep
        )
    assert caught.value.status == status and not caught.value.gave_up
    assert reason in caught.value.reason
    assert len(server.seen) == 1


def test_an_unknown_hall_is_fatal(server: Ingest, client: httpx.Client, day: list[Event]) -> None:
    with pytest.raises(ReplayError, match="HTTP 404: unknown hall"):
        post_events(
            client, server.url, "nowhere", TOKEN, day, speed=0, batch=50, retries=3, sleep=no_sleep
        )


class FakeClock:
    """``clock`` and ``sleep`` of a wall clock that moves only when slept on."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("size", [5, 500])
def test_paced_sends_what_is_due_and_never_early(
    server: Ingest, day: list[Event], size: int
) -> None:
    fake = FakeClock(1000.0)
    speed = 60.0
    due = {e.id: 1000.0 + (e.ts - day[0].ts).total_seconds() / speed for e in day}
    order = [e.id for e in day]
    sent_at: list[float] = []
    hooks = {"request": [lambda _: sent_at.append(fake.now)]}
    with httpx.Client(timeout=5.0, event_hooks=hooks) as client:
        stats = send(server, client, day, speed=speed, batch=size, sleep=fake.sleep, clock=fake)
    assert [i for s in server.seen for i in s.ids] == order
    for seen, at in zip(server.seen, sent_at, strict=True):
        assert all(due[i] <= at for i in seen.ids)  # no earlier than due
        after = order.index(seen.ids[-1]) + 1
        if len(seen.ids) < size and after < len(order):
            assert due[order[after]] > at  # nothing due was held back
    assert len(fake.sleeps) < len(server.seen)  # one sleep per wait, no polling
    assert fake.now == pytest.approx(due[order[-1]])  # slept exactly until due
    assert stats.seconds == pytest.approx(fake.now - 1000.0)
    assert set(server.applied.values()) == {1}


def test_paced_batches_are_capped(server: Ingest, client: httpx.Client, day: list[Event]) -> None:
    burst = [e.model_copy(update={"ts": day[0].ts}) for e in day[:12]]  # all due at once
    fake = FakeClock(0.0)
    send(server, client, burst, speed=60.0, batch=5, sleep=fake.sleep, clock=fake)
    assert [len(s.ids) for s in server.seen] == [5, 5, 2]
    assert fake.sleeps == []


# the CLI -------------------------------------------------------------------

runner = CliRunner()
cli = typer.Typer()


@cli.callback()
def _hallmon() -> None:
    """Stand-in for monitor.cli.app's app."""


register(cli)


def invoke(server_url: str, *args: str, token: str = TOKEN) -> Any:
    return runner.invoke(
        cli,
        ["replay", "scenarios/county.yaml", "--url", server_url, "--speed", "0", *args],
        env={"HALLMON_TOKEN": token},
    )


def test_cli_replays_a_day_and_prints_a_json_summary(server: Ingest, day: list[Event]) -> None:
    result = invoke(server.url, "--json", "--start", "2025-03-03", "--batch", "100")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary | {"seconds": 0} == {
        "hall": "county", "day": "2025-03-03", "seed": 1, "replication": 0, "mode": "no_show",
        "speed": 0.0, "events": len(day), "batches": 3, "accepted": len(day), "duplicates": 0,
        "retries": 0, "seconds": 0,
    }  # fmt: skip
    assert sorted(server.applied) == sorted(e.id for e in day)


def test_cli_defaults_to_today_in_the_halls_time_zone(server: Ingest) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    before = datetime.now(zone).date()
    result = invoke(server.url, "--replication", "2", "--mode", "exact")
    after = datetime.now(zone).date()
    assert result.exit_code == 0, result.output
    assert "accepted" in result.stdout
    days = {i.split("-")[1] for i in server.applied}
    assert days <= {f"{before:%Y%m%d}", f"{after:%Y%m%d}"} and len(days) == 1


def test_cli_refusal_exits_1_with_the_reason(server: Ingest) -> None:
    result = invoke(server.url, "--json", token="wrong")
    assert result.exit_code == 1
    assert "HTTP 401: bad token" in result.stderr and "HALLMON_TOKEN" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_cli_gives_up_when_nobody_listens() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke(f"http://127.0.0.1:{port}", "--retries", "0")
    assert result.exit_code == 1
    assert "gave up after 1 attempt: no reply" in " ".join(result.stderr.split())


def test_cli_rejects_a_url_without_scheme() -> None:
    result = invoke("localhost:8000")
    assert result.exit_code == 2
    assert "--url" in result.stderr
