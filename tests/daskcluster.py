"""A real Dask distributed cluster for the tests that go past one machine: a
``dask scheduler`` and two single-threaded ``dask worker`` processes on
127.0.0.1, started and stopped here (:func:`dask_cluster`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor.demo.processes import dies_with_parent

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _tail(path: Path) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-30:]) if path.exists() else ""


@contextmanager
def dask_cluster(logs: Path) -> Iterator[str]:
    """The address of a scheduler with two single-threaded workers (their logs
    in ``logs``); both are stopped (their process groups) on leaving."""
    import distributed

    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the workers import sim, monitor from this tree
    commands = {
        "scheduler": [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                      "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
        **{f"worker{k}": [str(BIN / "dask"), "worker", address, "--host", "127.0.0.1",
                          "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                          "--name", f"w{k}"] for k in (1, 2)},
    }  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, argv in commands.items():
            log = (logs / f"{name}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    argv,
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=dies_with_parent(),  # not left running by a killed test
                )
            )
        deadline = time.monotonic() + 90
        while True:  # ready when the scheduler answers and both workers have joined
            try:
                with distributed.Client(address, timeout=5) as client:  # type: ignore[no-untyped-call]
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                    break
            except (OSError, TimeoutError) as exc:
                if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                    text = "\n".join(f"--- {n}\n{_tail(logs / f'{n}.log')}" for n in commands)
                    raise RuntimeError(f"the Dask cluster did not come up: {exc}\n{text}") from None
                time.sleep(0.5)
        yield address
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def executed(address: str) -> dict[str, int]:
    """Tasks each worker has run so far."""
    import distributed

    with distributed.Client(address, timeout=10) as client:  # type: ignore[no-untyped-call]
        counts: dict[str, int] = client.run(lambda dask_worker: dask_worker.state.executed_count)
        return counts
