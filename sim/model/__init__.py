"""The hall model, at the bottom of the stack: the scenario (schema, units, YAML
in and out), the customers drawn from per-source random streams (demand), the
SimPy model of one hall over one day or a stationary horizon (hall, with its
dispatch tables and re-armed events), the week (week: weekdays, holidays and
workforce; days: a date resolved to its one-day scenario), the immutable
records it leaves, and the
KPIs that are pure functions of records (kpis, summary). Knows nothing of
files beyond scenarios, processes, the web or the wall clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim._exports import lazy

if TYPE_CHECKING:
    from sim.model.days import day_key as day_key
    from sim.model.days import day_scenario as day_scenario
    from sim.model.demand import Demand as Demand
    from sim.model.demand import draw_demand as draw_demand
    from sim.model.errors import InputError as InputError
    from sim.model.hall import Resume as Resume
    from sim.model.hall import simulate as simulate
    from sim.model.kpis import ReplicationKpis as ReplicationKpis
    from sim.model.kpis import aggregate as aggregate
    from sim.model.kpis import replication_kpis as replication_kpis
    from sim.model.records import Records as Records
    from sim.model.scenario import Scenario as Scenario
    from sim.model.scenario import ScenarioError as ScenarioError
    from sim.model.scenario import load_scenario as load_scenario
    from sim.model.scenario import scenario_from_dict as scenario_from_dict
    from sim.model.scenario_io import write_scenario as write_scenario
    from sim.model.summary import KPI_KEYS as KPI_KEYS
    from sim.model.summary import KpiSummary as KpiSummary
    from sim.model.summary import Stat as Stat
    from sim.model.summary import summarise as summarise
    from sim.model.week import Week as Week
    from sim.model.week import Workforce as Workforce

__getattr__, __all__ = lazy(
    __name__,
    {
        "Scenario": "scenario",
        "ScenarioError": "scenario",
        "load_scenario": "scenario",
        "scenario_from_dict": "scenario",
        "write_scenario": "scenario_io",
        "Demand": "demand",
        "draw_demand": "demand",
        "simulate": "hall",
        "Resume": "hall",
        "Records": "records",
        "replication_kpis": "kpis",
        "aggregate": "kpis",
        "ReplicationKpis": "kpis",
        "Stat": "summary",
        "KpiSummary": "summary",
        "KPI_KEYS": "summary",
        "summarise": "summary",
        "InputError": "errors",
        "day_scenario": "days",
        "day_key": "days",
        "Week": "week",
        "Workforce": "week",
    },
)
