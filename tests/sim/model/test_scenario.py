"""Scenario files: every bundled one loads; mistakes name the YAML path and value."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from sim.model.calendar import counter_instances, intervals
from sim.model.scenario import ScenarioError, load_scenario, parse_yaml, scenario_from_dict
from sim.model.units import (
    format_clock,
    format_duration,
    parse_clock_s,
    parse_duration_s,
    parse_span_s,
)

SCENARIOS = sorted(Path("scenarios").glob("*.yaml"))

MINIMAL: dict[str, Any] = {
    "hall": "h",
    "target": {"wait": "15m", "service_level": 0.8},
    "services": {"a": {"service_time": {"dist": "exponential", "mean": "2m"}}},
    "segments": {"s": {"share": 1.0}},
    "arrivals": {"mix": {"a": 1.0}, "rate_per_hour": 10},
    "counters": [{"id": "C", "count": 1, "services": ["a"]}],
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """MINIMAL with one value replaced; ``path`` like ``counters.0.shift``."""
    data = copy.deepcopy(MINIMAL)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def test_bundled_scenarios_exist() -> None:
    assert {p.name for p in SCENARIOS} >= {"flagship.yaml", "county.yaml", "mmc-validation.yaml"}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenario_loads(path: Path) -> None:
    scn = load_scenario(path)
    assert scn.hall == path.stem
    assert counter_instances(scn)


def test_flagship_has_what_the_issue_asks_for() -> None:
    scn = load_scenario("scenarios/flagship.yaml")
    assert {s.name for s in scn.services.values()} == {"咨询", "业务办理", "售后", "缴费"}
    assert {s.name for s in scn.segments.values()} == {"全球通VIP", "全球通", "动感地带", "神州行"}
    assert any(g.segments == ("gotone_vip",) for g in scn.counters)  # VIP counter
    assert scn.kiosks and "payment" in scn.kiosks[0].services
    staffed_at = {
        t: sum(
            1
            for c in counter_instances(scn)
            if not c.kiosk and any(a <= t < b for a, b in c.windows)
        )
        for t in (11 * 3600.0, 12.5 * 3600, 18.5 * 3600)
    }
    assert staffed_at[12.5 * 3600] < staffed_at[11 * 3600]  # lunch dip
    rates = dict(scn.arrivals.rate_per_hour)
    assert max(rates, key=lambda t: rates[t]) >= 17 * 3600  # evening peak
    assert scn.timezone == "Asia/Shanghai"


def test_mmc_validation_is_the_issue_example() -> None:
    scn = load_scenario("scenarios/mmc-validation.yaml")
    assert (
        scn.horizon is not None
        and scn.horizon.warmup == 36000
        and scn.horizon.duration == 300 * 3600
    )
    assert scn.arrivals.rate_per_hour == ((0.0, 540.0),)
    assert scn.counters[0].count == ((0.0, 10.0),)
    assert intervals(scn) == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("1.5h", 5400),
        (30, 30),
        ("0s", 0),
        ("2d", 172800),
        ("250ms", 0.25),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration_s(text) == seconds


@pytest.mark.parametrize("text", ["15 minutes", "-5m", "", "m", True, None, [1]])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration_s(text)


def test_clock_and_spans() -> None:
    assert parse_clock_s("09:30") == 34200
    assert parse_clock_s("24:00") == 86400
    assert parse_span_s("09:00-17:30") == (32400, 63000)
    assert format_clock(34200) == "09:30"
    assert (
        format_duration(900) == "15m"
        and format_duration(5400) == "90m"
        and format_duration(90) == "90s"
    )
    for bad in ("9.30", "25:00", "12:60", "24:01"):
        with pytest.raises(ValueError):
            parse_clock_s(bad)


def test_clock_keys_are_not_read_as_base_60_numbers() -> None:
    """YAML 1.1 reads an unquoted 12:30 as 750; our loader keeps it a time."""
    data = parse_yaml("rate_per_hour: {09:00: 10, 12:30: 20}\nn: 12", source="x")
    assert data == {"rate_per_hour": {"09:00": 10, "12:30": 20}, "n": 12}


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "counters.0.shift",
            "19:00-18:00",
            "counters[0].shift: '19:00-18:00' ends before it starts",
        ),
        ("counters.0.spead", 1.1, "counters[0].spead: unknown key `spead`, did you mean `speed`?"),
        ("counters.0.zzz", 1, "counters[0].zzz: unknown key `zzz`\n"),  # nothing close: no guess
        ("no_show_delay", "-20s", "no_show_delay: '-20s' must be a finite, non-negative duration"),
        ("counters.0.count", {"09:00": 2, "12:00": 1.5}, "counters[0].count: "),
        ("counters.0.services", ["a", "zz"], "counters[0].services: 'zz' is not a service"),
        (
            "arrivals.rate_per_hour",
            {"9h": 3},
            "arrivals.rate_per_hour: {'9h': 3} key '9h' is not a time of day",
        ),
        ("arrivals.mix", {"a": 0.5}, "arrivals.mix: {'a': 0.5} shares must sum to 1"),
        ("services.a.service_time", {"dist": "gamma", "mean": "5m"}, "gamma needs cv"),
        (
            "services.a.service_time",
            {"dist": "pareto", "mean": "5m"},
            "services.a.service_time.dist: 'pareto'",
        ),
        ("services.a.service_time", {"dist": "weibull", "mean": "5m"}, "weibull needs cv"),
        ("target.wait", "soon", "target.wait: 'soon' is not a duration"),
        ("target.service_level", 1.5, "target.service_level: 1.5"),
        ("segments.s.share", 0.5, "segments: shares sum to 0.5, not 1"),
        ("timezone", "Mars/Olympus", "timezone: 'Mars/Olympus' is not a known IANA time zone"),
        ("close", "08:00", "close: 8h is not after open"),
    ],
)
def test_errors_name_path_and_value(path: str, value: Any, message: str) -> None:
    data = with_change(path, value)
    if path in ("timezone", "close", "no_show_delay"):
        data[path] = value
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    assert message in str(info.value) + "\n"


def test_segment_nobody_can_serve_is_an_error() -> None:
    data = copy.deepcopy(MINIMAL)
    data["segments"] = {"vip": {"share": 0.1}, "rest": {"share": 0.9}}
    data["counters"] = [{"id": "V", "count": 1, "services": ["a"], "segments": ["vip"]}]
    with pytest.raises(ScenarioError, match="no counter serves 'a' customers of segment 'rest'"):
        scenario_from_dict(data)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("hall: x\ncounters: [\n  {id: C\n")
    with pytest.raises(ScenarioError, match=r"bad.yaml: line \d+, column \d+"):
        load_scenario(bad)


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario("scenarios/does-not-exist.yaml")


def test_counter_windows_follow_count_shift_and_breaks() -> None:
    data = copy.deepcopy(MINIMAL)
    data["counters"] = [
        {
            "id": "C",
            "count": {"09:00": 2, "12:00": 1, "14:00": 2},
            "services": ["a"],
            "shift": "09:00-17:00",
            "breaks": ["10:00-10:30"],
        }
    ]
    scn = scenario_from_dict(data)
    c1, c2 = counter_instances(scn)
    h = 3600.0
    assert c1.windows == ((9 * h, 10 * h), (10.5 * h, 17 * h))
    assert c2.windows == ((9 * h, 10 * h), (10.5 * h, 12 * h), (14 * h, 17 * h))


def test_step_values_is_step_value_vectorised() -> None:
    import numpy as np

    from sim.model.calendar import step_value, step_values

    steps = ((9 * 3600.0, 0.1), (12 * 3600.0, 0.3), (18 * 3600.0, 0.0))
    times = np.concatenate([[0.0, 9 * 3600.0, 12 * 3600.0], np.linspace(0, 86400, 997)])
    assert step_values(steps, times).tolist() == [step_value(steps, t) for t in times]
