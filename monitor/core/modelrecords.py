"""What the model registry (:mod:`monitor.core.models`) holds of a hall, as
records: each version of its model with the days it was fitted and back-tested
on, each change of the model in use with its reason, and the model in use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["configured", "cold_start", "fitted"]
# configured: a (new) configured scenario took over; adopted: a fit beat the model
# in use; rejected: it did not; failed: the night's fit failed; rollback, pin,
# unpin: ops (hallmon model)
Action = Literal["configured", "adopted", "rejected", "failed", "rollback", "pin", "unpin"]
ACTIONS: tuple[Action, ...] = (
    "configured", "adopted", "rejected", "failed", "rollback", "pin", "unpin",
)  # fmt: skip


class ModelError(ValueError):
    """A request the registry refuses (an unknown version, nothing to roll back
    to); the message says why."""


@dataclass(frozen=True)
class ModelVersion:
    """One model of a hall. ``days`` are the local dates it was fitted on (none
    for a configured or cold-start model), ``holdout`` those it was
    back-tested on, ``scores`` the back-test (``candidate`` and ``current``
    scores and the version it was compared with, ``against``)."""

    hall: str
    version: int
    source: Source
    created_s: float
    scenario_yaml: str
    days: tuple[str, ...] = ()
    holdout: tuple[str, ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    scores: Mapping[str, Any] = field(default_factory=dict)
    week: Mapping[str, Any] | None = None
    hall_time_s: float | None = None  # the hall's clock when it was fitted
    night: str | None = None  # the local date whose night it was fitted in

    def meta(self) -> dict[str, object]:
        return {
            "night": self.night,
            "days": list(self.days),
            "holdout": list(self.holdout),
            "summary": dict(self.summary),
            "scores": dict(self.scores),
            "week": None if self.week is None else dict(self.week),
            "hall_time_s": self.hall_time_s,
        }


@dataclass(frozen=True)
class ModelChange:
    """One change of a hall's model in use, or one night's outcome."""

    hall: str
    seq: int
    at_s: float
    hall_time_s: float | None
    version: int
    action: Action
    detail: str


@dataclass(frozen=True)
class InUse:
    """The hall's model in use and whether ops pinned it."""

    model: ModelVersion
    pinned: bool
