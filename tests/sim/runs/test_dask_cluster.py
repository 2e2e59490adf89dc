"""Past one machine: ``hallsim staff`` and ``hallsim sweep`` on a real Dask
distributed cluster, a ``dask scheduler`` and two ``dask worker`` processes
started here on 127.0.0.1, give exactly the numbers of a local run, and the
work really runs on the workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
HALLSIM = BIN / "hallsim"
VOLATILE = {"seconds"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _tail(path: Path) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-30:]) if path.exists() else ""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a scheduler with two single-threaded workers; both are
    stopped (their process groups) when the module is done."""
    import distributed

    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the workers import sim from this tree
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


def hallsim_json(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(HALLSIM), *args, "--json"], cwd=ROOT, capture_output=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    data: dict[str, Any] = json.loads(done.stdout)
    return {k: v for k, v in data.items() if k not in VOLATILE}


def executed(address: str) -> dict[str, int]:
    """Tasks each worker has run so far."""
    import distributed

    with distributed.Client(address, timeout=10) as client:  # type: ignore[no-untyped-call]
        counts: dict[str, int] = client.run(lambda dask_worker: dask_worker.state.executed_count)
        return counts


@pytest.mark.slow
@pytest.mark.integration
def test_staff_on_the_cluster_is_the_local_plan(cluster: str) -> None:
    """Two halls (the county day and the flagship Tuesday) planned on the
    cluster and locally: the same plans, the same numbers."""
    before = executed(cluster)
    for args in (
        ["staff", "scenarios/county.yaml", "-n", "10", "--max-replications", "40"],
        ["staff", "scenarios/flagship.yaml", "--day", "tue", "-n", "10",
         "--max-replications", "40", "--probability", "0.8"],
    ):  # fmt: skip
        on_cluster = hallsim_json(*args, "--dask", cluster)
        assert on_cluster == hallsim_json(*args, "--workers", "1")
        assert on_cluster["days"][0]["plans"][-1]["method"] == "sim"
    after = executed(cluster)
    assert len(after) == 2
    assert all(after[w] > before.get(w, 0) for w in after), (before, after)  # both worked


@pytest.mark.slow
@pytest.mark.integration
def test_sweep_on_the_cluster_is_the_local_sweep(cluster: str) -> None:
    args = ["sweep", "scenarios/county.yaml", "--set", "arrivals.scale=0.8,1.0,1.2,1.4",
            "--set", "counters[0].count=2,3", "-n", "4", "--seed", "3"]  # fmt: skip
    assert hallsim_json(*args, "--dask", cluster) == hallsim_json(*args, "--workers", "1")
