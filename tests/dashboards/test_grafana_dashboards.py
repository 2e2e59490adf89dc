"""The committed dashboards are what the code generates, and each is a
well-formed Grafana dashboard: every panel on the Prometheus datasource
variable with a unit and a description, unique panel ids, panels inside the
24-column grid without overlap, every variable referenced defined (before
the variables that use it), every recording rule referenced shipped, and the
provisioning files pointing where the push and the compose file expect."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.ops import grafana
from monitor.ops.dashboards import DASHBOARDS, export, render
from tests.dashboards.grafana_emulation import panels, variable_names

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "dashboards" / "grafana"
RULES = ROOT / "dashboards" / "prometheus" / "rules"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
RECORDED = re.compile(r"\b((?:hall_service|hall|district|city):[a-z_]+:[a-z0-9_]+)")


def _load(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((GRAFANA / name).read_text(encoding="utf-8"))
    return result


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_committed_json_is_what_the_code_generates(name: str) -> None:
    committed = (GRAFANA / name).read_text(encoding="utf-8")
    assert committed == render(DASHBOARDS[name]), (
        f"dashboards/grafana/{name} is stale: run `hallmon grafana export`"
    )


def test_export_writes_exactly_the_committed_files(tmp_path: Path) -> None:
    written = export(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in GRAFANA.glob("*.json"))
    for path in written:
        assert path.read_text(encoding="utf-8") == (GRAFANA / path.name).read_text("utf-8")


def test_dashboards_have_distinct_uids_and_titles() -> None:
    models = [_load(name) for name in DASHBOARDS]
    uids = [m["uid"] for m in models]
    assert len(set(uids)) == len(uids) and all(len(u) <= 40 for u in uids)
    assert len({m["title"] for m in models}) == len(models)
    assert all(m.get("schemaVersion") and "hallq" in m["tags"] for m in models)


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_every_panel_is_complete(name: str) -> None:
    dashboard = _load(name)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) and i > 0 for i in ids)
    for panel in panels(dashboard):
        where = f"{name}: {panel.get('title')!r}"
        assert panel.get("title") and panel.get("description"), where
        assert panel["datasource"] == DATASOURCE, where
        assert panel["fieldConfig"]["defaults"].get("unit"), f"{where}: no unit"
        assert panel["targets"], f"{where}: no query"
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), where
        legends = set()
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, where
            assert target["expr"].strip(), where
            assert target["expr"].count("(") == target["expr"].count(")"), where
            legends.add(target.get("legendFormat"))
        for override in panel["fieldConfig"].get("overrides", []):
            matcher = override["matcher"]
            if matcher["id"] == "byName" and panel["type"] == "timeseries":
                # an override names a series by its legend: a typo silently does nothing
                assert matcher["options"] in legends, f"{where}: override {matcher['options']}"
        steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
        if steps:
            assert steps[0]["value"] is None, where
            values = [s["value"] for s in steps[1:]]
            assert values == sorted(values), f"{where}: thresholds out of order"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panels_fit_the_grid_without_overlap(name: str) -> None:
    boxes = []
    for panel in _load(name)["panels"]:
        pos = panel["gridPos"]
        assert pos["w"] > 0 and pos["h"] > 0 and pos["x"] >= 0 and pos["x"] + pos["w"] <= 24
        boxes.append((pos["x"], pos["y"], pos["x"] + pos["w"], pos["y"] + pos["h"], panel["id"]))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"{name}: panels {a[4]} and {b[4]} overlap"


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_variables_are_defined_before_use_and_used(name: str) -> None:
    dashboard = _load(name)
    variables = dashboard["templating"]["list"]
    assert variables[0]["name"] == "datasource" and variables[0]["type"] == "datasource"
    defined: set[str] = set()
    for variable in variables:
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE
            query = variable["query"] if isinstance(variable["query"], str) else ""
            # Grafana resolves variables in order: a query may use only earlier ones
            assert variable_names(query) <= defined, variable["name"]
            if variable.get("includeAll"):
                assert variable.get("allValue") == ".*", variable["name"]
        defined.add(variable["name"])
    texts = [t["expr"] for p in panels(dashboard) for t in p["targets"]]
    texts += [p["title"] for p in dashboard["panels"]]
    texts += [v["query"] for v in variables if isinstance(v.get("query"), str)]
    texts += [link["url"] for link in _links(dashboard)]
    used: set[str] = set()
    for text in texts:
        names = variable_names(text)
        # $1 is label_replace's capture group; $__… are Grafana's built-ins
        unknown = {n for n in names if not n.isdigit() and not n.startswith("__")} - defined
        assert not unknown, f"{name}: {text} uses undefined {unknown}"
        used |= names
    repeats = {p["repeat"] for p in dashboard["panels"] if p.get("repeat")}
    assert repeats <= defined
    assert defined - {"datasource"} <= used | repeats, f"{name}: unused variables"


def _links(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every link of the dashboard: its header's, each panel's, and each
    panel's data links (field defaults and overrides)."""
    found = list(dashboard.get("links", []))
    for panel in panels(dashboard):
        found += panel.get("links", [])
        config = panel["fieldConfig"]
        found += config["defaults"].get("links", [])
        for override in config.get("overrides", []):
            for item in override["properties"]:
                if item["id"] == "links":
                    found += item["value"]
    return found


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_links_lead_to_dashboards_that_exist_and_the_hall_page(name: str) -> None:
    uids = {_load(n)["uid"] for n in DASHBOARDS}
    links = _links(_load(name))
    assert links, f"{name} links nowhere"
    for link in links:
        target = re.match(r"^/d/([^/?]+)/", link["url"])
        assert target is None or target.group(1) in uids, link
        assert target or link["url"].startswith("${hallmon}/"), link
    urls = {link["url"] for link in links}
    assert any(u.startswith("${hallmon}/runbook") for u in urls), name
    if name != "forecast-accuracy.json":
        assert any(u.startswith("${hallmon}/halls/") for u in urls), name


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_thresholds_from_queries_read_a_query_of_the_panel(name: str) -> None:
    """A threshold taken from a query (each hall's objective, its target's
    level) names a query of the panel by its refId and its series by legend."""
    seen = 0
    for panel in panels(_load(name)):
        legends = {t["refId"]: t.get("legendFormat") for t in panel["targets"]}
        for step in panel.get("transformations", []):
            if step["id"] != "configFromData":
                continue
            seen += 1
            options = step["options"]
            assert options["configRefId"] in legends, panel["title"]
            assert options["applyTo"]["options"] in legends, panel["title"]
            for mapping in options["mappings"]:
                assert mapping["fieldName"] == legends[options["configRefId"]], panel["title"]
                assert mapping["handlerKey"] == "threshold1"
    if name == "hall-live.json":
        assert seen >= 6  # waiting, service level, counters, breach risk (twice), heard


