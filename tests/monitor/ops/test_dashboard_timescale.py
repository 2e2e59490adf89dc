"""The dashboards in hall time, like the rules (tests/monitor/ops/test_timescale.py):
at 1× they are exactly the committed files; at 60× every range window, subquery
step, panel interval and opening time range is divided by 60, so "the last 15
minutes" of a panel covers 15 minutes of the hall's day in the 60× demo; the
ticket system's silence is counted in hall time (wall seconds times 60, as the
rule HallNoEvents counts it), so it compares with the alert's limit in hall
seconds; and nothing else changes (the texts still say 15 minutes: they speak hall time)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from monitor.ops.dashboards import DASHBOARDS, export, render
from monitor.ops.dashboards.hall_now import SILENT
from monitor.ops.timescale import TimeScale, duration_s

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "dashboards" / "grafana"
# durations inside PromQL: range windows [15m], subqueries [1h:1m]; $__range is Grafana's
RANGE = re.compile(r"\[(\$__range|\d+[smhd])(?::(\d+[smhd]))?\]")
DURATION = re.compile(r"\d+[smhd]")
# events and limited requests a second are the exporter's, in wall time at any speed
WALL_TIME = ("hallmon_ingest_events_total", "hallmon_limited_requests_total")


def _durations(node: Any, path: str = "") -> dict[str, list[str]]:
    """Every duration a dashboard gives Prometheus or Grafana, by JSON path:
    the windows of each query, each panel's interval and the time range."""
    found: dict[str, list[str]] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}"
            if key == "expr" and isinstance(value, str):
                if not any(name in value for name in WALL_TIME):
                    found[here] = [d for pair in RANGE.findall(value) for d in pair if d]
            elif key == "interval" and isinstance(value, str) and value:
                found[here] = [value]
            elif key == "time" and isinstance(value, dict):
                found[here] = [value["from"].removeprefix("now-")]  # now/d is the day itself
            else:
                found.update(_durations(value, here))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.update(_durations(value, f"{path}[{i}]"))
    return found


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_at_one_times_the_dashboards_are_the_committed_files(name: str) -> None:
    committed = (GRAFANA / name).read_text(encoding="utf-8")
    assert render(DASHBOARDS[name], TimeScale(1.0)) == committed


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_at_sixty_times_every_window_is_divided(name: str) -> None:
    slow = json.loads(render(DASHBOARDS[name]))
    fast = json.loads(render(DASHBOARDS[name], TimeScale(60)))
    slow_durations, fast_durations = _durations(slow), _durations(fast)
    assert fast_durations.keys() == slow_durations.keys()
    for where, durations in slow_durations.items():
        scaled = [
            max(1, duration_s(d) // 60) if re.fullmatch(r"\d+[smhd]", d) else d for d in durations
        ]
        shown = [
            duration_s(d) if re.fullmatch(r"\d+[smhd]", d) else d for d in fast_durations[where]
        ]
        assert shown == scaled, where
    # nothing but the durations and the silence's scale differs: the same panels,
    # queries and texts
    in_hall_time = json.dumps(f"({SILENT}) * 60")[1:-1]
    fast_text = json.dumps(_without_durations(fast)).replace(in_hall_time, json.dumps(SILENT)[1:-1])
    assert RANGE.sub("[]", fast_text) == RANGE.sub("[]", json.dumps(_without_durations(slow)))


def _without_durations(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_durations(v) for k, v in node.items() if k not in ("interval", "time")}
    if isinstance(node, list):
        return [_without_durations(v) for v in node]
    return node


def _exprs(name: str, scale: TimeScale) -> str:
    model = json.loads(render(DASHBOARDS[name], scale))
    return "\n".join(t["expr"] for p in model["panels"] for t in p.get("targets", []))


def test_the_hall_dashboards_windows_at_sixty_times() -> None:
    """What the 60× demo's duty officer gets: the waits of the last 15 hall
    minutes (15 wall seconds) and six hall hours on opening."""
    live = _exprs("hall-live.json", TimeScale(60))
    assert 'rate(hall_wait_seconds_bucket{hall="$hall"}[15s])' in live
    assert "[15m]" not in live and "[15m]" in _exprs("hall-live.json", TimeScale(1))
    assert json.loads(render(DASHBOARDS["hall-live.json"], TimeScale(60)))["time"] == {
        "from": "now-6m",
        "to": "now",
    }
    # the silence in hall seconds, everywhere it is drawn or coloured, against
    # the limit in hall seconds (the rule's own: its silence times the speed)
    assert live.count(f"({SILENT}) * 60") == 4  # the stat, the graph, and both limits' fallback
    assert live.count(SILENT) == 4
    accuracy = _exprs("forecast-accuracy.json", TimeScale(60))
    assert 'increase(hall_tickets_issued_total{hall=~"$hall"}[15s])' in accuracy
    assert "[1m:1s]" in accuracy and "[1h:1m]" not in accuracy


def test_export_writes_them_at_the_scale(tmp_path: Path) -> None:
    written = export(tmp_path, TimeScale(60))
    assert sorted(p.name for p in written) == sorted(DASHBOARDS)
    for path in written:
        assert path.read_text(encoding="utf-8") == render(DASHBOARDS[path.name], TimeScale(60))
