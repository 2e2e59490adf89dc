"""The processes and replay threads of ``hallmon demo``: each process alone in
its process group, so that stopping it stops whatever it started (the
exporter's worker processes too)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_S = 120.0
STOP_S = 20.0


class Stopped(Exception):
    """Ctrl-C reached a replay thread."""


@dataclass
class Child:
    """A process the demo started, alone in its process group."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM its group, SIGKILL the group if it lingers, and reap it."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(STOP_S)
        with suppress(ProcessLookupError):  # workers may outlive their leader
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def port_or_free(port: int) -> int:
    """``port`` if 127.0.0.1 can bind it now, else (or for 0) a free one."""
    for wanted in (port, 0) if port else (0,):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", wanted))
            except OSError:
                continue
            bound: int = s.getsockname()[1]
            return bound
    raise OSError("no free port on 127.0.0.1")


class Demo:
    """The processes and replay threads of one demo, stopped together."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.children: list[Child] = []
        self.threads: list[threading.Thread] = []
        self.stop_event = threading.Event()
        self.failures: list[str] = []

    def start(self, name: str, command: Sequence[str], env: dict[str, str] | None = None) -> Child:
        log = self.directory / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                list(command),
                cwd=self.directory,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C is ours to pass on, group by group
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def wait_http(self, child: Child, url: str) -> None:
        """Poll ``url`` until 200; an error naming the child and its log if it
        exits or the start-up time runs out first."""
        deadline = time.monotonic() + STARTUP_S
        while True:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
            with suppress(httpx.TransportError):
                if httpx.get(url, timeout=5.0).status_code == 200:
                    return
            if time.monotonic() > deadline or self.stop_event.wait(0.1):
                raise RuntimeError(f"{child.name} did not answer {url} in time:\n{child.tail()}")

    def sleep(self, seconds: float) -> None:
        """A replay's pause, cut short (by :class:`Stopped`) on Ctrl-C."""
        if self.stop_event.wait(seconds):
            raise Stopped

    def close(self) -> None:
        """Stop the replays, then every process, latest first."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(STOP_S)
        for child in reversed(self.children):
            child.stop()
