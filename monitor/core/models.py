"""Every model a hall has used or been offered, kept for good: the versioned
model registry of the nightly learning.

A hall's *model* is the scenario its forecast, nowcast and drift test
simulate. Version 1 is the configured scenario (or, for a new hall with only
hours, counters and target, the cold-start model completed from it); each
nightly fit adds a version, adopted or rejected by its back-test; ops may roll
back to an earlier version or pin one. Each version keeps its scenario (the
YAML ``hallsim run`` reads), the days it was fitted on and back-tested on, the
fit's summary and the scores; every change of the model in use is a
:class:`ModelChange` with its reason.

The registry lives in the event store's SQLite file, in tables of its own,
written with ``synchronous=FULL`` through a connection of its own: a version
or a rollback is durable once recorded, and survives restarts. ``hallmon model``
writes to it while the exporter serves; the exporter notices (SQLite's
``data_version``) and takes the change within a few seconds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from monitor.core.modelrecords import (  # re-exported: the registry's users import them from here
    ACTIONS as ACTIONS,
)
from monitor.core.modelrecords import Action as Action
from monitor.core.modelrecords import InUse as InUse
from monitor.core.modelrecords import ModelChange as ModelChange
from monitor.core.modelrecords import ModelError as ModelError
from monitor.core.modelrecords import ModelVersion as ModelVersion
from monitor.core.modelrecords import Source as Source
from monitor.core.storefile import immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS model_versions (
    hall TEXT NOT NULL,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,       -- configured, cold_start or fitted
    created_us INTEGER NOT NULL,  -- wall clock, Unix microseconds
    scenario TEXT NOT NULL,     -- the model, as scenario YAML
    meta TEXT NOT NULL,         -- JSON: days, holdout, summary, scores, ...
    PRIMARY KEY (hall, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS model_changes (
    hall TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at_us INTEGER NOT NULL,     -- wall clock
    hall_time_us INTEGER,       -- the hall's clock (event time under clock: events)
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (hall, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS model_in_use (
    hall TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    pinned INTEGER NOT NULL
) WITHOUT ROWID;
"""


def _version(row: tuple[Any, ...]) -> ModelVersion:
    hall, version, source, created_us, scenario, meta_text = row
    meta = json.loads(meta_text)
    return ModelVersion(
        hall=hall,
        version=int(version),
        source=cast(Source, source),
        created_s=created_us / 1e6,
        scenario_yaml=scenario,
        days=tuple(meta.get("days", ())),
        holdout=tuple(meta.get("holdout", ())),
        summary=meta.get("summary", {}),
        scores=meta.get("scores", {}),
        week=meta.get("week"),
        hall_time_s=meta.get("hall_time_s"),
        night=meta.get("night"),
    )


def _change(hall: str, row: tuple[Any, ...]) -> ModelChange:
    seq, at_us, hall_us, version, action, detail = row
    return ModelChange(
        hall, int(seq), at_us / 1e6, None if hall_us is None else hall_us / 1e6,
        int(version), cast(Action, action), detail,
    )  # fmt: skip


_VERSION_FIELDS = "hall, version, source, created_us, scenario, meta"


