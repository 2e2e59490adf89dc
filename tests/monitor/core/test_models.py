"""The model registry: every version kept with its days and scores, the model
in use changed only by a better fit, a new configured scenario or ops (pinned
rollbacks), all durable across reopening, and changes made by another
connection (``hallmon model``) noticed."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.core.models import ModelError, ModelRegistry, ModelVersion


def _fitted(hall: str, text: str, night: str) -> ModelVersion:
    return ModelVersion(
        hall, 0, "fitted", 0.0, text, days=("2026-03-02", "2026-03-03"),
        holdout=("2026-03-04",), scores={"candidate": {"total": 10.0}}, night=night,
    )  # fmt: skip


def test_versions_the_model_in_use_and_the_history(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "h.db")
    first = registry.configure("a", "hall: a\n", "configured")
    assert (first.model.version, first.model.source, first.pinned) == (1, "configured", False)
    assert registry.configure("a", "hall: a\n", "configured").model.version == 1  # unchanged
    adopted = registry.record(_fitted("a", "fit 1", "2026-03-04"), adopt=True, detail="better")
    rejected = registry.record(_fitted("a", "fit 2", "2026-03-05"), adopt=False, detail="worse")
    assert (adopted.version, rejected.version) == (2, 3)
    in_use = registry.in_use("a")
    assert in_use is not None and in_use.model.version == 2
    assert in_use.model.days == ("2026-03-02", "2026-03-03") and in_use.model.night == "2026-03-04"
    assert [c.action for c in registry.changes("a")] == ["rejected", "adopted", "configured"]
    assert [v.version for v in registry.versions("a")] == [3, 2, 1]
    # a changed configured scenario takes over: ops edited it on purpose
    assert registry.configure("a", "hall: a  # edited\n", "configured").model.version == 4
    registry.close()


def test_rollback_pins_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    registry = ModelRegistry(path)
    registry.configure("a", "hall: a\n", "configured")
    registry.record(_fitted("a", "fit 1", "2026-03-04"), adopt=True, detail="better")
    back = registry.rollback("a")  # to the one in use before: the configured one
    assert back.version == 1
    pinned = registry.record(_fitted("a", "fit 2", "2026-03-05"), adopt=True, detail="better")
    registry.close()
    reopened = ModelRegistry(path)
    in_use = reopened.in_use("a")
    assert in_use is not None and (in_use.model.version, in_use.pinned) == (1, True)
    assert reopened.changes("a")[0].detail == "better; not adopted: the hall is pinned"
    assert reopened.version("a", pinned.version).scenario_yaml == "fit 2"
    assert reopened.rollback("a", to=2).version == 2
    assert reopened.unpin("a").version == 2
    assert reopened.pin("a", 3).version == 3
    in_use = reopened.in_use("a")
    assert in_use is not None and (in_use.model.version, in_use.pinned) == (3, True)
    assert reopened.configure("a", "hall: a  # edited\n", "configured").model.version == 3
    reopened.close()


def test_refusals_name_the_hall_and_version(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "h.db")
    with pytest.raises(ModelError, match="hall 'b' has no model yet"):
        registry.rollback("b")
    registry.configure("a", "hall: a\n", "configured")
    with pytest.raises(ModelError, match="has used no other model to roll back to"):
        registry.rollback("a")
    with pytest.raises(ModelError, match="hall 'a' has no model version 7"):
        registry.pin("a", 7)
    with pytest.raises(ModelError, match="hall 'a' has no model version 7"):
        registry.rollback("a", 7)


def test_another_connection_s_change_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    served = ModelRegistry(path)
    served.configure("a", "hall: a\n", "configured")
    served.record(_fitted("a", "fit 1", "2026-03-04"), adopt=True, detail="better")
    assert not served.changed_elsewhere()  # its own writes are no news
    ops = ModelRegistry(path, create=False)
    ops.rollback("a", 1)
    ops.close()
    assert served.changed_elsewhere()
    assert not served.changed_elsewhere()
    in_use = served.in_use("a")
    assert in_use is not None and in_use.model.version == 1
