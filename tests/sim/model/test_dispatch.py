"""The dispatch tables' cache (:func:`sim.model.dispatch.tables`): keyed by what a
scenario says, so that the copy of a scenario each job brings to a worker
process finds the tables that process built for the first copy."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.live.nowcast import state_at
from sim.live.warmstart import Probe, simulate_from
from sim.model import dispatch
from sim.model.dispatch import CacheInfo, cache_clear, cache_info, tables
from sim.model.hall import simulate
from sim.model.scenario import Scenario, load_scenario
from sim.runs.executor import ProcessExecutor
from sim.runs.experiment import Job, run_job

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache_clear()
    yield
    cache_clear()


def county() -> Scenario:
    return load_scenario(SCENARIOS / "county.yaml")


def with_one_more_counter(scn: Scenario) -> Scenario:
    first = scn.counters[0]
    more = first.model_copy(update={"count": tuple((t, n + 1) for t, n in first.count)})
    return scn.model_copy(update={"counters": (more, *scn.counters[1:])})


def test_an_unpickled_copy_finds_the_tables_of_the_original() -> None:
    scn = county()
    built = tables(scn)
    copy = pickle.loads(pickle.dumps(scn))
    assert copy is not scn and copy == scn
    assert tables(copy) is built
    assert tables(scn) is built
    assert cache_info() == CacheInfo(hits=2, misses=1, size=1)


def test_a_scenario_that_says_something_else_gets_its_own_tables() -> None:
    scn = county()
    other = with_one_more_counter(scn)
    assert tables(other) is not tables(scn)
    assert len(tables(other).instances) == len(tables(scn).instances) + 1
    assert cache_info().misses == 2


def test_the_cache_keeps_the_last_few_scenarios_only() -> None:
    scn = county()
    for _ in range(dispatch._CACHE_SIZE + 5):
        scn = with_one_more_counter(scn)
        tables(scn)
    assert cache_info().size == dispatch._CACHE_SIZE
    tables(scn)  # the newest is still there
    assert cache_info().hits == 1


def _replication(job: Job) -> tuple[int, CacheInfo]:
    run_job(job)
    return os.getpid(), cache_info()


def _nowcast_replication(args: tuple[Scenario, int]) -> tuple[int, CacheInfo]:
    scn, replication = args
    start = state_at(simulate(scn, 3, 0), 11 * 3600.0)
    probes = [Probe(start.now_s + 900.0, next(iter(scn.services)), next(iter(scn.segments)))]
    simulate_from(scn, start, 1, replication, probes)
    return os.getpid(), cache_info()


def _builds_per_worker(results: Iterator[tuple[int, tuple[int, CacheInfo]]]) -> dict[int, int]:
    last: dict[int, CacheInfo] = {}
    runs: dict[int, int] = {}
    for _, (pid, info) in results:
        runs[pid] = runs.get(pid, 0) + 1
        if pid not in last or info.hits + info.misses > last[pid].hits + last[pid].misses:
            last[pid] = info
    assert sum(runs.values()) == 8
    return {pid: info.misses for pid, info in last.items()}


def test_replications_in_a_process_pool_build_the_tables_once_per_worker() -> None:
    """Every job is pickled on its own, so each worker sees a new copy of the
    scenario per replication; it builds the tables for the first only."""
    scn = county()
    pool = ProcessExecutor(2)
    try:
        built = _builds_per_worker(pool.map(_replication, [Job(scn, 1, r) for r in range(8)]))
    finally:
        pool.close()
    assert built and set(built.values()) == {1}, built


def test_nowcast_replications_in_a_process_pool_build_the_tables_once_per_worker() -> None:
    scn = county()
    pool = ProcessExecutor(2)
    try:
        items = [(scn, r) for r in range(8)]
        built = _builds_per_worker(pool.map(_nowcast_replication, items))
    finally:
        pool.close()
    assert built and set(built.values()) == {1}, built
