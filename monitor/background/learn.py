"""The nightly learning: each hall with a ``learn:`` block re-fits its model
from its own stored events at its local night, and switches to the new model
only when a back-test says it is better.

*When.* The night of a local date ``D`` is due once the hall's clock passes
``learn.at`` (03:10) on ``D + 1``: with ``clock: wall`` at 03:10, with
``clock: events`` when the first event after that arrives (a replay at speed
goes through its nights as fast as it goes through its days). Nights that pass
while a fit runs are not queued: the next fit is of the latest night.

*What.* The hall's days with events among the ``learn.days`` (28) up to ``D``;
at least ``learn.min_days`` (7) are needed, until then the hall is *learning*
(:class:`LearnStatus` says how many it has). The most recent ``learn.holdout``
days (7, at most a quarter of those there are) are held back; a candidate is
fitted from the others (:func:`sim.learning.refit.fit_candidate`: the configured
scenario with the log's demand and service), and the candidate and the model
in use are back-tested on the held-back days
(:func:`sim.learning.backtest.backtest_models`). The candidate is kept as a new model
version either way, with its days, fit summary and scores; it becomes the
model in use only when its score is better (:func:`sim.learning.backtest.better`)
and ops have not pinned the hall.

*Where.* The fit reads the store through a read-only connection of its own
(:class:`monitor.core.history.StoredEvents`) in a worker of the pool the
forecast uses, so ingest, scrapes and pages never wait for it; with ``dask:``
set, the exporter reads the fit's days (in a thread) and sends them with the
job to that Dask scheduler (:mod:`monitor.background.nightlog`), so a province's
nights run on a cluster and the exporter's workers keep to the nowcast; a fit that
fails is logged, counted (``hallmon_background_failures_total{task="learn"}``)
and recorded in the hall's model history, and the model in use stays.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from monitor.background.nightlog import NightLog, read_night
from monitor.background.rounds import every
from monitor.background.usage import PoolUsage
from monitor.core.history import StoredDay, StoredEvents
from monitor.core.modelbook import LearnStatus
from monitor.core.modelconfig import LearnConfig
from monitor.core.models import ModelVersion
from monitor.core.monitor import Monitor
from sim.calibration.weekdays import WeekJson
from sim.eventlog.events import Event
from sim.learning.backtest import Score, backtest_models, better
from sim.learning.refit import Candidate, FitSummary, fit_candidate
from sim.model.scenario import Scenario
from sim.model.scenario_io import scenario_yaml
from sim.runs.dask_executor import DaskExecutor

log = logging.getLogger("hallmon")
LEARN_CHECK_S = 5.0  # how often due nights (and ops' changes to the models) are looked for


@dataclass(frozen=True)
class NightResult:
    """What a night's job returns: the candidate (as scenario YAML), its fit
    and back-test days, fit summary, weekday tests and both models' scores."""

    scenario_yaml: str
    days: tuple[str, ...]
    holdout: tuple[str, ...]
    summary: FitSummary
    week: WeekJson
    candidate: Score
    current: Score


def due_night(local_now: datetime, at_s: float) -> date:
    """The latest local date whose night is due at ``local_now`` (the hall's
    clock, local): its next day's ``at_s`` (seconds after midnight) has passed."""
    return (local_now - timedelta(seconds=at_s)).date() - timedelta(days=1)


