"""The processes and replay threads of ``hallmon demo``: each process alone in
its process group, so that stopping it stops whatever it started (the
exporter's worker processes too), and sent SIGTERM if the demo dies without
stopping it (:func:`dies_with_parent`)."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_S = 120.0
STOP_S = 20.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def dies_with_parent() -> Callable[[], None] | None:
    """The ``preexec_fn`` of :class:`subprocess.Popen` that has the child sent
    SIGTERM when this process dies (Linux's ``PR_SET_PDEATHSIG``), or None where
    that cannot be asked. A process killed outright (SIGKILL, the OOM killer)
    runs no clean-up, and a child in a process group of its own would run on,
    holding its port and its files. The signal follows the *thread* that
    started the child, so it is asked for from the main thread only."""
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def arm() -> None:  # runs in the child, between fork and exec
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")  # Popen raises
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)

    return arm


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
                preexec_fn=dies_with_parent(),  # and a killed demo leaves nothing running
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
