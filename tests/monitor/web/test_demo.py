"""``hallmon demo`` (``make demo``): it starts the exporter (and Prometheus and
Alertmanager when installed), replays the halls, serves the pages; SIGINT, as
Ctrl-C sends it, stops every process it started and removes its files."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.monitor.conftest import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START_S = 180.0


def descendants(root: int) -> dict[int, tuple[str, str]]:
    """Every process below ``root``: pid -> (start time, command line)."""
    parent: dict[int, int] = {}
    info: dict[int, tuple[str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        parent[int(entry.name)] = int(fields[1])
        info[int(entry.name)] = (fields[19], cmdline)
    found: dict[int, tuple[str, str]] = {}
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        for child, ppid in parent.items():
            if ppid == pid and child not in found:
                found[child] = info[child]
                frontier.append(child)
    return found


def alive(pid: int, started: str) -> bool:
    """The process ``pid`` that started at ``started`` still exists (not a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] != "Z"


def test_demo_starts_everything_and_ctrl_c_stops_it_all() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "monitor", "demo", "--port", "0", "--speed", "120"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # like a terminal's foreground job: SIGINT is ours to send
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(demo.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + START_S
        while not any("Ctrl-C stops everything" in line for line in lines):
            assert demo.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        out = "".join(lines)
        url = re.search(r"all halls\s+(http://127\.0\.0\.1:\d+)/", out)
        files = re.search(r"files\s+(\S+)", out)
        assert url and files, out
        page = httpx.get(url[1] + "/", timeout=10)
        assert page.status_code == 200 and "营业厅" in page.text
        while sum(h["issued_today"] for h in httpx.get(url[1] + "/v1/halls").json()) == 0:
            assert time.monotonic() < deadline, "the replays sent nothing"
            time.sleep(0.2)
        started = descendants(demo.pid)
        commands = " ".join(command for _, command in started.values())
        assert "monitor serve" in commands and "forkserver" in commands
        installed = shutil.which("prometheus") and shutil.which("prometheus-alertmanager")
        if installed:
            assert "prometheus-alertmanager" in commands and "/usr/bin/prometheus " in commands
            prometheus = re.search(r"Prometheus\s+(http://\S+)/alerts", out)
            assert prometheus and httpx.get(prometheus[1] + "/-/ready").status_code == 200
            assert httpx.get(url[1] + "/v1/alerts").json()["configured"] is True
        demo.send_signal(signal.SIGINT)  # what Ctrl-C does
        assert demo.wait(60) == 0
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        reader.join(10)
    survivors = [command for pid, (t, command) in started.items() if alive(pid, t)]
    assert survivors == []
    assert not Path(files[1]).exists()
    assert "stopped everything it started" in "".join(lines)
