"""hallq's planner side, as a stack (each package imports only those below it):

* :mod:`sim.model` — scenario, customers, the SimPy hall model, records, KPIs
* :mod:`sim.runs` — replications on an executor (local processes or Dask)
* :mod:`sim.eventlog` — the ticket-system event format, records ↔ events
* :mod:`sim.planning` — Erlang, staffing, rosters, what-ifs
* :mod:`sim.calibration` — a scenario fitted from an event log, back-tests
* :mod:`sim.live` — warm start, nowcast and day forecast for the live exporter
* :mod:`sim.reports` — tables, JSON, HTML reports and plots
* :mod:`sim.cli` — the ``hallsim`` command line

Nothing here imports :mod:`monitor`, FastAPI or prometheus_client.
"""
