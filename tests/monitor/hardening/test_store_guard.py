"""Issue 14, items 5 and 6: one exporter per store, honest storage errors.

A second ``hallmon serve`` on a store another one serves exits 2 with a clear
message (and the first keeps serving); a store that is damaged, truncated,
garbage, another program's database, of another schema or read-only is
refused at start with ``hallmon: <store>: <why>`` and exit 2, no traceback.
While the store cannot take writes, ingest answers 503 with Retry-After and a
JSON reason (counted as ``result="error"``) and ``/readyz`` answers 503; a
ROLLBACK that fails does not hide the error that failed the batch."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from monitor.core.batches import to_rows
from monitor.core.store import EventStore
from monitor.core.storelock import StoreError, lock_file
from sim.eventlog.events import Event
from tests.monitor.conftest import ENV, ROOT, auth, write_config
from tests.monitor.hardening.conftest import client_for, issued, post, settings_for
from tests.monitor.server import free_port, running_server

SERVE_S = 120.0  # a second server must give up long before this


def _serve(config: Path, *, wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """``hallmon serve`` expected to exit by itself (it is refused)."""
    command = [sys.executable, "-m", "monitor", "serve", "--config", str(config),
               "--port", str(free_port())]  # fmt: skip
    return subprocess.run(
        (wrap or []) + command,
        cwd=ROOT,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=SERVE_S,
    )


def _refused(done: subprocess.CompletedProcess[str], store: Path, why: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("hallmon: ")]
    assert lines and lines[0].startswith(f"hallmon: {store}: "), done.stderr
    assert why in lines[0], lines[0]


@pytest.mark.integration
def test_a_second_server_on_the_same_store_exits_2(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store = tmp_path / "hallmon.db"
    with running_server(config, ENV, log=tmp_path / "a.log") as first:
        second = _serve(config)
        _refused(second, store, f"another hallmon (pid {first.pid}) is serving this store")
        assert lock_file(store) in second.stderr
        # the first one still serves, and WAL readers of other processes still read
        reply = httpx.post(first.url + "/v1/halls/county/events", json=[issued(1)],
                           headers=auth("county"))  # fmt: skip
        assert reply.status_code == 200
        with sqlite3.connect(store) as reader:
            assert reader.execute("SELECT count(*) FROM events").fetchone() == (1,)
        first.kill()  # kill -9: the kernel drops the lock, nothing stale is left
    with running_server(config, ENV, log=tmp_path / "b.log") as after:
        assert after.get("/v1/halls/county/state").json()["issued"]


def test_one_process_may_open_its_store_twice_but_not_after_another(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    a, b = EventStore(path), EventStore(path)  # the CLI and the app of one server
    a.close()
    b.append("h", to_rows([Event.model_validate(issued(1))], ZoneInfo("Asia/Shanghai")))
    b.close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from monitor.core.store import EventStore; "
         "EventStore(sys.argv[1]); print('held', flush=True); time.sleep(60)", str(path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(StoreError, match=f"pid {holder.pid}"):
            EventStore(path)
    finally:
        holder.kill()
        holder.wait()
    EventStore(path).close()


def _stored(path: Path, n: int) -> None:
    """A store of ``n`` events, checkpointed into the main file."""
    events = [Event.model_validate(issued(i, id=f"e{i}", ticket=f"T{i}")) for i in range(n)]
    store = EventStore(path)
    store.append("county", to_rows(events, ZoneInfo("Asia/Shanghai")))
    store.close()  # the last connection checkpoints the WAL into the file
    assert (
        not (path.parent / (path.name + "-wal")).exists()
        or os.path.getsize(path.parent / (path.name + "-wal")) == 0
    )


def _garbage_in_the_middle(path: Path) -> None:
    _stored(path, 20_000)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(size // 2 // 4096 * 4096)
        f.write(os.urandom(8192))


def _truncated(path: Path) -> None:
    _stored(path, 20_000)
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def _other_program(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (name TEXT, phone TEXT)")


def _other_schema(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (hall TEXT, id TEXT, payload BLOB)")


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (_garbage_in_the_middle, "the store is damaged"),
        (_truncated, "the store is damaged"),
        (_garbage, "damaged or not a SQLite database"),
        (_other_program, "not a hallmon event store: it has no table events (it has customers)"),
        (_other_schema, "not a hallmon event store: table events has columns (hall, id, payload)"),
    ],
)
def test_a_store_that_cannot_be_served_is_refused_at_start(
    tmp_path: Path, damage: object, why: str
) -> None:
    config = write_config(tmp_path)
    store = tmp_path / "hallmon.db"
    damage(store)  # type: ignore[operator]
    before = store.read_bytes()
    _refused(_serve(config), store, why)
    assert store.read_bytes() == before  # refused before anything was written


@pytest.mark.integration
@pytest.mark.parametrize(
    ("target", "why"),
    [("directory", "Read-only file system"), ("file", "the store is read-only")],
)
def test_a_read_only_store_is_refused_at_start(tmp_path: Path, target: str, why: str) -> None:
    """The store's directory, or the store file alone, mounted read-only (in a
    mount namespace of the server's own: nothing outside the test sees it)."""
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(data)
    store = data / "hallmon.db"
    _stored(store, 100)
    if shutil.which("unshare") is None:
        pytest.fail("util-linux unshare is needed to mount the store read-only")
    ro = data if target == "directory" else store
    wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'mount --bind "{ro}" "{ro}" && mount -o remount,ro,bind "{ro}" && exec "$@"',
            "sh"]  # fmt: skip
    _refused(_serve(config, wrap=wrap), store, why)


