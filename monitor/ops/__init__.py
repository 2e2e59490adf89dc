"""Configuration as code for ops: Prometheus scrape configuration, recording and
alert rules with the escalation ladder (:mod:`~monitor.ops.prometheus_config`,
:mod:`~monitor.ops.recording`, :mod:`~monitor.ops.alerts`), Grafana
dashboards (:mod:`~monitor.ops.dashboards`) and their push to a Grafana server
(:mod:`~monitor.ops.grafana`). Reads the exporter's settings only; the
commands are in :mod:`monitor.cli`."""
