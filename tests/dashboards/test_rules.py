"""The shipped Prometheus rules against the real promtool: ``check rules``,
``check config`` and every unit test file under ``dashboards/prometheus/tests/``;
and what the unit tests must cover: every alert fires at each of its rungs and
stays silent somewhere. The rules' conventions are checked on the files
themselves: severities, the hall's labels, bilingual summaries, runbook
anchors that exist, recording-rule names, no hard-coded target."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.web.runbook import RUNBOOK
from tests.dashboards.promserver import binary
from tests.dashboards.stack import PROMETHEUS_DIR, RULES

UNIT_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*_test.yml"))
SEVERITIES = {"hall_manager", "district", "city", "info"}  # info: no rung (model drift)
LEVELS = {"hall_service", "hall", "district", "city"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("promtool"), *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def _rules(kind: str) -> list[dict[str, Any]]:
    found = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            found += [r for r in group["rules"] if kind in r]
    return found


ALERTS = _rules("alert")
RECORDS = _rules("record")


@pytest.mark.integration
def test_promtool_checks_the_rules_and_the_configs() -> None:
    checked = _promtool("check", "rules", *(str(p) for p in RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
    for config in ("prometheus.yml", "global.yml"):
        checked = _promtool("check", "config", config)
        assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.integration
@pytest.mark.parametrize("unit", UNIT_TESTS, ids=lambda p: p.stem)
def test_promtool_unit_tests_pass(unit: Path) -> None:
    ran = _promtool("test", "rules", unit.name, cwd=unit.parent)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "SUCCESS" in ran.stdout and "FAILED" not in ran.stdout


def test_the_unit_tests_load_the_shipped_rules_in_order() -> None:
    for unit in UNIT_TESTS:
        doc = yaml.safe_load(unit.read_text(encoding="utf-8"))
        loaded = {(unit.parent / f).resolve() for f in doc["rule_files"]}
        assert loaded <= {p.resolve() for p in RULES} and loaded, unit
        assert doc["group_eval_order"][:2] == ["hallq-slo", "hallq-flow"], unit


def _expectations() -> tuple[set[tuple[str, str]], set[str]]:
    """(alertname, severity) pairs some unit test expects firing, and the
    alert names some unit test expects silent."""
    firing: set[tuple[str, str]] = set()
    silent: set[str] = set()
    for unit in UNIT_TESTS:
        for test in yaml.safe_load(unit.read_text(encoding="utf-8"))["tests"]:
            for case in test.get("alert_rule_test", []):
                expected = case.get("exp_alerts") or []
                if not expected:
                    silent.add(case["alertname"])
                for alert in expected:
                    firing.add((case["alertname"], alert["exp_labels"]["severity"]))
    return firing, silent


def test_every_alert_is_unit_tested_firing_at_each_rung_and_silent() -> None:
    firing, silent = _expectations()
    rungs = {(a["alert"], a["labels"]["severity"]) for a in ALERTS}
    assert rungs - firing == set(), "alerts no unit test sees firing at that rung"
    assert {name for name, _ in rungs} - silent == set(), "alerts no unit test sees silent"


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: f"{a['alert']}-{a['labels']['severity']}")
def test_an_alert_carries_its_rung_the_hall_and_a_runbook(alert: dict[str, Any]) -> None:
    labels, notes = alert["labels"], alert["annotations"]
    assert labels["severity"] in SEVERITIES
    hall_labels = "group_left (name, district, city) hall_info" in alert["expr"] or (
        "by (hall, name, district, city" in alert["expr"]
    )
    assert hall_labels or {"name", "district", "city"} <= set(labels), alert["alert"]
    zh, en = notes["summary"].split("\n")
    assert CJK.search(zh) and not CJK.search(en.replace("{{ $labels.name }}", "")), notes
    url, _, anchor = notes["runbook_url"].partition("#")
    assert url == "http://localhost:9180/runbook" and anchor == alert["alert"].lower()
    headings = re.findall(r"^#+ (.+)$", RUNBOOK.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert anchor in {h.strip().lower() for h in headings}, f"RUNBOOK.md has no section {anchor}"
    assert notes["dashboard_url"].startswith("http://localhost:3000/d/hallq-")


def test_recording_rules_follow_the_naming_convention() -> None:
    names = [r["record"] for r in RECORDS]
    assert len(names) == len(set(names))
    for name in names:
        level, metric, operation = name.split(":")
        assert level in LEVELS and metric.startswith("hall_") and operation, name


def test_no_rule_hard_codes_a_target_wait() -> None:
    """Each hall's target comes from hall_slo_target_wait_seconds: no 900 (15 min)
    or its bucket in an expression."""
    for rule in ALERTS + RECORDS:
        assert not re.search(r"\b900\b|le\s*=~?\s*\"", rule["expr"]), rule
