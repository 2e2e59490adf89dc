"""Past one machine: ``hallsim staff`` and ``hallsim sweep`` on a real Dask
distributed cluster, a ``dask scheduler`` and two ``dask worker`` processes
started here on 127.0.0.1, give exactly the numbers of a local run, and the
work really runs on the workers."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.daskcluster import BIN, ROOT, dask_cluster, executed

HALLSIM = BIN / "hallsim"
VOLATILE = {"seconds"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with dask_cluster(tmp_path_factory.mktemp("dask")) as address:
        yield address


def hallsim_json(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(HALLSIM), *args, "--json"], cwd=ROOT, capture_output=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    data: dict[str, Any] = json.loads(done.stdout)
    return {k: v for k, v in data.items() if k not in VOLATILE}


@pytest.mark.slow
@pytest.mark.integration
def test_staff_on_the_cluster_is_the_local_plan(cluster: str) -> None:
    """Two halls (the county day and the flagship Tuesday) planned on the
    cluster and locally: the same plans, the same numbers."""
    before = executed(cluster)
    for args in (
        ["staff", "scenarios/county.yaml", "-n", "10", "--max-replications", "40"],
        ["staff", "scenarios/flagship.yaml", "--day", "tue", "-n", "10",
         "--max-replications", "40", "--probability", "0.8"],
    ):  # fmt: skip
        on_cluster = hallsim_json(*args, "--dask", cluster)
        assert on_cluster == hallsim_json(*args, "--workers", "1")
        assert on_cluster["days"][0]["plans"][-1]["method"] == "sim"
    after = executed(cluster)
    assert len(after) == 2
    assert all(after[w] > before.get(w, 0) for w in after), (before, after)  # both worked


@pytest.mark.slow
@pytest.mark.integration
def test_sweep_on_the_cluster_is_the_local_sweep(cluster: str) -> None:
    args = ["sweep", "scenarios/county.yaml", "--set", "arrivals.scale=0.8,1.0,1.2,1.4",
            "--set", "counters[0].count=2,3", "-n", "4", "--seed", "3"]  # fmt: skip
    assert hallsim_json(*args, "--dask", cluster) == hallsim_json(*args, "--workers", "1")
