"""The ops side of hallmon: Prometheus configuration, Grafana dashboards as code
and their push to a Grafana server."""
