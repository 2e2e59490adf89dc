"""The shipped Alertmanager configuration: it is what ``hallmon
alertmanager-config`` renders from the shipped contacts; ``amtool
check-config``, ``amtool config routes test --verify.receivers`` for every
rung, the Chinese WeChat template rendered by ``amtool template render``, and a
real Alertmanager (the shipped config pointed at a local receiver, see
:mod:`tests.dashboards.stack`) that is sent alerts through its API: routes per
rung, one notification per hall, inhibition by a higher rung of the same alert
for the same service (and no other) and by a down exporter, the WeChat Work
message of each rung, resolution."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.ops.alertmanager import load_contacts, render_alertmanager_config
from tests.dashboards.promserver import binary, running_alertmanager
from tests.dashboards.receiver import Notification, running_receiver
from tests.dashboards.stack import ALERTMANAGER_YML, TEMPLATES, alertmanager_test_config

pytestmark = pytest.mark.integration  # amtool and a real Alertmanager

WAIT_S = 30.0


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("amtool"), *args], capture_output=True, text=True, timeout=60)


def test_the_committed_config_is_what_the_contacts_render() -> None:
    contacts = ALERTMANAGER_YML.parent / "contacts.yaml"
    rendered = render_alertmanager_config(
        load_contacts(contacts), source="dashboards/alertmanager/contacts.yaml"
    )
    assert ALERTMANAGER_YML.read_text(encoding="utf-8") == rendered, (
        "alertmanager.yml is stale: run hallmon alertmanager-config (see contacts.yaml)"
    )


def test_amtool_checks_the_config() -> None:
    checked = _amtool("check-config", str(ALERTMANAGER_YML))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout and "3 inhibit rules" in checked.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        ("alertname=HallBreachPredicted severity=hall_manager hall=flagship", "hall-manager"),
        ("alertname=HallOldestWaitPastTarget severity=hall_manager hall=flagship", "hall-manager"),
        ("alertname=HallOldestWaitPastTarget severity=district hall=flagship", "district"),
        ("alertname=HallErrorBudgetBurn severity=district hall=flagship", "district"),
        ("alertname=HallOldestWaitPastTarget severity=city hall=flagship", "city"),
        ("alertname=HallErrorBudgetBurn severity=city hall=flagship", "city"),
        ("alertname=HallmonExporterDown severity=city hall=flagship instance=e:9180", "city"),
        ("alertname=HallNowcastStale severity=city hall=flagship instance=e:9180", "city"),
        ("alertname=HallModelDrift severity=info hall=flagship quantity=arrivals", "model"),
        ("alertname=SomethingElse", "city"),
    ],
)
def test_each_rung_routes_to_its_receiver(labels: str, receiver: str) -> None:
    routed = _amtool(
        "config", "routes", "test", f"--config.file={ALERTMANAGER_YML}",
        f"--verify.receivers={receiver}", *labels.split(),
    )  # fmt: skip
    assert routed.returncode == 0, routed.stdout + routed.stderr
    assert routed.stdout.strip() == receiver


def test_the_wechat_message_is_chinese(tmp_path: Path) -> None:
    data = {
        "receiver": "city",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HallOldestWaitPastTarget", "severity": "city",
                           "hall": "flagship", "name": "市中心旗舰营业厅", "district": "天河区",
                           "city": "广州", "service": "business"},
                "annotations": {
                    "summary": "市中心旗舰营业厅 business：最久等待的顾客已等 1h 5m 0s。\n"
                    "市中心旗舰营业厅 (flagship) business: the oldest waiting customer has waited",
                    "runbook_url": "https://example.invalid/RUNBOOK.md#halloldestwaitpasttarget",
                },
                "startsAt": "2026-03-02T11:05:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ],
        "groupLabels": {"hall": "flagship"},
        "commonLabels": {"severity": "city"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
    }  # fmt: skip
    (tmp_path / "data.json").write_text(json.dumps(data), encoding="utf-8")
    rendered = _amtool(
        "template", "render", f"--template.glob={TEMPLATES}/*.tmpl",
        '--template.text={{ template "hallq.wechat.message" . }}',
        f"--template.data={tmp_path / 'data.json'}",
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    lines = rendered.stdout.strip().splitlines()
    assert lines[0] == "【营业厅告警·城市运营中心】1 条"
    assert lines[1] == "▶ [广州·天河区] 市中心旗舰营业厅 business：最久等待的顾客已等 1h 5m 0s。"
    assert "(flagship)" not in rendered.stdout  # the English line is left out
    assert "halloldestwaitpasttarget" in lines[2]


def _alert(name: str, severity: str, hall: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": name, "severity": severity, "hall": hall, "name": f"{hall}厅",
                   "district": "天河区", "city": "广州", **labels},
        "annotations": {"summary": f"{hall}厅：{name}\n{hall}: {name}",
                        "runbook_url": f"https://example.invalid/RUNBOOK.md#{name.lower()}"},
        "startsAt": datetime.now(UTC).isoformat(),
    }  # fmt: skip


def _halls(notes: list[Notification], receiver: str) -> list[set[str]]:
    return [
        {a["labels"]["hall"] for a in n.body["alerts"]} for n in notes if n.receiver == receiver
    ]


@pytest.mark.integration
def test_alertmanager_routes_groups_and_inhibits(tmp_path: Path) -> None:
    alerts = [
        # a: two hall-manager alerts, one notification
        _alert("HallBreachPredicted", "hall_manager", "a"),
        _alert("HallOldestWaitPastTarget", "hall_manager", "a", service="business"),
        # b: the city rung silences the hall manager's for consult, not for business
        _alert("HallOldestWaitPastTarget", "hall_manager", "b", service="consult"),
        _alert("HallOldestWaitPastTarget", "city", "b", service="consult"),
        _alert("HallOldestWaitPastTarget", "hall_manager", "b", service="business"),
        # c: the district rung of the burn rate silences the hall manager's burn
        # rate, not the counters below plan
        _alert("HallErrorBudgetBurn", "hall_manager", "c"),
        _alert("HallErrorBudgetBurn", "district", "c"),
        _alert("HallCountersBelowPlan", "hall_manager", "c"),
        # d, e: their exporter is down, one city message for both
        _alert("HallNoEvents", "hall_manager", "d"),
        _alert("HallmonExporterDown", "city", "d", instance="e:9180"),
        _alert("HallmonExporterDown", "city", "e", instance="e:9180"),
        # f, g: their exporter's nowcasts are stale, one city message for both
        _alert("HallNowcastStale", "city", "f", instance="e:9181", nowcast="stale"),
        _alert("HallNowcastStale", "city", "g", instance="e:9181", nowcast="stale"),
    ]
    with (
        running_receiver() as (url, received),
        running_alertmanager(tmp_path, alertmanager_test_config(url)) as am,
    ):
        posted = httpx.post(f"{am}/api/v2/alerts", json=alerts, timeout=10)
        assert posted.status_code == 200, posted.text

        def arrived(notes: list[Notification]) -> bool:
            hall_manager = _halls(notes, "hall-manager")
            return (
                all({hall} in hall_manager for hall in "abc")
                and {"c"} in _halls(notes, "district")
                and {"b"} in _halls(notes, "city")
                and {"d", "e"} in _halls(notes, "city")
                and {"f", "g"} in _halls(notes, "city")
                and sum(n.receiver == "wechat:message/send" for n in notes) >= 7
            )

        notes = received.wait_for(arrived, WAIT_S, "a notification per rung")
        state = {
            (
                a["labels"]["hall"],
                a["labels"]["alertname"],
                a["labels"]["severity"],
                a["labels"].get("service"),
            ): a["status"]
            for a in httpx.get(f"{am}/api/v2/alerts", timeout=10).json()
        }
        for key in (
            ("b", "HallOldestWaitPastTarget", "hall_manager", "consult"),
            ("c", "HallErrorBudgetBurn", "hall_manager", None),
            ("d", "HallNoEvents", "hall_manager", None),
        ):
            assert state[key]["state"] == "suppressed" and state[key]["inhibitedBy"], key
        for key in (
            ("a", "HallBreachPredicted", "hall_manager", None),
            ("b", "HallOldestWaitPastTarget", "hall_manager", "business"),
            ("c", "HallCountersBelowPlan", "hall_manager", None),
        ):
            assert state[key]["state"] == "active", key

        # the rungs' receivers got their own halls only, the floor's other problems too
        assert sorted(map(sorted, _halls(notes, "hall-manager"))) == [["a"], ["b"], ["c"]]
        hm = {n.body["groupLabels"]["hall"]: n for n in notes if n.receiver == "hall-manager"}
        assert len(hm["a"].body["alerts"]) == 2
        assert [a["labels"]["service"] for a in hm["b"].body["alerts"]] == ["business"]
        assert [a["labels"]["alertname"] for a in hm["c"].body["alerts"]] == [
            "HallCountersBelowPlan"
        ]
        assert _halls(notes, "district") == [{"c"}]
        city = {n.body["groupKey"]: n for n in notes if n.receiver == "city"}
        assert {frozenset(n.body["groupLabels"].items()) for n in city.values()} == {
            frozenset({("hall", "b")}), frozenset({("instance", "e:9180")}),
            frozenset({("instance", "e:9181")}),
        }  # fmt: skip
        # WeChat Work: a token, then a text message to each rung's department
        wechat = [n for n in notes if n.receiver == "wechat:message/send"]
        assert received.token_requests[0]["corpsecret"] == ["REPLACE-WITH-APP-SECRET"]
        assert all(n.body["agentid"] == "1000002" for n in wechat)
        heads = {
            n.body["toparty"]: n.body["text"]["content"].splitlines()[0] for n in wechat
        }  # the rungs' departments in contacts.yaml
        assert heads["3"].startswith("【营业厅告警·厅经理】"), heads
        assert heads["4"].startswith("【营业厅告警·区县主管】"), heads
        assert heads["2"].startswith("【营业厅告警·城市运营中心】"), heads
        texts = [n.body["text"]["content"] for n in wechat if n.body["toparty"] == "2"]
        assert any("b厅：HallOldestWaitPastTarget" in t for t in texts), texts

        # resolving hall a's alerts tells the hall manager
        ended = [a | {"endsAt": datetime.now(UTC).isoformat()} for a in alerts[:2]]
        assert httpx.post(f"{am}/api/v2/alerts", json=ended, timeout=10).status_code == 200
        notes = received.wait_for(
            lambda ns: any(
                n.receiver == "hall-manager"
                and {a["status"] for a in n.body["alerts"]} == {"resolved"}
                for n in ns
            ),
            WAIT_S,
            "hall a resolved",
        )