def test_a_full_store_is_503_with_a_reason_and_not_ready_until_it_writes(
    tmp_path: Path,
) -> None:
    with client_for(settings_for(tmp_path)) as client:
        monitor = client.app.state.monitor  # type: ignore[attr-defined]
        assert post(client, [issued(i) for i in range(10)]).status_code == 200
        db = monitor._store._db
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite: "database or disk is full"
        big = [issued(i, ticket=f"T{i:0>100}") for i in range(10, 2010)]
        full = post(client, big)
        assert full.status_code == 503, full.text
        assert full.headers["retry-after"] == "5"
        assert "database or disk is full" in full.json()["detail"]
        assert "nothing was stored" in full.json()["detail"]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert "full" in ready.json()["store_error"]
        state = client.get("/v1/halls/county/state").json()
        assert state["ingested"]["error"] == 2000 and state["ingested"]["accepted"] == 10
        assert monitor.stored() == 10
        db.execute(f"PRAGMA max_page_count = {pages * 1000}")  # space again
        assert client.get("/readyz").status_code == 503  # no probe while batches fail
        monitor._health.failed_s = float("-inf")  # as if the last failure were long ago
        assert client.get("/readyz").status_code == 200  # a probe write succeeds
        assert post(client, big).json() == {"accepted": 2000, "duplicates": 0}


def test_a_failed_rollback_does_not_hide_the_error(tmp_path: Path) -> None:
    """RAISE(ROLLBACK) in a trigger ends the transaction inside SQLite, so the
    store's own ROLLBACK fails ('no transaction is active'): the error raised
    must still be the one that failed the batch."""
    store = EventStore(tmp_path / "s.db")
    store._db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.events "
        "WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ROLLBACK, 'the trigger refused it'); END"
    )
    rows = to_rows(
        [Event.model_validate(issued(1)), Event.model_validate(issued(2, id="bad"))],
        ZoneInfo("Asia/Shanghai"),
    )
    with pytest.raises(sqlite3.IntegrityError, match="the trigger refused it"):
        store.append("county", rows)
    assert store.count() == 0
    assert len(store.append("county", rows[:1])) == 1  # the store goes on