def split_days(days: list[date], holdout: int) -> tuple[list[date], list[date]]:
    """``days`` (oldest first) into those to fit and the most recent ones to
    hold back: ``holdout`` of them, at most a quarter (at least one)."""
    held = max(1, min(holdout, len(days) // 4))
    return days[:-held], days[-held:]


def night_job(
    store: str,
    hall_id: str,
    configured: Scenario,
    current: Scenario,
    fit_days: list[date],
    holdout: list[date],
    replications: int,
    seed: int,
) -> NightResult:
    """The night's work, in a worker process beside the store: fit the
    candidate from ``fit_days`` of the store, back-test it and ``current`` on
    ``holdout``."""
    with StoredEvents(store) as stored:
        candidate = fit_candidate(stored.events(hall_id, fit_days[0], fit_days[-1]), configured)
        held = [(d, list(stored.events(hall_id, d, d))) for d in holdout]
    return _scored(hall_id, candidate, current, held, replications, seed)


def shipped_night_job(
    night: NightLog, configured: Scenario, current: Scenario, replications: int, seed: int
) -> NightResult:
    """The night's work on a Dask worker: the same as :func:`night_job`, on the
    days the exporter read and sent (:mod:`monitor.background.nightlog`)."""
    candidate = fit_candidate(night.fit_events(), configured)
    return _scored(night.hall, candidate, current, night.held_events(), replications, seed)


def _scored(
    hall_id: str,
    candidate: Candidate,
    current: Scenario,
    held: list[tuple[date, list[Event]]],
    replications: int,
    seed: int,
) -> NightResult:
    scores = backtest_models(
        {"current": current, "candidate": candidate.scenario},
        held,
        replications=replications,
        seed=seed,
    )
    return NightResult(
        scenario_yaml(candidate.scenario, comment=f"fitted by hallmon for {hall_id}"),
        tuple(d.isoformat() for d in candidate.days),
        tuple(d.isoformat() for d, _ in held),
        candidate.summary,
        candidate.week.to_json(),
        scores["candidate"],
        scores["current"],
    )


def _pct(value: float) -> str:
    return f"{value:.0f}%" if math.isfinite(value) else "–"


def outcome_text(candidate: Score, current: Score, adopt: bool) -> str:
    """The night's outcome for people: each wMAPE, in use → candidate."""
    parts = [
        f"{name} {_pct(b)} → {_pct(a)}"
        for name, b, a in zip(
            ("arrivals", "queue", "wait"), current.values(), candidate.values(), strict=True
        )
    ]
    verdict = "better" if adopt else "not better"
    return f"{verdict} than the model in use: wMAPE " + ", ".join(parts)


class Learning:
    """The nightly learning of one :class:`Monitor`'s halls, on ``pool()``."""

    def __init__(
        self, monitor: Monitor, pool: Callable[[], Executor], usage: PoolUsage | None = None
    ) -> None:
        self.monitor = monitor
        self._pool = pool
        self._usage = PoolUsage() if usage is None else usage
        self._done: dict[str, date] = {}  # the night looked at last, per hall
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._stored: StoredEvents | None = None
        self._dask: DaskExecutor | None = None  # connected at the first fit sent to it
        self._dask_lock = threading.Lock()

    def _config(self, hall_id: str) -> LearnConfig | None:
        return self.monitor.hall(hall_id).learn

    async def loop(self) -> None:
        await every(LEARN_CHECK_S, self.check, "learning check failed", log)

    def cancel(self) -> None:
        for job in self._jobs.values():
            job.cancel()
        if self._stored is not None:
            self._stored.close()
            self._stored = None
        with self._dask_lock:
            dask, self._dask = self._dask, None
        if dask is not None:
            dask.close()

    async def wait(self) -> None:
        """Until the fits running now have finished (for tests and shutdown)."""
        await asyncio.gather(*self._jobs.values(), return_exceptions=True)

    async def check(self) -> int:
        """Take ops' changes to the models, then start the fit of every hall
        whose night is due; returns how many fits were started."""
        monitor = self.monitor
        changed = monitor.sync_models()
        if changed:
            log.info("models changed by hallmon model: %s", ", ".join(changed))
        started = 0
        for hall_id in monitor.hall_ids():
            learn = self._config(hall_id)
            if learn is None or hall_id in self._jobs:
                continue
            local_now = datetime.fromtimestamp(monitor.now_s(hall_id), monitor.zone(hall_id))
            night = due_night(local_now, learn.at)
            if night == self._done.get(hall_id):
                continue  # looked at already (a hall's clock may also go back: a replay)
            fitted = self._last_fitted(hall_id)
            if fitted is not None and night <= fitted:
                self._done[hall_id] = night
                continue
            days = await asyncio.to_thread(self._days, hall_id, night, learn)
            self._done[hall_id] = night
            enough = len(days) >= learn.min_days
            status = LearnStatus(night.isoformat(), len(days), learn.min_days, running=enough)
            monitor.publish_learning(hall_id, status)
            if not enough:
                continue
            job = asyncio.create_task(self._night(hall_id, night, days, learn))
            self._jobs[hall_id] = job
            started += 1
        return started

    def _on_dask(self, job: Callable[[NightLog], NightResult], night: NightLog) -> NightResult:
        """``job(night)`` on the Dask scheduler of ``dask:`` (connected once, in a
        thread: connecting and waiting block)."""
        with self._dask_lock:
            if self._dask is None:
                self._dask = DaskExecutor(str(self.monitor.settings.dask))
            dask = self._dask
        ((_, result),) = dask.map(job, [night])
        return result

    def _last_fitted(self, hall_id: str) -> date | None:
        """The latest night a fitted version of the hall was made in (after a restart)."""
        for version in self.monitor.model_versions(hall_id, limit=50):
            if version.night is not None:
                return date.fromisoformat(version.night)
        return None

    def _days(self, hall_id: str, night: date, learn: LearnConfig) -> list[date]:
        if self._stored is None:
            self._stored = StoredEvents(Path(self.monitor.settings.store))
        first = night - timedelta(days=learn.days - 1)
        found: list[StoredDay] = self._stored.days(hall_id, first, night)
        return [d.day for d in found]

    async def _night(self, hall_id: str, night: date, days: list[date], learn: LearnConfig) -> None:
        monitor = self.monitor
        hall_time_s = monitor.now_s(hall_id)
        try:
            in_use = monitor.model(hall_id)
            fit_days, holdout = split_days(days, learn.holdout)
            store, configured = str(monitor.settings.store), monitor.hall(hall_id).scenario
            if monitor.settings.dask is None:
                result = await self._usage.run(
                    self._pool(),
                    "learn",
                    night_job,
                    store,
                    hall_id,
                    configured,
                    in_use.scenario,
                    fit_days,
                    holdout,
                    learn.replications,
                    learn.seed,
                )
            else:
                night_log = await asyncio.to_thread(read_night, store, hall_id, fit_days, holdout)
                job = functools.partial(
                    shipped_night_job,
                    configured=configured,
                    current=in_use.scenario,
                    replications=learn.replications,
                    seed=learn.seed,
                )
                result = await asyncio.to_thread(self._on_dask, job, night_log)
            adopt = better(result.candidate, result.current)
            candidate = ModelVersion(
                hall=hall_id,
                version=0,
                source="fitted",
                created_s=0.0,
                scenario_yaml=result.scenario_yaml,
                days=result.days,
                holdout=result.holdout,
                summary=result.summary,
                scores={
                    "candidate": result.candidate.to_json(),
                    "current": result.current.to_json(),
                    "against": in_use.version,
                },
                week=result.week,
                hall_time_s=hall_time_s,
                night=night.isoformat(),
            )
            detail = outcome_text(result.candidate, result.current, adopt)
            await asyncio.to_thread(monitor.record_model, candidate, adopt=adopt, detail=detail)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("learning of hall %s failed: %s", hall_id, exc, exc_info=exc)
            monitor.count_failure(hall_id, "learn")
            try:
                detail = f"the fit of {night} failed: {exc}"
                await asyncio.to_thread(monitor.record_failed_fit, hall_id, detail, hall_time_s)
            except Exception:  # the store too: the log and the counter have it
                log.exception("recording the failed fit of hall %s failed", hall_id)
        finally:
            self._jobs.pop(hall_id, None)
            status = monitor.learning(hall_id)
            if status is not None:
                monitor.publish_learning(
                    hall_id, LearnStatus(status.night, status.days, status.needed)
                )
