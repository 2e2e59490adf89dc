"""The whole ops loop on 127.0.0.1 with the real binaries: ``hallmon serve``
(clock: events) ← ``hallmon replay`` of an evening with a staff cut, at
:data:`SPEED`× real time → Prometheus (1 s scrape and rule evaluation, the
shipped rules at time scale :data:`SPEED`, as ``hallmon prometheus-config
--time-scale`` writes them) → Alertmanager (the shipped config pointed at a
local receiver) → webhooks and the WeChat Work API.

The evening (17:00–19:30, 80 customers an hour, 7 business counters, 3 quick
ones and a VIP room) loses its business counters and two quick ones from 17:20
to 18:30. The exporter's forecast and nowcast simulate the normal evening, so
the nowcast sees the cut before anyone has waited too long; then the oldest
ticket climbs the ladder past 1×, 2× and 4× the 15-minute target, the
customers called late burn the error budget, and once the counters are back
and the queue has drained everything resolves.

Two alerts are left out of the test copy of the rules (:data:`WALL_CLOCK_ALERTS`),
their promtool tests cover them: ``HallNoEvents`` would also speak of the quiet
minutes before the evening's first customer (ten hall minutes are five wall
seconds here); and ``HallmonNotScraped`` is about the start-up of Prometheus.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from monitor.core.config import load_settings
from monitor.ops.prometheus_config import Deployment, render_prometheus_config
from tests.dashboards.promserver import running_alertmanager, running_prometheus
from tests.dashboards.receiver import ACCESS_TOKEN, Notification, running_receiver
from tests.dashboards.stack import alertmanager_test_config, scaled_rules
from tests.monitor.server import running_server

ROOT = Path(__file__).resolve().parents[2]
SPEED = 120.0
TOKEN = "e2e-flagship-token"
ZONE = "Asia/Shanghai"
WALL_CLOCK_ALERTS = ("HallNoEvents", "HallmonNotScraped")
RUNGS = ("hall_manager", "district", "city")
EXPECTED = {
    "HallBreachPredicted",
    "HallOldestWaitPastTarget",
    "HallErrorBudgetBurn",
    "HallQueueAboveForecast",
    "HallCountersBelowPlan",
}
RECEIVERS = {"hall-manager": "hall_manager", "district": "district", "city": "city"}
REPLAY_S = 240.0  # the replay's wall-clock deadline
SETTLE_S = 90.0  # after the replay: time for every alert to resolve and be notified

_SERVICES = """
services:
  consult:     {service_time: {dist: lognormal, mean: 4m, cv: 0.8}}
  business:    {service_time: {dist: gamma, mean: 9m, cv: 0.7}}
  after_sales: {service_time: {dist: lognormal, mean: 12m, cv: 0.9}}
  payment:     {service_time: {dist: exponential, mean: 2.5m}}
segments:
  gotone_vip: {share: 0.06, priority: 0, patience: {dist: lognormal, mean: 30m, cv: 0.8}}
  gotone:     {share: 0.24, priority: 1, patience: {dist: exponential, mean: 35m}}
  mzone:      {share: 0.35, priority: 2, patience: {dist: exponential, mean: 25m}}
  easyown:    {share: 0.35, priority: 2, patience: {dist: exponential, mean: 40m}}
arrivals:
  mix: {consult: 0.25, business: 0.35, after_sales: 0.15, payment: 0.25}
  rate_per_hour: 80
kiosks:
  - {id: K, count: 3, services: [payment], share: 0.6, speed: 1.2}
