"""What ``hallmon demo`` sets up, without running it: a valid config of the
bundled halls on the events clock with fresh tokens, and a short-staffed
variant of a hall that really is worse off."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitor.core.config import load_settings
from monitor.demo.stack import ROOT, demo_config, staff_cut
from sim.model.hall import simulate
from sim.model.kpis import replication_kpis
from sim.model.scenario import load_scenario


def test_the_demo_config_serves_the_bundled_halls_on_the_events_clock(tmp_path: Path) -> None:
    path, env, halls = demo_config(ROOT / "monitor.example.yaml", tmp_path, "http://127.0.0.1:1")
    settings = load_settings(path, environ=env)
    assert [h.id for h in settings.halls] == [hall for hall, _ in halls] == ["flagship", "county"]
    assert {h.clock for h in settings.halls} == {"events"}
    assert settings.store.parent == tmp_path
    assert settings.alertmanager_url == "http://127.0.0.1:1"
    assert len({h.token_sha256 for h in settings.halls}) == 2
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
