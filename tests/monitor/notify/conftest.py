"""Shared pieces of the notification tests: a config serving flagship-remote
with notifications, a simulated day of it, and a real HTTP gateway on
127.0.0.1 for the webhook."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sim.eventlog.convert import day_events
from sim.eventlog.events import Event
from sim.model.hall import simulate
from sim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[3]
DAY = date(2026, 3, 4)
TOKEN = "remote-secret-token"
HALL = "flagship-remote"


def config(directory: Path, notify: str = "{before: 10m}", nowcast: str = "{every: 0}") -> Path:
    path = directory / "monitor.yaml"
    path.write_text(
        f"""
store: {directory / "hallmon.db"}
clock: events
nowcast: {nowcast}
forecast: {{replications: 0}}
learn: {{enabled: false}}
drift: {{every: 0}}
eta: {{replications: 20}}
notify: {notify}
halls:
  - {{id: {HALL}, scenario: {ROOT / "scenarios/flagship-remote.yaml"}, token_env: T_REMOTE}}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def remote_day() -> list[Event]:
    scn = load_scenario(ROOT / "scenarios/flagship-remote.yaml")
    return day_events(simulate(scn, seed=11, replication=0), scn, DAY, "no_show")


def until(events: list[Event], hour: float) -> list[dict[str, str]]:
    return [e.as_row() for e in events if e.ts.hour + e.ts.minute / 60 < hour]


def not_waiting(events: list[Event], hour: float) -> set[str]:
    """Tickets called or given up before ``hour``."""
    gone = {"ticket_called", "ticket_abandoned", "ticket_no_show", "service_ended"}
    return {
        e.ticket
        for e in events
        if e.ticket is not None and e.kind in gone and e.ts.hour + e.ts.minute / 60 < hour
    }


Gateway = tuple[str, list[tuple[dict[str, str], bytes]]]  # its URL, and what it was posted


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """A real HTTP server on 127.0.0.1 that keeps what it is posted."""
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms", got
    server.shutdown()
    server.server_close()
    thread.join()
