"""Where an alert sends the person who reads it: the runbook's section on that
alert and the dashboard panel that shows what it fired on.

Both bases are configurable (``hallmon prometheus-config --runbook-url
--grafana-url``). The runbook's default is the RUNBOOK in the repository, on
the exporter that serves the hall: ``hallmon serve`` serves it at
``/runbook`` (:mod:`monitor.web.runbook`), one section per alert name, so the
link works wherever the hall's pages work, with no wiki or git host to set up.
The Grafana default is the provisioned Grafana of ``deploy/compose.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

GRAFANA_URL = "http://localhost:3000"
RUNBOOK_PATH = "/runbook"


def runbook_anchor(alertname: str) -> str:
    """The id of an alert's section in the runbook (its heading, lower case)."""
    return alertname.lower()


@cache
def panel_ids(dashboard_file: str) -> dict[str, int]:
    """Panel title -> id of a generated dashboard (``hall-live.json``)."""
    from monitor.ops.dashboards import DASHBOARDS
    from monitor.ops.timescale import REAL_TIME

    built = DASHBOARDS[dashboard_file](REAL_TIME)  # the panels are the same at any scale
    return {str(p.title): int(p.id_val or 0) for p in built.panels or [] if p.title is not None}


@dataclass(frozen=True)
class Links:
    """The bases of the alerts' links."""

    runbook_url: str  # the runbook page, without a section
    grafana_url: str = GRAFANA_URL

    def runbook(self, alertname: str) -> str:
        return f"{self.runbook_url}#{runbook_anchor(alertname)}"

    def panel(self, dashboard_file: str, uid: str, title: str, variables: str = "") -> str:
        """The URL of one panel of a dashboard, opened alone (``viewPanel``);
        ``variables``: a query string fragment such as ``var-hall={{ $labels.hall }}``."""
        panel = panel_ids(dashboard_file).get(title)
        if panel is None:
            raise KeyError(f"{dashboard_file} has no panel {title!r}")
        query = f"{variables}&viewPanel={panel}" if variables else f"viewPanel={panel}"
        return f"{self.grafana_url.rstrip('/')}/d/{quote(uid)}/?{query}"


def exporter_runbook(host: str, port: int) -> str:
    """The runbook as the exporter at ``host:port`` serves it."""
    return f"http://{host}:{port}{RUNBOOK_PATH}"
