"""The model each served hall uses now, read from the model registry
(:mod:`monitor.core.models`) and kept parsed: the forecast, the nowcast and
the drift test ask for it many times a minute.

At start every hall's configured model (its scenario, or a new hall's
cold-start model) is recorded; a configured scenario that changed since the
last start becomes the model in use (unless ops pinned one). A change made by
``hallmon model`` in another process shows at the next :meth:`HallModels.sync`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.core.config import Hall
from monitor.core.models import InUse, ModelRegistry, ModelVersion
from sim.model.scenario import Scenario, parse_yaml, scenario_from_dict
from sim.model.scenario_io import scenario_yaml


@dataclass(frozen=True)
class Model:
    """A hall's model in use: its registry entry and its scenario."""

    in_use: InUse
    scenario: Scenario

    @property
    def version(self) -> int:
        return self.in_use.model.version


def version_scenario(model: ModelVersion) -> Scenario:
    """The scenario a model version holds."""
    where = f"model version {model.version} of {model.hall}"
    return scenario_from_dict(parse_yaml(model.scenario_yaml, source=where), source=where)


class HallModels:
    """The models in use of ``halls``, over ``registry``; thread-safe."""

    def __init__(self, registry: ModelRegistry, halls: Iterable[Hall]) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._models: dict[str, Model] = {}
        served = list(halls)
        # the configured text as the config read it (a file's own text): dumping
        # thousands of scenarios to YAML at every start would take minutes
        texts = {h.id: h.scenario_text or scenario_yaml(h.scenario) for h in served}
        in_use = registry.configure_all((h.id, texts[h.id], h.source) for h in served)
        for hall in served:
            self._models[hall.id] = self._parsed(in_use[hall.id], hall.scenario, texts[hall.id])

    def _parsed(
        self, in_use: InUse, configured: Scenario | None = None, text: str | None = None
    ) -> Model:
        held = self._models.get(in_use.model.hall)
        if held is not None and held.in_use.model == in_use.model:
            return Model(in_use, held.scenario)  # the same version: no need to parse it again
        if (
            configured is not None
            and in_use.model.source != "fitted"
            and in_use.model.scenario_yaml == (text or scenario_yaml(configured))
        ):
            return Model(in_use, configured)
        return Model(in_use, version_scenario(in_use.model))

    def versions(self) -> tuple[int, ...]:
        """The halls' models in use, as object ids: changes when one changes."""
        with self._lock:
            return tuple(id(m) for m in self._models.values())

    def get(self, hall_id: str) -> Model:
        with self._lock:
            return self._models[hall_id]

    def reload(self, hall_ids: Iterable[str]) -> list[str]:
        """Read the models in use of ``hall_ids`` again; returns those that changed."""
        changed: list[str] = []
        for hall_id in hall_ids:
            in_use = self.registry.in_use(hall_id)
            if in_use is None:
                continue
            with self._lock:
                before = self._models.get(hall_id)
                if before is not None and before.in_use == in_use:
                    continue
                self._models[hall_id] = self._parsed(in_use)
            changed.append(hall_id)
        return changed

    def sync(self) -> list[str]:
        """The halls whose model in use another process changed since the last
        call (``hallmon model rollback`` …), with their models read again."""
        if not self.registry.changed_elsewhere():
            return []
        with self._lock:
            halls = list(self._models)
        return self.reload(halls)

    def record(self, candidate: ModelVersion, *, adopt: bool, detail: str) -> ModelVersion:
        """Keep a fitted candidate (and adopt it, see :meth:`ModelRegistry.record`)."""
        model = self.registry.record(candidate, adopt=adopt, detail=detail)
        self.reload([candidate.hall])
        return model
