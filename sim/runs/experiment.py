"""Replications of a scenario: one job per replication, run on an executor,
summarised as KPI means with 95% confidence intervals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sim.model.hall import simulate
from sim.model.kpis import ReplicationKpis, aggregate, replication_kpis
from sim.model.scenario import Scenario
from sim.model.summary import Json, KpiSummary, Target
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
class RunSummary:
    """What ``hallsim run`` reports: the KPIs of ``replications`` replications of
    the hall ``scenario`` with their 95% CIs, and the target they are judged by."""

    scenario: str
    replications: int
    seed: int
    target: Target
    timezone: str
    kpis: KpiSummary

    def to_json(self) -> Json:
        """The documented ``hallsim run --json`` body."""
        return {
            "scenario": self.scenario,
            "replications": self.replications,
            "seed": self.seed,
            "target": self.target.to_json(),
            "timezone": self.timezone,
        } | self.kpis.to_json()


def target_of(scn: Scenario) -> Target:
    """The scenario's wait target."""
    return Target(scn.target.wait, scn.target.service_level)


@dataclass(frozen=True)
class Experiment:
    scenario: Scenario
    seed: int
    replications: list[ReplicationKpis]

    def summary(self) -> RunSummary:
        """Each KPI's mean and 95% CI over the replications."""
        scn = self.scenario
        return RunSummary(
            scn.hall,
            len(self.replications),
            self.seed,
            target_of(scn),
            scn.timezone,
            aggregate(self.replications),
        )


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
