"""Rules in hall time (:mod:`monitor.ops.timescale`): at 1× the rules and the
Alertmanager configuration are exactly those of production (the committed
files); at 60× every hall alert behaves on a 60-times faster clock exactly as
at 1×, shown by running the shipped promtool unit tests on the scaled rules
with their clock sped up the same way (one sample a second instead of a
minute, every evaluation time in seconds instead of minutes)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.ops.alertmanager import alertmanager_config, load_contacts
from monitor.ops.alerts import alert_groups
from monitor.ops.prometheus_config import render_rule_files
from monitor.ops.recording import recording_groups
from monitor.ops.timescale import REAL_TIME, TimeScale, duration_s, duration_text
from tests.dashboards.promserver import binary

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS = ROOT / "dashboards" / "prometheus"
CONTACTS = ROOT / "dashboards" / "alertmanager" / "contacts.yaml"
# unit tests whose inputs are all hall-time values (the clock only in their
# intervals): the no-events test feeds wall-clock timestamps and the exporter
# alerts are wall time at any scale
HALL_TIME_TESTS = (
    "burn_rate", "oldest_wait", "predictive", "queue", "below_plan", "recording", "model_closed",
)  # fmt: skip
# hall alerts in wall time at any scale, as the exporter's own (Hallmon*)
WALL_TIME_ALERTS = ("HallIngestLimited", "HallNowcastStale")


@pytest.mark.parametrize(
    ("text", "factor", "scaled"),
    [("30m", 1, "30m"), ("30m", 60, "30s"), ("6h", 60, "6m"), ("5m", 60, "5s"),
     ("2m", 60, "2s"), ("1m", 120, "1s"), ("15m", 7, "129s"), ("2h", 2, "1h")],
)  # fmt: skip
def test_a_duration_in_hall_time_becomes_wall_time(text: str, factor: float, scaled: str) -> None:
    assert TimeScale(factor).duration(text) == scaled


def test_durations_read_back() -> None:
    for seconds in (1, 59, 60, 90, 3600, 5400, 86400):
        assert duration_s(duration_text(seconds)) == seconds
    with pytest.raises(ValueError, match="not a duration"):
        duration_s("1h30m")
    with pytest.raises(ValueError, match="1 or more"):
        TimeScale(0.5)


def test_at_one_times_the_rules_are_production() -> None:
    assert alert_groups(scale=TimeScale(1.0)) == alert_groups()
    assert recording_groups(TimeScale(1.0)) == recording_groups()
    for name, text in render_rule_files(scale=TimeScale(1.0)).items():
        assert (PROMETHEUS / "rules" / name).read_text(encoding="utf-8") == text
    contacts = load_contacts(CONTACTS)
    assert alertmanager_config(contacts, TimeScale(1.0)) == alertmanager_config(contacts)


def test_at_sixty_times_every_hall_duration_is_divided() -> None:
    def by_rung(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {r["alert"] + repr(r["labels"]): r for g in groups for r in g["rules"]}

    fast, slow = by_rung(alert_groups(scale=TimeScale(60))), by_rung(alert_groups())
    assert fast.keys() == slow.keys()
    for key, rule in slow.items():
        if rule["alert"].startswith("Hallmon") or rule["alert"] in WALL_TIME_ALERTS:
            # processes, the limits of events a second and the nowcast's
            # schedule live in wall time
            assert fast[key] == rule
            continue
        if "for" in rule:
            assert duration_s(fast[key]["for"]) * 60 == duration_s(rule["for"]), key
        windows = re.findall(r"\[(\w+)\]", rule["expr"])
        assert [duration_s(w) * 60 for w in re.findall(r"\[(\w+)\]", fast[key]["expr"])] == [
            duration_s(w) for w in windows
        ], key
    # the silence is counted in hall time; its limits (10 minutes, the forecast's gaps,
    # 2 hours) are hall seconds already
    stale = next(r for r in fast.values() if r["labels"].get("events") == "stale")
    assert stale["expr"].startswith(
        "(\n  (time() - hall_last_heard_timestamp_seconds) * 60\n  > on (hall) group_left ()\n"
    )
    assert ", 600, 7200)" in stale["expr"]
    routes = alertmanager_config(load_contacts(CONTACTS), TimeScale(60))["route"]
    assert (routes["group_wait"], routes["group_interval"]) == ("1s", "5s")
    # hall manager, district, the model team (no rung), city
    assert [r["repeat_interval"] for r in routes["routes"]] == ["30s", "1m", "12m", "2m"]
    assert REAL_TIME.real_time and not TimeScale(60).real_time


def test_a_wall_clock_silence_is_counted_in_hall_seconds() -> None:
    silent = "time() - hall_last_heard_timestamp_seconds"
    assert REAL_TIME.hall_seconds(silent) == silent
    assert TimeScale(60).hall_seconds(silent) == f"({silent}) * 60"
    assert TimeScale(2.5).hall_seconds("x") == "(x) * 2.5"


def _sped_up(unit: Path, rules: dict[str, Path]) -> str:
    """A unit test file with its clock 60 times faster: minutes become seconds,
    hours minutes, and the rule files the scaled ones."""
    doc = yaml.safe_load(unit.read_text(encoding="utf-8"))
    doc["rule_files"] = [str(rules[Path(f).name]) for f in doc["rule_files"]]
    doc["evaluation_interval"] = "1s"

    def faster(text: str) -> str:
        return TimeScale(60).duration(text)

    for test in doc["tests"]:
        test["interval"] = faster(test["interval"])
        for case in test.get("alert_rule_test", []) + test.get("promql_expr_test", []):
            case["eval_time"] = faster(case["eval_time"])
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@pytest.mark.integration
@pytest.mark.parametrize("name", HALL_TIME_TESTS)
def test_the_unit_tests_pass_at_sixty_times_on_a_sixty_times_faster_clock(
    tmp_path: Path, name: str
) -> None:
    rules = {}
    for file, text in render_rule_files(scale=TimeScale(60)).items():
        rules[file] = tmp_path / file
        rules[file].write_text(text, encoding="utf-8")
    unit = tmp_path / f"{name}_test.yml"
    unit.write_text(_sped_up(PROMETHEUS / "tests" / f"{name}_test.yml", rules), "utf-8")
    ran = subprocess.run(
        [binary("promtool"), "test", "rules", unit.name],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "SUCCESS" in ran.stdout
