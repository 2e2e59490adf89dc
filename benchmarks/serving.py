"""A `hallmon serve` the benchmarks start: a free port on 127.0.0.1 and the
wait until its /readyz says ready."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(url: str, server: subprocess.Popen[bytes], timeout_s: float = 120.0) -> None:
    """Return once ``url``/readyz answers 200; RuntimeError if ``server`` exits
    or ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("hallmon did not become ready")
        time.sleep(0.1)
