"""Both CLIs run in a terminal as a person runs them: stdout and stderr a
pseudo-terminal, so the progress bars are drawn. On a pipe (every other test)
they are not, which hid that a progress bar handed rich the lazy stderr
console: ``hallsim run`` (``make run``), ``compare``, ``sweep``, a roster of
several halls and ``hallmon replay`` ended with "lost sys.stderr" and exit 1
in any terminal."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from sim.reports import terminal
from sim.reports.terminal import err, progress_bar

ROOT = Path(__file__).resolve().parents[1]
HALLSIM = Path(sys.executable).parent / "hallsim"
LIMIT_S = 120.0


def _in_terminal(args: list[str], columns: int = 100) -> tuple[int, str]:
    """Exit code and everything the command wrote to its terminal (killed,
    and the test failed, past :data:`LIMIT_S`)."""
    main, side = os.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("TTY_COMPATIBLE", "NO_COLOR")}
    process = subprocess.Popen(
        args, stdin=side, stdout=side, stderr=side, cwd=ROOT, env=env | {"TERM": "xterm"}
    )
    os.close(side)
    chunks = []
    deadline = time.monotonic() + LIMIT_S
    try:
        while time.monotonic() < deadline:
            if not select.select([main], [], [], 1.0)[0]:
                continue
            try:
                chunk = os.read(main, 65536)
            except OSError as exc:  # the terminal's other side is closed: the child is done
                if exc.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            chunks.append(chunk)
        else:
            process.kill()
            pytest.fail(f"{args} still running after {LIMIT_S} s")
    finally:
        os.close(main)
    return process.wait(timeout=30), b"".join(chunks).decode(errors="replace")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["run", "scenarios/county.yaml", "--replications", "3"], id="run"),
        pytest.param(
            ["compare", "scenarios/county.yaml", "scenarios/county.yaml", "--replications", "2"],
            id="compare",
        ),
    ],
)
def test_hallsim_draws_its_progress_and_ends_well_in_a_terminal(args: list[str]) -> None:
    code, shown = _in_terminal([str(HALLSIM), *args])
    assert code == 0, shown
    assert "lost sys.stderr" not in shown and "Traceback" not in shown, shown
    assert "county" in shown and "\x1b[" in shown  # its tables, in colour: a terminal's


@pytest.mark.parametrize(
    ("args", "first"),
    [
        pytest.param(["run", "scenarios/county.yaml", "--replications", "3"], "08:30", id="run"),
        pytest.param(
            ["compare", "scenarios/flagship.yaml", "scenarios/flagship-remote.yaml", "-n", "2"],
            "09:00",
            id="compare",
        ),
    ],
)
def test_hallsim_s_tables_keep_every_cell_whole_at_80_columns(args: list[str], first: str) -> None:
    """rich fits a wide table to the terminal by cutting every column: at 80
    columns the table by interval showed its start times as "09…" (and
    compare's headers, each naming the first scenario, were cut whatever the
    frame)."""
    code, shown = _in_terminal([str(HALLSIM), *args], columns=80)
    assert code == 0, shown
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", shown)
    assert re.search(rf"^{first} +[-+\d]", text, re.MULTILINE), text  # the first interval, whole
    assert "…" not in text, text


def test_the_progress_bar_takes_the_stderr_console_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # a terminal to rich, so a bar is made
    # a console of its own, made with that variable (the next tests get theirs back)
    monkeypatch.setattr(terminal._err, "_console", None)
    with progress_bar() as progress:
        task = progress.add_task("counting", total=2)
        progress.advance(task, 2)
    with err:  # rich enters its console as a context manager (a bar's live display does)
        pass