def test_the_ticket_system_stat_turns_red_where_the_alert_fires() -> None:
    """The Hall live stat *Ticket system heard* is red past the silence the
    rule HallNoEvents allows the hall (its forecast traffic's), not a constant."""
    (heard,) = [p for p in panels(_load("hall-live.json")) if p["title"] == "Ticket system heard"]
    (limit,) = [t for t in heard["targets"] if t["legendFormat"] == "alert level"]
    assert "clamp(7 * 3600 / sum(hall_forecast_arrivals_per_hour" in limit["expr"]
    steps = heard["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["color"] for s in steps] == ["green"]  # no constant red step besides


def _shipped_records() -> set[str]:
    records: set[str] = set()
    for path in RULES.glob("*.yml"):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            records |= {r["record"] for r in group["rules"] if "record" in r}
    return records


def test_recording_rules_used_are_shipped() -> None:
    shipped = _shipped_records()
    assert shipped, f"no recording rules in {RULES}"
    used = {
        m
        for name in DASHBOARDS
        for panel in panels(_load(name))
        for target in panel["targets"]
        for m in RECORDED.findall(target["expr"])
    }
    assert used, "the dashboards use no recording rule"
    assert used <= shipped, f"not recorded by dashboards/prometheus/rules: {used - shipped}"


def test_region_ranks_and_colours_its_halls() -> None:
    region = _load("region.json")
    kinds = {p["type"] for p in panels(region)}
    assert {"bargauge", "table", "stat"} <= kinds
    ranked = [p for p in panels(region) if p["type"] == "bargauge"]
    assert any(t["expr"].startswith("sort_desc(") for p in ranked for t in p["targets"])
    sparklines = [p for p in panels(region) if p["options"].get("graphMode") == "area"]
    assert sparklines, "no sparkline"


def test_provisioning_points_at_the_dashboards_and_prometheus() -> None:
    provisioning = GRAFANA / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text("utf-8"))
    (source,) = sources["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"] is True
    assert source["url"] == "http://prometheus:9090"  # the compose service
    providers = yaml.safe_load((provisioning / "dashboards" / "hallq.yml").read_text("utf-8"))
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["folderUid"] == grafana.FOLDER_UID  # the folder `grafana push` uses
    assert provider["folder"] == grafana.FOLDER_TITLE
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/hallq"
