"""Every panel's PromQL of every committed dashboard, with its variables
substituted as Grafana would, returns data from a real Prometheus scraping a
real ``hallmon serve`` fed by two ``hallmon replay`` runs (county and flagship,
clock: events), queried while both halls are open with forecast and nowcast
published.

Prometheus loads the shipped rule files (the panels read their recording
rules) and one test rule: the firing-alerts panels read ``ALERTS``, and which
shipped alerts fire during a short replay is up to them (tested on their own),
so the test rule fires for every open hall, with the labels every shipped
alert carries (``severity``, ``name``, ``district``, ``city``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.dashboards.grafana_emulation import (
    has_numbers,
    interpolate,
    panels,
    run_target,
    variable_options,
)
from tests.dashboards.promserver import query, running_prometheus
from tests.monitor.conftest import DAY, ENV, ROOT, TOKENS, write_config
from tests.monitor.server import Server, running_server

GRAFANA = ROOT / "dashboards" / "grafana"
RULES = ROOT / "dashboards" / "prometheus" / "rules"
HALLS = ("county", "flagship")
SPEED = "120"  # a 9-12 hour day in 4.5-6 minutes: open long enough for the queries
DATA_S = 150.0  # deadline for every query to return data (the forecast comes 30 s in)

TEST_RULES = """
groups:
  - name: dashboard-test
    interval: 1s
    rules:
      - alert: DashboardTestHallOpen
        expr: hall_open * on (hall) group_left (name, district, city) hall_info == 1
        labels: {severity: hall_manager}
        annotations: {summary: "test alert for the firing-alerts panels"}
"""


def _dashboard(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((GRAFANA / name).read_text(encoding="utf-8"))
    return result


@contextmanager
def _replays(server: Server) -> Iterator[None]:
    """Both halls' days posted at SPEED× in the background; stopped on exit."""
    with ExitStack() as stack:
        for hall in HALLS:
            log = stack.enter_context((server.log.parent / f"replay-{hall}.log").open("wb"))
            process = subprocess.Popen(
                [sys.executable, "-m", "monitor", "replay", str(ROOT / f"scenarios/{hall}.yaml"),
                 "--url", server.url, "--token", TOKENS[hall], "--speed", SPEED,
                 "--start", DAY.isoformat(), "--seed", "3", "--json"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            stack.callback(process.wait)
            stack.callback(process.terminate)
        yield


@contextmanager
def _live_stack(tmp_path: Path) -> Iterator[str]:
    """Exporter, two replays and Prometheus (1 s scrape, the test rule) with
    both halls open and their forecast and nowcast scraped; yields Prometheus's URL."""
    config = write_config(
        tmp_path, nowcast="{every: 2s, replications: 4}", forecast="{replications: 2}"
    )
    rules = tmp_path / "test-rules.yml"
    rules.write_text(TEST_RULES, encoding="utf-8")
    with running_server(config, ENV, log=tmp_path / "hallmon.log") as server:
        target = server.url.removeprefix("http://")
        prometheus_yml = (
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            f"  - {{job_name: hallmon, static_configs: [{{targets: ['{target}']}}]}}\n"
        )
        rule_files = [*sorted(RULES.glob("*.yml")), rules]
        with running_prometheus(tmp_path, prometheus_yml, rule_files) as prom, _replays(server):
            for ready in (
                "count(hall_open == 1) == 2",
                "count(count by (hall) (hall_forecast_queue_length)) == 2",
                "count(count by (hall) (hall_nowcast_breach_probability)) == 2",
                "count(hall:hall_called_within_target:ratio_today) == 2",
            ):
                query(prom, ready, timeout_s=DATA_S)
            yield prom


def _variable_values(prom: str, dashboard: dict[str, Any], hall: str) -> list[dict[str, str]]:
    """The variable values to test with: ``All`` for multi-value variables
    (after checking the options exist), ``hall`` for the hall, and each option
    of ``service`` in turn, the variables' own queries run as Grafana runs them."""
    values: dict[str, str] = {}
    services: list[str] = []
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        options = variable_options(prom, variable, values)
        assert options, f"{dashboard['title']}: variable {variable['name']} offers nothing"
        chosen = [v for v, _ in options]
        if variable["name"] == "hall":
            assert hall in chosen, (hall, options)
            texts = dict(options)
            assert texts[hall] and "=" not in texts[hall], options  # shown by its name
            values["hall"] = variable["allValue"] if variable.get("multi") else hall
        elif variable["name"] == "service":
            services = chosen
            values["service"] = chosen[0]
        else:
            values[variable["name"]] = variable["allValue"]
    return [{**values, "service": s} for s in services] or [values]


@pytest.mark.slow
@pytest.mark.integration
def test_every_panel_query_returns_data(tmp_path: Path) -> None:
    names = sorted(p.name for p in GRAFANA.glob("*.json"))
    assert names == ["forecast-accuracy.json", "hall-live.json", "region.json"]
    with _live_stack(tmp_path) as prom:
        pending: dict[str, tuple[dict[str, Any], str]] = {}
        for name in names:
            dashboard = _dashboard(name)
            for hall in HALLS:
                for values in _variable_values(prom, dashboard, hall):
                    for panel in panels(dashboard):
                        for target in panel["targets"]:
                            expr = interpolate(target["expr"], values)
                            assert "$" not in expr.replace("$1", ""), expr
                            label = f"{name} / {panel['title']} / {target['refId']}: {expr}"
                            pending[label] = (target, expr)
        assert len(pending) > 80  # three dashboards' worth of queries
        deadline = time.monotonic() + DATA_S
        while pending and time.monotonic() < deadline:
            for label, (target, expr) in list(pending.items()):
                if has_numbers(run_target(prom, target, expr)):
                    del pending[label]
            if pending:
                time.sleep(1.0)
    assert not pending, "no data for:\n" + "\n".join(pending)
