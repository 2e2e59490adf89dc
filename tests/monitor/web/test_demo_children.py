"""What ``hallmon demo`` (and a test) starts does not outlive it, however it
ends: killed outright, its children are sent SIGTERM
(:func:`monitor.demo.processes.dies_with_parent`); hung up on (its terminal
closed), it stops everything as Ctrl-C does."""

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

import pytest

from monitor.demo.processes import dies_with_parent

ROOT = Path(__file__).resolve().parents[3]
LINUX = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"
)
START_S = 180.0
# a stand-in for the test process: starts a long-lived child in a session of its
# own (as the server fixtures do), says its pid, and waits to be killed
PARENT = """
import subprocess, sys, time
from monitor.demo.processes import dies_with_parent
armed = sys.argv[1] == "armed"
child = subprocess.Popen(["sleep", "300"], start_new_session=True,
                         preexec_fn=dies_with_parent() if armed else None)
print(child.pid, flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped yet has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _orphan_after_kill(mode: str, wait_s: float) -> tuple[int, bool]:
    """Start the stand-in parent in ``mode``, SIGKILL it, and say whether its
    child still runs ``wait_s`` later (or as soon as it has ended). The kernel
    signals the child as the parent dies: a second is plenty."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, mode], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.kill()
    parent.wait(timeout=10)
    deadline = time.monotonic() + wait_s
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    return child, _alive(child)


@LINUX
def test_a_child_dies_with_a_killed_parent_and_only_when_asked() -> None:
    child, alive = _orphan_after_kill("armed", wait_s=10)
    assert not alive, f"child {child} outlived its killed parent"
    # the same child without the request outlives it: the case the helper is for
    child, alive = _orphan_after_kill("plain", wait_s=2)
    try:
        assert alive
    finally:
        os.kill(child, signal.SIGKILL)


def test_asked_only_from_the_main_thread() -> None:
    found: list[object] = []
    worker = threading.Thread(target=lambda: found.append(dies_with_parent()))
    worker.start()
    worker.join()
    # a child started from a thread would be signalled when that thread ends
    assert found == [None]
    if sys.platform.startswith("linux"):
        assert callable(dies_with_parent())


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _start_demo() -> tuple[subprocess.Popen[str], list[int], Path]:
    """``hallmon demo`` (no Prometheus), up; the processes it started, and its
    files."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "monitor", "demo", "--port", "0", "--no-prometheus"],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,  # a terminal's job: no signal of ours reaches it
    )  # fmt: skip
    assert demo.stdout is not None
    deadline = time.monotonic() + START_S
    seen: list[str] = []
    while not any("Ctrl-C stops everything" in line for line in seen):
        line = demo.stdout.readline()
        assert line and time.monotonic() < deadline, "".join(seen)
        seen.append(line)
    children = _children(demo.pid)
    assert children and all(_alive(p) for p in children)
    files = re.search(r"files\s+(\S+)", "".join(seen))
    assert files, "".join(seen)
    return demo, children, Path(files[1])


def _gone(pids: list[int], wait_s: float) -> list[int]:
    deadline = time.monotonic() + wait_s
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


@LINUX
@pytest.mark.integration
@pytest.mark.slow
def test_a_demo_killed_outright_leaves_nothing_running() -> None:
    demo, children, files = _start_demo()
    demo.kill()  # no handler runs: only the kernel's word reaches the children
    demo.wait(timeout=10)
    left = _gone(children, wait_s=30)
    for pid in left:
        os.killpg(pid, signal.SIGKILL)
    shutil.rmtree(files, ignore_errors=True)  # a killed demo cannot remove its files
    assert left == []


@LINUX
@pytest.mark.integration
@pytest.mark.slow
def test_a_demo_hung_up_on_stops_everything_it_started() -> None:
    demo, children, _ = _start_demo()
    demo.send_signal(signal.SIGHUP)  # its terminal closed
    out, _ = demo.communicate(timeout=60)
    left = _gone(children, wait_s=5)
    for pid in left:
        os.killpg(pid, signal.SIGKILL)
    assert demo.returncode == 0, out
    assert "stopped everything it started" in out
    assert left == []


@LINUX
@pytest.mark.integration
@pytest.mark.slow
def test_a_demo_whose_terminal_is_gone_still_cleans_up() -> None:
    """Hung up on with nobody to read its last words (a closed terminal's
    writes fail; here its output pipe is closed first), it still stops its
    processes and removes its files."""
    demo, children, files = _start_demo()
    assert demo.stdout is not None
    demo.stdout.close()
    demo.send_signal(signal.SIGHUP)
    demo.wait(timeout=60)
    left = _gone(children, wait_s=5)
    for pid in left:
        os.killpg(pid, signal.SIGKILL)
    assert left == []
    assert not files.exists(), f"{files} was left behind"
