"""Issue 25, item 2: every start-up failure is one line and exit 2.

``hallmon serve`` on a full file system (a new store, and a restart of a
store that was written before the disk filled up), in a read-only data
directory (a new store, a store written before, and a writable store whose
directory SQLite cannot write its journal in), on a lock file it cannot
write, and on a port another program holds: each exits 2 with
``hallmon: <what>: <why>`` and no traceback. The file systems are small tmpfs
mounts in a mount namespace of the server's own (nothing outside the test
sees them). An app started in-process on a file system without room for a
batch answers ``/readyz`` 503 saying so, until there is room again; one over
a read-only directory fails to start, so it never answers ``/readyz`` 200."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.monitor.conftest import ENV, ROOT, write_config
from tests.monitor.server import free_port

SERVE_S = 120.0
FILL = 'dd if=/dev/zero of="$D/fill" bs=4k 2>/dev/null; '  # until the file system is full
SEED = (  # a store written before the disk filled up
    "import sys; from monitor.core.store import EventStore; from monitor.core.batches import "
    "to_rows; from zoneinfo import ZoneInfo; from sim.eventlog.events import Event; "
    "s = EventStore(sys.argv[1]); s.append('county', to_rows([Event(id=f'e{i}', hall='county', "
    "ts='2026-03-02T09:00:00+08:00', kind='counter_opened', counter=f'C{i}') for i in range(50)], "
    "ZoneInfo('Asia/Shanghai'))); s.close()"
)


def _unshare() -> str:
    found = shutil.which("unshare")
    if found is None:
        pytest.fail("util-linux unshare is needed to mount a small file system")
    return found


def _in_namespace(
    data: Path, prepare: str, command: list[str], size: str = "4m"
) -> subprocess.CompletedProcess[str]:
    """``command`` in a mount namespace where ``data`` is a fresh tmpfs of
    ``size``, after the shell commands ``prepare`` (``$D`` is ``data``)."""
    script = f'mount -t tmpfs -o size={size} tmpfs "$D" && {prepare} exec "$@"'
    return subprocess.run(
        [_unshare(), "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command],
        cwd=ROOT,
        env={**os.environ, **ENV, "D": str(data)},
        capture_output=True,
        text=True,
        timeout=SERVE_S,
    )


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env={**os.environ, **ENV}, capture_output=True, text=True,
        timeout=SERVE_S,
    )  # fmt: skip


def _serve_command(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "serve", "--config", str(config),
            "--port", str(free_port()), *extra]  # fmt: skip


def _one_line_exit_2(done: subprocess.CompletedProcess[str], where: str, *why: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("hallmon: ")]
    assert len(lines) == 1 and lines[0].startswith(f"hallmon: {where}: "), done.stderr
    assert any(w in lines[0] for w in why), lines[0]
    return lines[0]


@pytest.mark.integration
def test_a_new_store_on_a_full_file_system_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = data / "hallmon.db"
    config = write_config(tmp_path)
    done = _in_namespace(data, FILL, _serve_command(config, "--store", str(store)))
    _one_line_exit_2(done, str(store), "No space left on device", "file system is full")


@pytest.mark.integration
def test_a_restart_on_a_full_file_system_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    store = data / "hallmon.db"
    config = write_config(tmp_path)
    seed = f'{sys.executable} -c "{SEED}" "$D/hallmon.db" && '
    done = _in_namespace(data, seed + FILL, _serve_command(config, "--store", str(store)))
    _one_line_exit_2(done, str(store), "No space left on device", "file system is full")


@pytest.mark.integration
def test_a_file_system_without_room_for_a_batch_is_refused_at_start(tmp_path: Path) -> None:
    """Room for the store, not for two batches of ``max_body_bytes`` (2 MB here)."""
    data = tmp_path / "data"
    data.mkdir()
    store = data / "hallmon.db"
    config = write_config(tmp_path)
    done = _in_namespace(data, "", _serve_command(config, "--store", str(store)), size="3m")
    line = _one_line_exit_2(done, str(store), "bytes free")
    assert "4000000 bytes" in line  # two batches of max_body_bytes, as the message says


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["directory", "read-only file"])
def test_a_lock_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path, kind: str) -> None:
    config = write_config(tmp_path)
    lock = tmp_path / "hallmon.db.lock"
    if kind == "directory":
        lock.mkdir()
        done = _run(_serve_command(config))
        _one_line_exit_2(done, str(tmp_path / "hallmon.db"), "Is a directory")
        return
    lock.write_text("1\n")
    script = f'mount --bind "{lock}" "{lock}" && mount -o remount,ro,bind "{lock}" && exec "$@"'
    done = _run(
        [_unshare(), "--mount", "--propagation", "private", "sh", "-c", script, "sh",
         *_serve_command(config)]
    )  # fmt: skip
    line = _one_line_exit_2(done, str(tmp_path / "hallmon.db"), "Read-only file system")
    assert "cannot open the lock file" in line


@pytest.mark.integration
def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = _run(
            [sys.executable, "-m", "monitor", "serve", "--config", str(config),
             "--port", str(port)]
        )  # fmt: skip
    line = _one_line_exit_2(done, f"127.0.0.1:{port}", "Address already in use")
    assert "cannot listen on" in line


READYZ = """
import json, os, sys, time
from fastapi.testclient import TestClient
from monitor.core.config import load_settings
from monitor.server.app import create_app
settings = load_settings(sys.argv[1], store=sys.argv[2])
with TestClient(create_app(settings, background=False)) as client:
    before = client.get("/readyz")
    os.remove(os.path.join(os.path.dirname(sys.argv[2]), "fill"))  # room again
    deadline = time.monotonic() + 30
    while (after := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
print(json.dumps([before.status_code, before.json(), after.status_code, after.json()]))
"""


@pytest.mark.integration
def test_readyz_says_at_start_that_the_store_has_no_room(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(tmp_path)
    leave_1m = 'dd if=/dev/zero of="$D/fill" bs=1M count=15 2>/dev/null; '
    done = _in_namespace(
        data, leave_1m, [sys.executable, "-c", READYZ, str(config), str(data / "hallmon.db")],
        size="16m",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    before_status, before, after_status, after = json.loads(done.stdout.splitlines()[-1])
    assert before_status == 503 and before["ready"] is False
    assert "bytes free" in before["store_error"]
    assert after_status == 200 and after["store_error"] is None


# A read-only data directory. The tests run as root, which a directory's mode does
# not stop, so the directory is made read-only the way a disk is: a read-only bind
# mount of it, in a mount namespace of the server's own.
READ_ONLY = 'mount --bind "$D" "$D" && mount -o remount,ro,bind "$D" && '
# ... and with the store and its lock writable in it (each bound from a writable
# view of the directory, ``$S``): what a service user owning its files, in a
# directory it does not own, gets
FILES_WRITABLE = (
    'mount --bind "$D" "$S" && ' + READ_ONLY
    + 'for f in hallmon.db hallmon.db.lock; do mount --bind "$S/$f" "$D/$f" || exit 9; done && '
)  # fmt: skip


def _in_read_only(data: Path, mounts: str, command: list[str]) -> subprocess.CompletedProcess[str]:
    """``command`` in a mount namespace where ``data`` is read-only (``mounts``)."""
    stage = data.parent / "writable-view"
    stage.mkdir(exist_ok=True)
    return subprocess.run(
        [_unshare(), "--mount", "--propagation", "private", "sh", "-c", mounts + 'exec "$@"',
         "sh", *command],
        cwd=ROOT, env={**os.environ, **ENV, "D": str(data), "S": str(stage)},
        capture_output=True, text=True, timeout=SERVE_S,
    )  # fmt: skip


def _seeded(tmp_path: Path) -> Path:
    """A data directory holding a store written before (and its lock file)."""
    data = tmp_path / "data"
    data.mkdir()
    _run([sys.executable, "-c", SEED, str(data / "hallmon.db")]).check_returncode()
    (data / "hallmon.db.lock").write_text("1\n")
    return data


@pytest.mark.integration
@pytest.mark.parametrize("store", ["new", "written before"])
def test_a_read_only_data_directory_is_one_line_and_exit_2(tmp_path: Path, store: str) -> None:
    if store == "new":
        data = tmp_path / "data"
        data.mkdir()
    else:
        data = _seeded(tmp_path)
    config = write_config(tmp_path)
    store_path = data / "hallmon.db"
    done = _in_read_only(data, READ_ONLY, _serve_command(config, "--store", str(store_path)))
    line = _one_line_exit_2(done, str(store_path), "Read-only file system")
    verb = "create" if store == "new" else "open"
    assert f"cannot {verb} the lock file {data / 'hallmon.db.lock'}" in line


@pytest.mark.integration
def test_a_writable_store_in_a_read_only_directory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """The lock opens and the store file could be written, but SQLite cannot
    create its journal next to it: the message says that it is the directory."""
    data = _seeded(tmp_path)
    config = write_config(tmp_path)
    done = _in_read_only(
        data, FILES_WRITABLE, _serve_command(config, "--store", str(data / "hallmon.db"))
    )
    line = _one_line_exit_2(done, str(data / "hallmon.db"), "is not writable")
    assert f"the store's directory {data} is not writable (its file system is read-only)" in line
    assert "hallmon.db-wal" in line


NEVER_READY = """
import sys
from fastapi.testclient import TestClient
from monitor.core.config import load_settings
from monitor.core.storelock import StoreError
from monitor.server.app import create_app
app = create_app(load_settings(sys.argv[1], store=sys.argv[2]), background=False)
try:
    with TestClient(app) as client:
        print("started", client.get("/readyz").status_code)
except StoreError as exc:
    print("refused:", exc)
"""


@pytest.mark.integration
@pytest.mark.parametrize("files", ["read-only", "writable"])
def test_an_app_over_a_read_only_directory_never_says_ready(tmp_path: Path, files: str) -> None:
    """Started in-process (without ``hallmon serve``'s checks), the app's
    start-up fails on the store, so no ``/readyz`` ever answers 200."""
    data = _seeded(tmp_path)
    config = write_config(tmp_path)
    mounts = READ_ONLY if files == "read-only" else FILES_WRITABLE
    done = _in_read_only(
        data, mounts, [sys.executable, "-c", NEVER_READY, str(config), str(data / "hallmon.db")]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("refused: "), done.stdout
    why = "Read-only file system" if files == "read-only" else f"directory {data} is not writable"
    assert why in out[0], out[0]
