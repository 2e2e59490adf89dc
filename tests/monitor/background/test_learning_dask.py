"""Past one machine: with ``dask:`` set, a hall's nightly fit runs on a real
Dask distributed cluster (a ``dask scheduler`` and two ``dask worker``
processes started here on 127.0.0.1), from the days the exporter read and
sent with the job, and learns exactly the model a fit in the exporter's own
workers learns: the same scenario, days, fit summary and scores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.config import load_settings
from monitor.core.models import ModelVersion
from monitor.core.monitor import Monitor
from tests.daskcluster import dask_cluster, executed
from tests.monitor.background.learning import (
    ENV,
    hall_days,
    learning_config,
    night,
    post,
    truth,
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dask_cluster(tmp_path_factory.mktemp("dask")) as address:
        yield address


def learned(directory: Path, extra: str = "") -> tuple[ModelVersion, str]:
    """The latest version of the learner hall after its first night, its eight
    days posted to a new store in ``directory``, and what the night recorded."""
    directory.mkdir()
    m = Monitor(load_settings(learning_config(directory, extra=extra), environ=ENV))
    m.open()
    try:
        for _, events in hall_days(truth(), 9):
            post(m, events)
        assert night(m) == 1
        return m.model_versions("learner", limit=1)[0], m.model_changes("learner")[0].detail
    finally:
        m.close()


@pytest.mark.slow
@pytest.mark.integration
def test_a_night_on_the_cluster_learns_the_local_model(cluster: str, tmp_path: Path) -> None:
    before = executed(cluster)
    on_cluster, _ = learned(tmp_path / "cluster", extra=f"dask: {cluster}")
    after = executed(cluster)
    assert sum(after.values()) == sum(before.values()) + 1  # the fit ran on a worker
    local, _ = learned(tmp_path / "local")
    assert on_cluster.source == local.source == "fitted"
    assert on_cluster.scenario_yaml == local.scenario_yaml
    assert (on_cluster.days, on_cluster.holdout) == (local.days, local.holdout)
    assert on_cluster.summary == local.summary
    assert on_cluster.scores == local.scores
    assert on_cluster.week == local.week


@pytest.mark.slow
def test_an_unreachable_scheduler_fails_the_fit_and_the_model_stays(tmp_path: Path) -> None:
    version, detail = learned(tmp_path / "nowhere", extra="dask: tcp://127.0.0.1:9")
    assert version.source == "configured"
    assert "cannot connect to the Dask scheduler at 'tcp://127.0.0.1:9'" in detail, detail
