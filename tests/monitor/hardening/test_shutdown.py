"""Issue 14, item 7: stopping cleanly, and logs without secrets.

SIGTERM while the start-up forecast runs stops the server and its pool of
simulation workers promptly (they are terminated, not left to finish a
minute-long forecast), and the shutdown prints no ``resource_tracker`` warning
about leaked semaphores. A token someone puts in a query string never reaches
the access log."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.monitor.conftest import ENV, write_config
from tests.monitor.server import running_server

STOP_S = 15.0  # SIGTERM to every process of the group gone, at most


def _group(pgid: int) -> list[int]:
    """Live processes of process group ``pgid`` (zombies left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.integration
def test_sigterm_during_the_startup_forecast_stops_the_pool_promptly(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        forecast="{replications: 400}",  # minutes of work for the pool
        extra="workers: 2",
    )
    log = tmp_path / "hallmon.log"
    with running_server(config, ENV, log=log, extra_args=("--log-level", "info")) as server:
        deadline = time.monotonic() + 60
        while len(_group(server.pid)) < 3:  # the server, the forkserver, workers
            assert time.monotonic() < deadline, "the forecast pool did not start"
            time.sleep(0.1)
        time.sleep(1.0)  # the workers are simulating now
        assert server.get("/v1/halls/county/forecast").status_code == 503  # being computed
        start = time.monotonic()
        os.kill(server.pid, signal.SIGTERM)  # the server alone, as systemd or docker stop do
        server.process.wait(STOP_S)
        while _group(server.pid):
            assert time.monotonic() - start < STOP_S, f"left behind: {_group(server.pid)}"
            time.sleep(0.1)
        took = time.monotonic() - start
    text = log.read_text(errors="replace")
    assert took < STOP_S
    # uvicorn shuts down on SIGTERM, then raises the signal again: the exit says why
    assert server.process.returncode == -signal.SIGTERM, text[-3000:]
    assert "Application shutdown complete." in text, text[-3000:]  # the lifespan ran to its end
    assert "leaked semaphore" not in text and "resource_tracker" not in text, text[-3000:]
    assert "Traceback" not in text, text[-3000:]


@pytest.mark.integration
def test_query_strings_stay_out_of_the_access_log(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    log = tmp_path / "hallmon.log"
    secret = "county-secret-token-in-the-url"
    with running_server(config, ENV, log=log, extra_args=("--log-level", "info")) as server:
        for path in (f"/metrics?token={secret}", f"/v1/halls/county/state?access_token={secret}"):
            assert httpx.get(server.url + path).status_code == 200
        httpx.post(server.url + f"/v1/halls/county/events?token={secret}", json=[])
        marker = "/healthz?probe=last"
        httpx.get(server.url + marker)
        deadline = time.monotonic() + 10
        while "/healthz" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, "the access log has no line for /healthz"
            time.sleep(0.05)
    text = log.read_text(errors="replace")
    assert secret not in text
    assert '"GET /metrics?[query not logged] HTTP/1.1" 200' in text
    assert '"POST /v1/halls/county/events?[query not logged] HTTP/1.1" 401' in text