"""


def _scenario(business_counters: str, quick_counters: str) -> str:
    return (
        "hall: flagship\nname: 市中心旗舰营业厅\ntimezone: Asia/Shanghai\n"
        'open: "17:00"\nclose: "19:30"\ninterval: 15m\n'
        "target: {wait: 15m, service_level: 0.80}\nclosing: serve_all\nno_show_delay: 20s\n"
        + _SERVICES
        + "counters:\n"
        "  - {id: V, count: 1, services: [business, after_sales, consult, payment],"
        " segments: [gotone_vip], speed: 1.15}\n"
        f"  - {{id: B, count: {business_counters},"
        " services: [business, after_sales, consult, payment]}\n"
        f"  - {{id: Q, count: {quick_counters}, services: [consult, payment, business]}}\n"
    )


NORMAL = _scenario("7", "3")
CUT = _scenario('{"17:00": 7, "17:20": 0, "18:30": 7}', '{"17:00": 3, "17:20": 1, "18:30": 3}')


@dataclass
class Timeline:
    """When each (alertname, severity) was first seen firing in Prometheus
    (``time.monotonic``), and whether Prometheus still has alerts."""

    first_firing: dict[tuple[str, str], float]
    active: int = 0


def _poll_alerts(prom: str, timeline: Timeline) -> None:
    body = httpx.get(f"{prom}/api/v1/alerts", timeout=10).json()
    alerts: list[dict[str, Any]] = body["data"]["alerts"]
    now = time.monotonic()
    for a in alerts:
        if a["state"] == "firing":
            key = (a["labels"]["alertname"], a["labels"]["severity"])
            timeline.first_firing.setdefault(key, now)
    timeline.active = len(alerts)


def _firing(n: Notification) -> list[dict[str, Any]]:
    return [a for a in n.body.get("alerts", []) if a["status"] == "firing"]


def _first(notes: list[Notification], receiver: str, alertname: str | None = None) -> float:
    """When ``receiver`` was first notified of a firing alert (named ``alertname``)."""
    times = [
        n.at
        for n in notes
        if n.receiver == receiver
        and any(alertname in (None, a["labels"]["alertname"]) for a in _firing(n))
    ]
    assert times, f"{receiver} never got a firing {alertname or 'alert'}"
    return min(times)


def _test_rules(directory: Path) -> list[Path]:
    """The shipped rules scaled by :data:`SPEED`, without :data:`WALL_CLOCK_ALERTS`."""
    paths = scaled_rules(SPEED, directory)
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in doc["groups"]:
            group["rules"] = [r for r in group["rules"] if r.get("alert") not in WALL_CLOCK_ALERTS]
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return paths


def _write_config(directory: Path) -> Path:
    (directory / "normal.yaml").write_text(NORMAL, encoding="utf-8")
    (directory / "cut.yaml").write_text(CUT, encoding="utf-8")
    config = directory / "monitor.yaml"
    config.write_text(
        f"store: {directory / 'hallmon.db'}\nclock: events\nsynchronous: normal\n"
        "nowcast: {every: 1s, replications: 12}\nforecast: {replications: 4}\n"
        "halls:\n  - {id: flagship, name: 市中心旗舰营业厅, district: 天河区, city: 广州,\n"
        "      scenario: normal.yaml, token_env: E2E_TOKEN}\n",
        encoding="utf-8",
    )
    return config


def _all_resolved(notes: list[Notification]) -> bool:
    """Every receiver notified of a firing alert has been told of a resolution."""
    firing = {n.receiver for n in notes if _firing(n)}
    resolved = {
        n.receiver
        for n in notes
        if any(a["status"] == "resolved" for a in n.body.get("alerts", []))
    }
    return bool(firing) and firing <= resolved


def _story(timeline: Timeline, notes: list[Notification]) -> str:
    """What happened, for assertion messages."""
    fired = sorted(timeline.first_firing.items(), key=lambda kv: kv[1])
    lines = [f"  {t:9.1f} firing {name}/{sev}" for (name, sev), t in fired]
    for n in notes:
        alerts = [
            f"{a['labels']['alertname']}/{a['labels']['severity']}/{a['status']}"
            for a in n.body.get("alerts", [])
        ]
        lines.append(f"  {n.at:9.1f} -> {n.receiver}: {', '.join(alerts) or '(message)'}")
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.integration
def test_a_staff_cut_climbs_the_ladder_and_resolves(tmp_path: Path) -> None:
    config = _write_config(tmp_path)
    env = {"E2E_TOKEN": TOKEN}
    rules = _test_rules(tmp_path / "rules")
    # a past day: the exporter quarantines events dated ahead of the wall clock
    day = (datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=1)).isoformat()
    timeline = Timeline(first_firing={})
    with (
        running_server(config, env, log=tmp_path / "hallmon.log") as server,
        running_receiver() as (receiver_url, received),
        running_alertmanager(tmp_path, alertmanager_test_config(receiver_url)) as am,
    ):
        deployment = Deployment(
            host="127.0.0.1",
            base_port=server.port,
            alertmanagers=(am.removeprefix("http://"),),
            interval="1s",
        )
        prom_config = render_prometheus_config(load_settings(config, environ=env), deployment)
        with running_prometheus(tmp_path, prom_config, rules) as prom:
            replay = subprocess.Popen(
                [sys.executable, "-m", "monitor", "replay", str(tmp_path / "cut.yaml"),
                 "--url", server.url, "--token", TOKEN, "--speed", str(SPEED),
                 "--start", day, "--seed", "5", "--batch", "50", "--json"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            deadline = time.monotonic() + REPLAY_S
            while replay.poll() is None:
                assert time.monotonic() < deadline, "the replay took too long"
                _poll_alerts(prom, timeline)
                time.sleep(0.5)
            assert replay.returncode == 0, replay.communicate()[1].decode()
            deadline = time.monotonic() + SETTLE_S
            while True:  # the queue drained, the hall closed: every alert resolves
                _poll_alerts(prom, timeline)
                if timeline.active == 0:
                    break
                story = _story(timeline, received.snapshot())
                assert time.monotonic() < deadline, f"alerts still active:\n{story}"
                time.sleep(0.5)
            notes = received.wait_for(_all_resolved, 30.0, "resolved notifications")
            active = httpx.get(f"{am}/api/v2/alerts", params={"active": "true"}, timeout=10)
            assert active.json() == [], active.text

    story = _story(timeline, notes)
    fired = timeline.first_firing
    # Prometheus: only the overload's alerts (no exporter or scrape trouble), the
    # prediction before any burn-rate alert, the ladder in order
    assert {name for name, _ in fired} <= EXPECTED, story
    burn = [t for (name, _), t in fired.items() if name == "HallErrorBudgetBurn"]
    assert burn, f"no burn-rate alert fired:\n{story}"
    predicted = fired.get(("HallBreachPredicted", "hall_manager"))
    assert predicted is not None and predicted < min(burn), story
    oldest = [fired.get(("HallOldestWaitPastTarget", s), -1.0) for s in RUNGS]
    assert min(oldest) > 0 and oldest == sorted(oldest), story
    # each rung's receiver got its own severity only: hall manager (first the
    # prediction), then district, then city
    for note in notes:
        if note.receiver in RECEIVERS:
            severities = {a["labels"]["severity"] for a in note.body["alerts"]}
            assert severities == {RECEIVERS[note.receiver]}, story
            assert {a["labels"]["hall"] for a in note.body["alerts"]} == {"flagship"}, story
    first_hm = _first(notes, "hall-manager")
    assert first_hm == _first(notes, "hall-manager", "HallBreachPredicted"), story
    assert first_hm < _first(notes, "district") < _first(notes, "city"), story
    # the city rung also reached WeChat Work, in Chinese, with the access token
    wechat = [
        n for n in notes if n.receiver == "wechat:message/send" and n.body["toparty"] == "2"
    ]  # the city operations centre's department
    assert wechat, story
    assert received.token_requests[0]["corpid"] == ["ww0000000000000000"]
    assert wechat[0].body["query"]["access_token"] == [ACCESS_TOKEN]
    assert wechat[0].body["toparty"] == "2" and wechat[0].body["msgtype"] == "text"
    content = wechat[0].body["text"]["content"]
    assert content.startswith("【营业厅告警·城市运营中心】") and "市中心旗舰营业厅" in content, (
        content
    )
    # and everything resolved after it fired
    for receiver in RECEIVERS:
        resolved = [
            n.at for n in notes if n.receiver == receiver
            and any(a["status"] == "resolved" for a in n.body["alerts"])
        ]  # fmt: skip
        assert resolved and max(resolved) > _first(notes, receiver), story
