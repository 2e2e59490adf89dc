"""Replications of a scenario: jobs on an executor (in-process, a process pool
or a Dask cluster, one interface) and their KPIs with 95% confidence intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._exports import lazy

if TYPE_CHECKING:
    from sim.runs.dask_executor import DaskError as DaskError
    from sim.runs.dask_executor import make_executor as make_executor
    from sim.runs.executor import Executor as Executor
    from sim.runs.executor import SerialExecutor as SerialExecutor
    from sim.runs.executor import local_executor as local_executor
    from sim.runs.experiment import Experiment as Experiment
    from sim.runs.experiment import Job as Job
    from sim.runs.experiment import RunSummary as RunSummary
    from sim.runs.experiment import run_experiment as run_experiment
    from sim.runs.experiment import run_job as run_job

__getattr__, __all__ = lazy(
    __name__,
    {
        "Experiment": "experiment",
        "RunSummary": "experiment",
        "Job": "experiment",
        "run_experiment": "experiment",
        "run_job": "experiment",
        "Executor": "executor",
        "SerialExecutor": "executor",
        "local_executor": "executor",
        "make_executor": "dask_executor",
        "DaskError": "dask_executor",
    },
)
