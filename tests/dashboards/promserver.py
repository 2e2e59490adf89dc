"""Real Prometheus and Alertmanager servers (Debian packages) for the tests,
on free ports of 127.0.0.1, each in its own directory under ``tmp_path``.

``running_prometheus(tmp_path, config_yaml_text, rule_files)`` starts
``prometheus`` with that configuration (``rule_files``, when given, replace the
config's own, by absolute path), waits until ``/-/ready`` answers 200 and
yields the base URL; it stops the server on exit. ``running_alertmanager``
does the same for ``prometheus-alertmanager`` (clustering off).
``query(url, promql)`` is one instant query; with ``timeout_s`` it polls until
the result is not empty (a fresh Prometheus has its first sample 5–6 s after
start, so poll, never sleep a fixed time). A missing binary fails the test
(``make test`` installs them); it never skips.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from monitor.demo.processes import dies_with_parent
from tests.monitor.server import free_port, log_tail

STARTUP_S = 120.0  # deadline for start-up on a loaded 2-core machine
STOP_S = 30.0
_POLL_S = 0.1
_PORT_TRIES = 3


def binary(name: str) -> str:
    """The path of an installed binary; fails the test (not skip) when missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed (apt-get install prometheus prometheus-alertmanager, "
            "or run `make test`)"
        )
    return path


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, deadline: float) -> None:
    """Poll ``url/-/ready`` until 200; RuntimeError (with the log) if the process
    exits or the deadline passes."""
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: exited with {process.returncode}:\n{log_tail(log)}")
        with suppress(httpx.TransportError):
            if httpx.get(f"{url}/-/ready", timeout=5).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}/-/ready did not answer 200 in time:\n{log_tail(log)}")
        time.sleep(_POLL_S)


@contextmanager
def _running(name: str, args: Sequence[str], directory: Path, log: Path) -> Iterator[str]:
    """``name`` with ``args`` (``{port}`` replaced by a free port), ready; its URL."""
    deadline = time.monotonic() + STARTUP_S
    for attempt in range(_PORT_TRIES):
        port = free_port()
        with log.open("ab") as out:
            process = subprocess.Popen(
                [binary(name), *(a.format(port=port) for a in args)],
                cwd=directory,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=dies_with_parent(),  # not left running by a killed test
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(process, url, log, deadline)
        except RuntimeError:
            _stop(process)
            if "address already in use" not in log_tail(log, 5) or attempt == _PORT_TRIES - 1:
                raise
            continue
        try:
            yield url
        finally:
            _stop(process)
        return


def _own_dir(tmp_path: Path, kind: str) -> Path:
    """A fresh directory per server, so that several share one ``tmp_path``."""
    for i in range(1000):
        path = tmp_path / f"{kind}-{i}"
        with suppress(FileExistsError):
            path.mkdir()
            return path
    raise RuntimeError(f"too many {kind} servers in {tmp_path}")


@contextmanager
def running_prometheus(
    tmp_path: Path, config_yaml_text: str, rule_files: Sequence[Path] = ()
) -> Iterator[str]:
    """A ready Prometheus with this configuration; yields its base URL.

    ``rule_files``, when given, become the config's ``rule_files`` (absolute
    paths); relative paths in the config resolve against the config's own
    directory, a fresh one under ``tmp_path``. Its log is ``prometheus.log`` there."""
    directory = _own_dir(tmp_path, "prometheus")
    config: dict[str, Any] = yaml.safe_load(config_yaml_text) or {}
    if rule_files:
        config["rule_files"] = [str(Path(p).resolve()) for p in rule_files]
    (directory / "prometheus.yml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    args = [
        f"--config.file={directory / 'prometheus.yml'}",
        f"--storage.tsdb.path={directory / 'tsdb'}",
        "--web.listen-address=127.0.0.1:{port}",
    ]
    with _running("prometheus", args, directory, directory / "prometheus.log") as url:
        yield url


@contextmanager
def running_alertmanager(tmp_path: Path, config_yaml_text: str) -> Iterator[str]:
    """A ready Alertmanager (no cluster) with this configuration; yields its URL.
    Files the config names by relative path (templates) resolve against a fresh
    directory under ``tmp_path``, where ``alertmanager.log`` is written too."""
    directory = _own_dir(tmp_path, "alertmanager")
    (directory / "alertmanager.yml").write_text(config_yaml_text, encoding="utf-8")
    args = [
        f"--config.file={directory / 'alertmanager.yml'}",
        f"--storage.path={directory / 'data'}",
        "--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    with _running("prometheus-alertmanager", args, directory, directory / "alertmanager.log") as u:
        yield u


def query(url: str, promql: str, *, timeout_s: float = 0.0) -> list[dict[str, Any]]:
    """The result of the instant query ``promql`` (vector samples with
    ``metric`` and ``value``). With ``timeout_s`` > 0, poll until it is not
    empty and fail the test if it stays empty that long."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10).json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        if result or time.monotonic() >= deadline:
            if timeout_s > 0:
                assert result, f"no result for {promql} within {timeout_s} s"
            return result
        time.sleep(0.25)


def value(sample: dict[str, Any]) -> float:
    """The number of one instant-vector sample."""
    return float(sample["value"][1])
