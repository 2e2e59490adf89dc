"""``GET /v1/halls/{hall}/model``: the hall's model in use, where it came from
(the configured scenario, a new hall's cold start, or a nightly fit from which
days), when, its back-test against the model it replaced, the learning's
progress, today's drift test, and the history of versions and changes."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from monitor.api.deps import MonitorDep, ServedHall, errors
from monitor.core.models import ModelChange, ModelVersion
from monitor.core.monitor import Monitor
from sim.learning.backtest import ScoreJson
from sim.model.units import format_clock

router = APIRouter(prefix="/v1/halls", tags=["model"])
PUTS_IN_USE = ("configured", "adopted", "rollback", "pin")


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScoreBody(_Body):
    """A model's back-test on held-out days: wMAPE (percent) of tickets per
    hour, queue and wait per interval and service; ``total`` is their mean
    (lower is better). Null: nothing to score."""

    arrivals_wmape: float | None
    queue_wmape: float | None
    wait_wmape: float | None
    total: float | None
    cells: int
    days: list[str]


class BacktestBody(_Body):
    """A fitted version's back-test: its score and that of the version in use
    when it was fitted (``against``), on the same held-out days."""

    candidate: ScoreBody
    replaced: ScoreBody
    against: int


class VersionBody(_Body):
    """One model version: where it came from, the days it was fitted on
    (first, last and how many) and back-tested on, and its back-test."""

    version: int
    source: Literal["configured", "cold_start", "fitted"]
    created_at: str
    night: str | None
    fitted_days: int
    first_day: str | None
    last_day: str | None
    holdout: list[str]
    backtest: BacktestBody | None


class ChangeBody(_Body):
    """A change of the model in use, or a night's outcome: ``configured``,
    ``adopted``, ``rejected``, ``failed``, ``rollback``, ``pin``, ``unpin``;
    ``at`` is the wall clock, ``hall_time`` the hall's clock (event time)."""

    at: str
    hall_time: str | None
    version: int
    action: str
    detail: str


class LearningBody(_Body):
    """The nightly learning: off (``enabled`` false), or the days with events
    the latest night had of the ``needed`` before a first fit."""

    enabled: bool
    night: str | None
    days: int | None
    needed: int | None
    running: bool


class DriftQuantityBody(_Body):
    """One drift test: ``score`` ≥ 1 is a drift; ``ratio`` is what was seen
    over what the model expects since ``since`` (the change while drifting,
    else opening)."""

    score: float | None
    drifting: bool
    ratio: float | None
    since: str
    observed: float | None
    expected: float | None


class DriftBody(_Body):
    """Today's drift tests of the live stream against the model in use
    (arrivals, service times, no-shows), as of ``as_of`` (the hall's clock);
    ``false_alarm`` is the share of days matching the model that raise any."""

    day: str
    as_of: str
    drifting: bool
    false_alarm: float
    quantities: dict[str, DriftQuantityBody]


class ModelBody(_Body):
    """``GET /v1/halls/{hall}/model``."""

    hall: str
    version: int
    source: Literal["configured", "cold_start", "fitted"]
    pinned: bool
    in_use_since: str
    created_at: str
    fitted_days: list[str]
    holdout: list[str]
    backtest: BacktestBody | None
    # as the version's night recorded them (older versions recorded other keys):
    # passed on as JSON, never read here
    summary: dict[str, object]
    week: dict[str, object] | None
    # false: the model's week or holidays keep the hall closed on its current
    # local day, and nothing is simulated for it today (no nowcast, forecast or
    # drift test) although its configured hours may open it
    open_today: bool
    learning: LearningBody
    drift: DriftBody | None
    versions: list[VersionBody]
    history: list[ChangeBody]


def _time(unix_s: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(unix_s, zone).isoformat(timespec="seconds")


def _pct(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _score(data: ScoreJson) -> ScoreBody:
    return ScoreBody(
        arrivals_wmape=_pct(data.get("arrivals_wmape")),
        queue_wmape=_pct(data.get("queue_wmape")),
        wait_wmape=_pct(data.get("wait_wmape")),
        total=_pct(data.get("total")),
        cells=int(data.get("cells", 0)),
        days=list(data.get("days", [])),
    )


def _backtest(model: ModelVersion) -> BacktestBody | None:
    scores = model.scores
    if "candidate" not in scores:
        return None
    return BacktestBody(
        candidate=_score(scores["candidate"]),
        replaced=_score(scores["current"]),
        against=int(scores.get("against", 0)),
    )


def version_body(model: ModelVersion, zone: ZoneInfo) -> VersionBody:
    return VersionBody(
        version=model.version,
        source=model.source,
        created_at=_time(model.created_s, zone),
        night=model.night,
        fitted_days=len(model.days),
        first_day=model.days[0] if model.days else None,
        last_day=model.days[-1] if model.days else None,
        holdout=list(model.holdout),
        backtest=_backtest(model),
    )


def change_body(change: ModelChange, zone: ZoneInfo) -> ChangeBody:
    return ChangeBody(
        at=_time(change.at_s, zone),
        hall_time=None if change.hall_time_s is None else _time(change.hall_time_s, zone),
        version=change.version,
        action=change.action,
        detail=change.detail,
    )


def drift_body(monitor: Monitor, hall_id: str, zone: ZoneInfo) -> DriftBody | None:
    drift = monitor.drift(hall_id)
    if drift is None:
        return None

    def num(v: float) -> float | None:
        return round(v, 4) if math.isfinite(v) else None

    return DriftBody(
        day=drift.day,
        as_of=_time(drift.as_of_s, zone),
        drifting=drift.drifting,
        false_alarm=drift.alpha,
        quantities={
            name: DriftQuantityBody(
                score=num(q.score),
                drifting=q.drifting,
                ratio=num(q.ratio),
                since=format_clock(q.since_s),
                observed=num(q.observed),
                expected=num(q.expected),
            )
            for name, q in drift.quantities.items()
        },
    )


@router.get("/{hall}/model", responses=errors(404))
def hall_model(
    hall: ServedHall,
    monitor: MonitorDep,
    limit: Annotated[
        int, Query(ge=0, le=500, description="versions and changes listed, latest first")
    ] = 20,
) -> ModelBody:
    """The hall's model in use: where it came from, its back-test against the
    model it replaced, the learning's progress, today's drift, the history."""
    zone = monitor.zone(hall.id)
    in_use = monitor.model(hall.id).in_use
    model = in_use.model
    changes = monitor.model_changes(hall.id, max(limit, 50))
    since = next(
        (c.at_s for c in changes if c.version == model.version and c.action in PUTS_IN_USE),
        model.created_s,
    )
    status = monitor.learning(hall.id)
    learning = LearningBody(
        enabled=hall.learn is not None,
        night=None if status is None else status.night,
        days=None if status is None else status.days,
        needed=None if status is None else status.needed,
        running=False if status is None else status.running,
    )
    return ModelBody(
        hall=hall.id,
        version=model.version,
        source=model.source,
        pinned=in_use.pinned,
        in_use_since=_time(since, zone),
        created_at=_time(model.created_s, zone),
        fitted_days=list(model.days),
        holdout=list(model.holdout),
        backtest=_backtest(model),
        summary=dict(model.summary),
        week=None if model.week is None else dict(model.week),
        open_today=monitor.model_opens_today(hall.id),
        learning=learning,
        drift=drift_body(monitor, hall.id, zone),
        versions=[version_body(v, zone) for v in monitor.model_versions(hall.id, limit)],
        history=[change_body(c, zone) for c in changes[:limit]],
    )
