"""Replications of a scenario: one job per replication, run on an executor,
summarised as KPI means with 95% confidence intervals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.model.hall import simulate
from sim.model.kpis import ReplicationKpis, aggregate, replication_kpis
from sim.model.scenario import Scenario
from sim.runs.executor import Executor, SerialExecutor


@dataclass(frozen=True)
class Job:
    """One replication: picklable, so it can run in another process or on a cluster."""

    scenario: Scenario
    seed: int
    replication: int


def run_job(job: Job) -> ReplicationKpis:
    """Simulate one replication and reduce it to KPIs where it ran."""
    return replication_kpis(simulate(job.scenario, job.seed, job.replication), job.scenario)


@dataclass(frozen=True)
class Experiment:
    scenario: Scenario
    seed: int
    replications: list[ReplicationKpis]

    def summary(self) -> dict[str, Any]:
        """The machine-readable result (``hallsim run --json``)."""
        scn = self.scenario
        return {
            "scenario": scn.hall,
            "replications": len(self.replications),
            "seed": self.seed,
            "target": {"wait_s": scn.target.wait, "service_level": scn.target.service_level},
            "timezone": scn.timezone,
        } | aggregate(self.replications)


def run_experiment(
    scn: Scenario,
    replications: int,
    seed: int,
    executor: Executor | None = None,
    on_done: Callable[[int], None] | None = None,
) -> Experiment:
    """Run ``replications`` independent replications (common random numbers:
    replication ``r`` of any scenario sees the same customers for the same seed)."""
    if replications < 1:
        raise ValueError(f"replications must be at least 1, not {replications}")
    executor = executor or SerialExecutor()
    jobs = [Job(scn, seed, r) for r in range(replications)]
    results: list[ReplicationKpis | None] = [None] * replications
    for index, result in executor.map(run_job, jobs):
        results[index] = result
        if on_done is not None:
            on_done(index)
    return Experiment(scn, seed, [r for r in results if r is not None])
