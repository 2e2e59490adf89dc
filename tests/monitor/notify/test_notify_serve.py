"""Exactly once through a real ``hallmon serve`` killed with SIGKILL: the
exporter posts "your turn soon" messages to a real local webhook gateway, is
killed after the first ones went out, restarts on the same store and goes on;
the gateway never gets an Idempotency-Key twice, nor a message for a ticket no
longer waiting."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from sim.eventlog.events import Event
from tests.monitor.notify.conftest import HALL, TOKEN, Gateway, config, not_waiting, until
from tests.monitor.server import Server, running_server, start_server

WAIT_S = 120.0  # a loaded 2-core machine: the pool's first simulation imports the model


def _post(server: Server, rows: list[dict[str, str]]) -> None:
    answer = httpx.post(
        f"{server.url}/v1/halls/{HALL}/events",
        json=rows,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text


def _tickets(got: list[tuple[dict[str, str], bytes]]) -> list[str]:
    return [str(json.loads(body)["ticket"]) for _, body in got]


def _wait_for(got: list[tuple[dict[str, str], bytes]], more_than: int, server: Server) -> None:
    deadline = time.monotonic() + WAIT_S
    while len(got) <= more_than:
        assert server.alive(), server.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        assert time.monotonic() < deadline, "no message reached the gateway in time"
        time.sleep(0.1)


@pytest.mark.integration
@pytest.mark.slow
def test_a_killed_exporter_never_sends_twice(
    tmp_path: Path, gateway: Gateway, remote_day: list[Event]
) -> None:
    url, got = gateway
    notify = f"{{before: 10m, every: 0.2s, notifier: webhook, webhook: {{url: '{url}'}}}}"
    path = config(tmp_path, notify)
    env = {"T_REMOTE": TOKEN}
    log = tmp_path / "hallmon.log"
    server = start_server(path, env, log=log)
    try:
        _post(server, until(remote_day, 12.5))
        _wait_for(got, 0, server)
        time.sleep(1.0)  # a few more rounds: nothing more is due at this state
    finally:
        server.kill()  # SIGKILL: no shutdown code runs
    before = _tickets(got)
    assert len(before) == len(set(before))
    with running_server(path, env, log=log) as server:
        _post(server, until(remote_day, 12.75))  # on: more tickets near their turn
        _wait_for(got, len(before), server)
        time.sleep(1.0)
    keys = [headers["Idempotency-Key"] for headers, _ in got]
    assert len(keys) == len(set(keys)), keys  # never twice, across the kill
    after = _tickets(got)[len(before) :]
    assert not set(after) & not_waiting(remote_day, 12.75)
    assert not set(before) & not_waiting(remote_day, 12.5)
