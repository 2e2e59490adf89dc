"""The :class:`~monitor.core.monitor.Monitor`'s part that keeps each hall's
model: the model in use and its versions (:mod:`monitor.core.inuse` over
:mod:`monitor.core.models`), the nightly learning's status and the latest
drift test, all published by the background through these methods."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.core.config import Hall
from monitor.core.errors import ModelRefused
from monitor.core.inuse import HallModels, Model
from monitor.core.models import ModelChange, ModelError, ModelRegistry, ModelVersion

if TYPE_CHECKING:
    from sim.live.drift import HallDrift


@dataclass(frozen=True)
class LearnStatus:
    """Where a hall's nightly learning stands: the latest night looked at, the
    days with events it had (of the ``needed`` before a first fit), and
    whether a fit is running."""

    night: str | None
    days: int
    needed: int
    running: bool = False


class ModelBook:
    """Each hall's model in use, versions, learning status and drift."""

    def __init__(self) -> None:
        self._models: HallModels | None = None  # once open
        self._drifts: dict[str, HallDrift] = {}
        self._learning: dict[str, LearnStatus] = {}

    def hall(self, hall_id: str) -> Hall:  # the Monitor's
        raise NotImplementedError

    def day(self, hall_id: str) -> str:  # the Monitor's
        raise NotImplementedError

    def _open_models(self, store: Path, halls: Iterable[Hall]) -> None:
        self._models = HallModels(ModelRegistry(store), halls)

    def _close_models(self) -> None:
        if self._models is not None:
            self._models.registry.close()
            self._models = None

    def _models_version(self) -> tuple[int, ...]:
        """Changes when a drift, a model in use or a learning status is published."""
        in_use = self._models.versions() if self._models is not None else ()
        return (*map(id, self._drifts.values()), *in_use, *map(id, self._learning.values()))

    def _hall_models(self) -> HallModels:
        assert self._models is not None, "the monitor is not open"
        return self._models

    def model(self, hall_id: str) -> Model:
        """The hall's model in use: what its forecast, nowcast and drift test simulate."""
        self.hall(hall_id)
        return self._hall_models().get(hall_id)

    def model_versions(self, hall_id: str, limit: int | None = None) -> list[ModelVersion]:
        """The hall's model versions, latest first."""
        self.hall(hall_id)
        return self._hall_models().registry.versions(hall_id, limit)

    def model_version(self, hall_id: str, version: int) -> ModelVersion:
        """One of the hall's model versions; :class:`ModelRefused` if it has none such."""
        self.hall(hall_id)
        try:
            return self._hall_models().registry.version(hall_id, version)
        except ModelError as exc:
            raise ModelRefused(str(exc)) from None

    def model_changes(self, hall_id: str, limit: int = 50) -> list[ModelChange]:
        """The hall's latest changes of its model and nightly outcomes, latest first."""
        self.hall(hall_id)
        return self._hall_models().registry.changes(hall_id, limit)

    def record_model(self, candidate: ModelVersion, *, adopt: bool, detail: str) -> ModelVersion:
        """Keep a nightly fit's candidate, adopting it when ``adopt`` (and the hall
        is not pinned); the outcome is logged with ``detail``."""
        return self._hall_models().record(candidate, adopt=adopt, detail=detail)

    def record_failed_fit(self, hall_id: str, detail: str, hall_time_s: float | None) -> None:
        """Log a night whose fit failed; the model in use stays."""
        self._hall_models().registry.failed(hall_id, detail, hall_time_s)

    def sync_models(self) -> list[str]:
        """The halls whose model in use ``hallmon model`` changed meanwhile."""
        return self._hall_models().sync()

    def publish_learning(self, hall_id: str, status: LearnStatus) -> None:
        """Publish where the hall's nightly learning stands."""
        self._learning[hall_id] = status

    def learning(self, hall_id: str) -> LearnStatus | None:
        """Where the hall's learning stands (None: it does not learn, or has
        not looked yet)."""
        return self._learning.get(hall_id)

    def publish_drift(self, hall_id: str, drift: HallDrift) -> None:
        """Publish the hall's latest drift test of the live stream against its model."""
        self._drifts[hall_id] = drift

    def drift(self, hall_id: str) -> HallDrift | None:
        """The hall's latest drift test of its current day (None: none yet)."""
        found = self._drifts.get(hall_id)
        if found is None or found.day != self.day(hall_id):
            return None
        return found
