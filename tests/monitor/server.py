"""A real ``hallmon serve`` in a subprocess, for tests that need the whole
exporter: uvicorn, the socket, the store on disk, the process dying.

``running_server(config, env, log=...)`` starts one, waits until ``/readyz``
answers 200 and stops it on exit, whatever happened in between. The server
runs in its own process group (a forecast or nowcast pool of forkserver
workers included), and stopping or killing it signals that group only; it
is sent SIGTERM if the test process dies without stopping it
(:func:`monitor.demo.processes.dies_with_parent`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from monitor.demo.processes import dies_with_parent
from tests.monitor.conftest import ROOT

STARTUP_S = 120.0  # a loaded 2-core CI machine may take long to import numpy, FastAPI...
STOP_S = 30.0
_POLL_S = 0.05
_PORT_TRIES = 3


class ServerError(RuntimeError):
    """The server did not come up (or did not stop); the message ends with its log."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago (bound to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file, for a failure message."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


class Server:
    """One ``hallmon serve`` process listening on ``url``."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def _signal_group(self, sig: signal.Signals) -> None:
        with suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.process.pid, sig)  # the group this server leads (start_new_session)

    def kill(self) -> None:
        """SIGKILL the server and everything it started: no shutdown code runs."""
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout_s: float = STOP_S) -> None:
        """A graceful stop (SIGTERM, as uvicorn expects), SIGKILL if it hangs."""
        if self.alive():
            self._signal_group(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout_s)
        # the leader gone, workers may still linger in its group
        self._signal_group(signal.SIGKILL)
        self.process.wait()

    def get(self, path: str, timeout_s: float = 60.0) -> httpx.Response:
        return httpx.get(self.url + path, timeout=timeout_s)

    def wait_ready(self, deadline: float) -> None:
        """Poll ``/readyz`` until 200; ServerError if the process exits or the
        ``deadline`` (of ``time.monotonic``) passes first."""
        while True:
            if not self.alive():
                raise ServerError(
                    f"the server exited with status {self.process.returncode} before it was "
                    f"ready; its log ({self.log}):\n{log_tail(self.log)}"
                )
            try:
                if self.get("/readyz", timeout_s=5.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise ServerError(
                    f"the server was not ready at {self.url}/readyz in time; "
                    f"its log ({self.log}):\n{log_tail(self.log)}"
                )
            time.sleep(_POLL_S)


def start_server(
    config: Path,
    env: Mapping[str, str],
    *,
    log: Path,
    startup_s: float = STARTUP_S,
    extra_args: tuple[str, ...] = (),
) -> Server:
    """``python -m monitor serve --config config`` on a free port of 127.0.0.1,
    with ``env`` added to this process's environment, ready when it returns.
    Output goes to ``log`` (appended). Another process taking the port between
    :func:`free_port` and the bind is retried on a new port."""
    environ = {**os.environ, **env}
    deadline = time.monotonic() + startup_s
    for attempt in range(_PORT_TRIES):
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "monitor",
            "serve",
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *extra_args,
        ]
        with log.open("ab") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=dies_with_parent(),
            )
        server = Server(process, port, log)
        try:
            server.wait_ready(deadline)
            return server
        except ServerError:
            server.stop()
            lost_port = "address already in use" in log_tail(log, 5).lower()
            if not lost_port or attempt == _PORT_TRIES - 1:
                raise
    raise AssertionError("unreachable")


@contextmanager
def running_server(
    config: Path,
    env: Mapping[str, str],
    *,
    log: Path,
    startup_s: float = STARTUP_S,
    extra_args: tuple[str, ...] = (),
) -> Iterator[Server]:
    """A ready server (see :func:`start_server`), stopped on exit; a test may
    :meth:`Server.kill` it earlier."""
    server = start_server(config, env, log=log, startup_s=startup_s, extra_args=extra_args)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def replayed_county(tmp_path: Path) -> Iterator[Server]:
    """A real exporter holding one replayed county day (``clock: events``)."""
    from tests.monitor.conftest import DAY, ENV, TOKENS, write_config

    config = write_config(tmp_path)
    with running_server(config, ENV, log=tmp_path / "hallmon.log") as server:
        subprocess.run(
            [sys.executable, "-m", "monitor", "replay", str(ROOT / "scenarios/county.yaml"),
             "--url", server.url, "--token", TOKENS["county"], "--speed", "0",
             "--start", DAY.isoformat(), "--seed", "3", "--json"],
            check=True, capture_output=True, timeout=300, cwd=ROOT,
        )  # fmt: skip
        yield server