class ModelRegistry:
    """The model tables of the store at ``path`` (created when missing)."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        target = str(path)
        uri = target if target == ":memory:" else f"{Path(target).resolve().as_uri()}"
        mode = "rwc" if create else "rw"
        self._db = sqlite3.connect(
            target if target == ":memory:" else f"{uri}?mode={mode}",
            uri=target != ":memory:",
            check_same_thread=False,
            isolation_level=None,
            timeout=10.0,
        )
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            self._seen = self._data_version()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def changed_elsewhere(self) -> bool:
        """Whether another connection (``hallmon model``) committed a change
        since the last call."""
        with self._lock:
            now = self._data_version()
            changed, self._seen = now != self._seen, now
        return changed

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            with immediate(self._db) as db:
                yield db
            self._seen = self._data_version()  # our own writes are no news

    # -- reading --------------------------------------------------------------
    def halls(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT hall FROM model_in_use ORDER BY hall")]

    def in_use(self, hall: str) -> InUse | None:
        """The hall's model in use (None: the hall has none yet)."""
        with self._lock:
            found = self._db.execute(
                "SELECT v.hall, v.version, v.source, v.created_us, v.scenario, v.meta, u.pinned "
                "FROM model_in_use u JOIN model_versions v ON v.hall = u.hall "
                "AND v.version = u.version WHERE u.hall = ?",
                (hall,),
            ).fetchone()
        return None if found is None else InUse(_version(found[:6]), bool(found[6]))

    def versions(self, hall: str, limit: int | None = None) -> list[ModelVersion]:
        """The hall's versions, latest first."""
        with self._lock:
            cursor = self._db.execute(
                f"SELECT {_VERSION_FIELDS} FROM model_versions WHERE hall = ? "
                "ORDER BY version DESC LIMIT ?",
                (hall, -1 if limit is None else limit),
            )
            return [_version(r) for r in cursor]

    def version(self, hall: str, version: int) -> ModelVersion:
        """One version; :class:`ModelError` when the hall has no such version."""
        with self._lock:
            found = self._db.execute(
                f"SELECT {_VERSION_FIELDS} FROM model_versions WHERE hall = ? AND version = ?",
                (hall, version),
            ).fetchone()
        if found is None:
            raise ModelError(f"hall {hall!r} has no model version {version}")
        return _version(found)

    def changes(self, hall: str, limit: int = 50) -> list[ModelChange]:
        """The hall's latest changes of the model in use and nightly outcomes, latest first."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT seq, at_us, hall_time_us, version, action, detail FROM model_changes "
                "WHERE hall = ? ORDER BY seq DESC LIMIT ?",
                (hall, limit),
            )
            return [_change(hall, r) for r in cursor]

    # -- writing --------------------------------------------------------------
    def _next(self, db: sqlite3.Connection, table: str, column: str, hall: str) -> int:
        found = db.execute(f"SELECT max({column}) FROM {table} WHERE hall = ?", (hall,)).fetchone()
        return int(found[0] or 0) + 1

    def _log(
        self,
        db: sqlite3.Connection,
        hall: str,
        version: int,
        action: Action,
        detail: str,
        hall_time_s: float | None,
    ) -> None:
        seq = self._next(db, "model_changes", "seq", hall)
        hall_us = None if hall_time_s is None else round(hall_time_s * 1e6)
        db.execute(
            "INSERT INTO model_changes VALUES (?, ?, ?, ?, ?, ?, ?)",
            (hall, seq, time.time_ns() // 1000, hall_us, version, action, detail),
        )

    def _use(self, db: sqlite3.Connection, hall: str, version: int, pinned: bool) -> None:
        db.execute("INSERT OR REPLACE INTO model_in_use VALUES (?, ?, ?)", (hall, version, pinned))

    def _insert(self, db: sqlite3.Connection, model: ModelVersion) -> ModelVersion:
        version = self._next(db, "model_versions", "version", model.hall)
        created_us = time.time_ns() // 1000
        db.execute(
            "INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?)",
            (model.hall, version, model.source, created_us, model.scenario_yaml,
             json.dumps(model.meta(), ensure_ascii=False, allow_nan=False)),
        )  # fmt: skip
        return ModelVersion(**{**model.__dict__, "version": version, "created_s": created_us / 1e6})

    def configure(self, hall: str, scenario_yaml: str, source: Source) -> InUse:
        """Make sure the configured model (``scenario_yaml``, from the config's
        scenario or its cold start) is recorded; a new one (none yet, or the
        file changed) becomes the model in use, unless ops pinned another."""
        return self.configure_all([(hall, scenario_yaml, source)])[hall]

    def configure_all(self, halls: Iterable[tuple[str, str, Source]]) -> dict[str, InUse]:
        """:meth:`configure` for every ``(hall, scenario_yaml, source)``, in one
        transaction (an exporter of thousands of halls starts with one commit)."""
        wanted = list(halls)
        with self._write() as db:
            for hall, scenario_yaml, source in wanted:
                found = db.execute(
                    "SELECT scenario FROM model_versions WHERE hall = ? AND source != 'fitted' "
                    "ORDER BY version DESC LIMIT 1",
                    (hall,),
                ).fetchone()
                if found is not None and found[0] == scenario_yaml:
                    continue
                model = self._insert(db, ModelVersion(hall, 0, source, 0.0, scenario_yaml))
                held = db.execute(
                    "SELECT pinned FROM model_in_use WHERE hall = ?", (hall,)
                ).fetchone()
                if held is None or not held[0]:
                    self._use(db, hall, model.version, False)
                    what = "the configured scenario" if source == "configured" else "cold start"
                    self._log(db, hall, model.version, "configured", f"{what} in use", None)
        out: dict[str, InUse] = {}
        for hall, _, _ in wanted:
            in_use = self.in_use(hall)
            assert in_use is not None
            out[hall] = in_use
        return out

    def record(
        self,
        candidate: ModelVersion,
        *,
        adopt: bool,
        detail: str,
    ) -> ModelVersion:
        """Keep a fitted ``candidate`` (its ``version`` is assigned here) and, when
        ``adopt`` and the hall is not pinned, make it the model in use; the
        night's outcome is logged either way with ``detail``."""
        with self._write() as db:
            model = self._insert(db, candidate)
            pinned = db.execute(
                "SELECT pinned FROM model_in_use WHERE hall = ?", (model.hall,)
            ).fetchone()
            taken = adopt and not (pinned and pinned[0])
            if taken:
                self._use(db, model.hall, model.version, False)
            if adopt and not taken:
                detail += "; not adopted: the hall is pinned"
            action: Action = "adopted" if taken else "rejected"
            self._log(db, model.hall, model.version, action, detail, model.hall_time_s)
        return model

    def failed(self, hall: str, detail: str, hall_time_s: float | None) -> None:
        """Log a night whose fit failed (the model in use stays)."""
        with self._write() as db:
            found = db.execute(
                "SELECT version FROM model_in_use WHERE hall = ?", (hall,)
            ).fetchone()
            self._log(db, hall, int(found[0]) if found else 0, "failed", detail, hall_time_s)

    def rollback(self, hall: str, to: int | None = None) -> ModelVersion:
        """Put version ``to`` in use (default: the one in use before the current
        one) and pin it, so that the next night does not undo it."""
        with self._write() as db:
            current = db.execute(
                "SELECT version FROM model_in_use WHERE hall = ?", (hall,)
            ).fetchone()
            if current is None:
                raise ModelError(f"hall {hall!r} has no model yet")
            if to is None:
                before = db.execute(
                    "SELECT version FROM model_changes WHERE hall = ? AND version != ? AND action "
                    "IN ('configured', 'adopted', 'rollback', 'pin') ORDER BY seq DESC LIMIT 1",
                    (hall, current[0]),
                ).fetchone()
                if before is None:
                    raise ModelError(f"hall {hall!r} has used no other model to roll back to")
                to = int(before[0])
            exists = db.execute(
                "SELECT 1 FROM model_versions WHERE hall = ? AND version = ?", (hall, to)
            ).fetchone()
            if exists is None:
                raise ModelError(f"hall {hall!r} has no model version {to}")
            self._use(db, hall, to, True)
            self._log(db, hall, to, "rollback", f"rolled back from version {current[0]}", None)
        return self.version(hall, to)

    def pin(self, hall: str, version: int | None = None) -> ModelVersion:
        """Keep ``version`` (default: the one in use) in use: nightly fits are
        still made and scored, but not adopted, until :meth:`unpin`."""
        in_use = self.in_use(hall)
        if in_use is None:
            raise ModelError(f"hall {hall!r} has no model yet")
        target = in_use.model.version if version is None else version
        self.version(hall, target)  # refuses an unknown version
        with self._write() as db:
            self._use(db, hall, target, True)
            self._log(db, hall, target, "pin", "pinned by ops", None)
        return self.version(hall, target)

    def unpin(self, hall: str) -> ModelVersion:
        """Let the nightly learning change the hall's model again."""
        in_use = self.in_use(hall)
        if in_use is None:
            raise ModelError(f"hall {hall!r} has no model yet")
        with self._write() as db:
            self._use(db, hall, in_use.model.version, False)
            self._log(db, hall, in_use.model.version, "unpin", "unpinned by ops", None)
        return in_use.model
