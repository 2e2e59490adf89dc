"""What ``hallmon demo`` sets up, without running it: a valid config of the
bundled halls on the events clock with fresh tokens, a short-staffed variant
of a hall that really is worse off, Alertmanager's contacts pointed at the
demo's receiver, the receiver itself, and the events its curl posts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml

from monitor.core.config import load_settings
from monitor.demo.processes import Demo
from monitor.demo.receiver import RUNG_NAMES, demo_contacts, running_receiver
from monitor.demo.stack import (
    ROOT,
    demo_config,
    example_events,
    replay_date,
    simulated_day,
    staff_cut,
)
from monitor.ops.alertmanager import RUNGS, alertmanager_config, load_contacts
from sim.eventlog.events import Event
from sim.model.days import day_scenario, weekday
from sim.model.hall import simulate
from sim.model.kpis import replication_kpis
from sim.model.scenario import load_scenario


def test_the_demo_config_serves_the_bundled_halls_on_the_events_clock(tmp_path: Path) -> None:
    path, env, halls = demo_config(ROOT / "monitor.example.yaml", tmp_path, "http://127.0.0.1:1")
    settings = load_settings(path, environ=env)
    ids = ["flagship", "county", "flagship-remote"]
    assert [h.id for h in settings.halls] == [hall for hall, _ in halls] == ids
    assert {h.clock for h in settings.halls} == {"events"}
    assert settings.store.parent == tmp_path
    assert settings.alertmanager_url == "http://127.0.0.1:1"
    assert len({h.token_sha256 for h in settings.halls}) == 3
    assert all(len(token) >= 32 for token in env.values())
    county = next(h for h in settings.halls if h.id == "county")
    assert county.target_wait_s == 900 and county.name == "县城营业厅"  # kept from the file


def test_a_staff_cut_keeps_at_least_one_and_makes_the_day_worse(tmp_path: Path) -> None:
    source = ROOT / "scenarios/flagship.yaml"
    tree = yaml.safe_load(source.read_text(encoding="utf-8"))
    cut = staff_cut(tree)
    groups = {g["id"]: g["count"] for g in cut["counters"]}
    assert groups["V"] == 1  # one clerk stays one
    assert groups["B"] == {"09:00": 3, "12:00": 2, "13:30": 3, "17:00": 4}
    variant = tmp_path / "cut.yaml"
    variant.write_text(yaml.safe_dump(cut, allow_unicode=True), encoding="utf-8")
    normal, short = load_scenario(source), load_scenario(variant)
    before = replication_kpis(simulate(normal, 1, 0), normal).overall
    after = replication_kpis(simulate(short, 1, 0), short).overall
    assert after["wait_mean_s"] > 2 * before["wait_mean_s"]
    assert after["service_level"] < before["service_level"] - 0.2


def test_the_demo_says_how_busy_each_drawn_day_is(tmp_path: Path) -> None:
    """What the demo prints as each hall's drawn demand tells the busy day from
    the quiet one: a hall that is not short of staff can break its target on a
    busy day, and the newcomer is told why."""
    county = ROOT / "scenarios/county.yaml"
    day = replay_date(county)
    demo = Demo(tmp_path)
    drawn = [simulated_day(demo, "county", county, day, seed, False) for seed in range(1, 9)]
    demands = [d.demand for d in drawn]
    assert len(set(demands)) == len(demands)  # a day of its own for each seed
    tickets = [sum(e.kind == "ticket_issued" for e in d.events) for d in drawn]
    busiest, quietest = demands.index(max(demands)), demands.index(min(demands))
    assert max(demands) > 1.15 and min(demands) < 0.85  # the scenario's noise (cv 0.15)
    assert demands[1] > 1.15  # seed 2, the county's in the default demo: getting-started.md
    assert tickets[busiest] > 1.3 * tickets[quietest]
    assert list(tmp_path.iterdir()) == []  # nothing written for a hall not short of staff
    steady = ROOT / "scenarios/mmc-validation.yaml"
    plain = simulated_day(demo, "mmc", steady, replay_date(steady), 1, False)
    assert plain.demand == 1.0 and plain.events  # no day-to-day noise: the average day
    cut = simulated_day(demo, "flagship", ROOT / "scenarios/flagship.yaml", day, 1, True)
    assert (tmp_path / "flagship-staff-cut.yaml").is_file() and cut.events
    # against the scenario's usual day: a Monday of the city halls is 15% busier (their
    # week), the same draw of the day's noise on a Tuesday is not
    remote = ROOT / "scenarios/flagship-remote.yaml"
    monday = simulated_day(demo, "remote", remote, date(2026, 12, 7), 3, False)
    tuesday = simulated_day(demo, "remote", remote, date(2026, 12, 8), 3, False)
    assert monday.demand / tuesday.demand == pytest.approx(1.15)


def test_every_rung_reaches_the_receiver_as_shipped_otherwise() -> None:
    shipped = load_contacts(ROOT / "dashboards/alertmanager/contacts.yaml")
    contacts = demo_contacts(shipped, "http://127.0.0.1:1")
    tree = alertmanager_config(contacts)
    assert tree["global"]["wechat_api_url"] == "http://127.0.0.1:1/wechat/cgi-bin/"
    *rungs, model = tree["receivers"]
    for receiver, rung in zip(rungs, RUNGS, strict=True):
        assert receiver["webhook_configs"][0]["url"] == f"http://127.0.0.1:1/webhook/{rung}"
        assert receiver["wechat_configs"][0]["to_party"] == rung
    assert model == {"name": "model", "webhook_configs": [
        {"url": "http://127.0.0.1:1/webhook/model", "send_resolved": True}]}  # fmt: skip
    shipped_tree = alertmanager_config(shipped)
    assert tree["route"] == shipped_tree["route"]  # the routes, waits and repeats as shipped
    assert tree["inhibit_rules"] == shipped_tree["inhibit_rules"]


def test_the_receiver_records_every_message_and_prints_each_new_text_once() -> None:
    printed: list[str] = []
    wechat = {
        "toparty": "district",
        "msgtype": "text",
        "text": {"content": "【营业厅告警·区县主管】1 条\n▶ x"},
    }
    hook = {
        "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "A", "severity": "district"}}],
    }
    with running_receiver(printed.append) as (url, inbox):
        token = httpx.get(f"{url}/wechat/cgi-bin/gettoken?corpid=a&corpsecret=b").json()
        assert token["errcode"] == 0 and token["access_token"]
        for _ in range(2):  # a repeat of the same message is recorded, not printed again
            assert httpx.post(f"{url}/wechat/cgi-bin/message/send", json=wechat).status_code == 200
        assert httpx.post(f"{url}/webhook/district", json=hook).status_code == 200
        listed = httpx.get(f"{url}/messages.json").json()
        text = httpx.get(f"{url}/").text
    assert [(m["rung"], m["channel"], m["status"]) for m in listed] == [
        ("district", "wechat", "firing"), ("district", "wechat", "firing"),
        ("district", "webhook", "firing"),
    ]  # fmt: skip
    assert len(printed) == 1 and RUNG_NAMES["district"] in printed[0] and "▶ x" in printed[0]
    assert "A/district/firing" in text and len(inbox.snapshot()) == 3


def test_the_curl_posts_one_valid_ticket_of_the_replayed_day() -> None:
    scenario = ROOT / "scenarios/county.yaml"
    day = replay_date(scenario)
    events = [Event.model_validate(e) for e in example_events("county", scenario, day)]
    assert [e.kind for e in events] == ["ticket_issued", "ticket_called", "service_ended"]
    assert len({e.id for e in events}) == 3 and {e.ticket for e in events} == {"CURL-1"}
    assert events[0].ts < events[1].ts < events[2].ts
    assert events[0].ts.date() == day


def test_the_demo_replays_a_working_day_the_exporter_calls_one() -> None:
    """Flagship opens 10:00-17:00 on Sundays at 70% of its customers: the demo
    replays the latest day before today with the typical 09:00-21:00 instead,
    so the exporter (the same calendar) has the hall open all along the
    replay, whatever weekday the demo runs on."""
    scenario = ROOT / "scenarios/flagship.yaml"
    scn = load_scenario(scenario)
    day = replay_date(scenario)
    today = datetime.now(ZoneInfo(scn.timezone)).date()
    assert today - timedelta(days=4) <= day < today  # a weekend and a holiday at most
    one_day = day_scenario(scn, day)
    assert one_day is not None and (one_day.open, one_day.close) == (scn.open, scn.close)
    assert weekday(day) not in ("sat", "sun")
