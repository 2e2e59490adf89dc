"""The collector read from an explicit registry: families and types, explicit
zeros, histograms as client_python writes them, absent forecast and nowcast,
label escaping, no ``_created`` series."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace

import pytest
from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.parser import text_string_to_metric_families

from monitor.api.collector import FAMILIES, HallCollector
from monitor.core.batches import to_rows
from monitor.core.config import Settings
from monitor.core.hallinfo import wait_bounds
from monitor.core.snapshot import (
    HORIZONS,
    ForecastNow,
    HallInfo,
    HallView,
    Histogram,
    LiveSnapshot,
    NowcastNow,
)
from monitor.core.state import HallState
from sim.eventlog.events import Event

SERVICES = ("consult", "payment")
SEGMENTS = ("vip", "regular")
COUNTERS = ("B1", "B2", "Q1")
BOUNDS_S = (60.0, 300.0, 900.0)


@pytest.fixture(autouse=True, scope="module")
def no_created_series() -> None:
    disable_created_metrics()  # type: ignore[no-untyped-call]


def make_view(
    hall: str = "h1",
    *,
    name: str = "市中心旗舰营业厅",
    forecast: bool = True,
    nowcast: bool = True,
    busy: bool = True,
) -> HallView:
    """A hall with two services, two segments and three counters; ``busy=False``
    leaves every count at zero, as a hall before its first event."""
    info = HallInfo(
        id=hall,
        name=name,
        district="天河区",
        city="广州",
        services=SERVICES,
        segments=SEGMENTS,
        counters=COUNTERS,
        target_wait_s=900.0,
        objective=0.8,
    )
    n = 1 if busy else 0
    pairs = [(s, g) for s in SERVICES for g in SEGMENTS]
    wait = Histogram(BOUNDS_S, (2 * n, 5 * n, 6 * n), 7 * n, 4321.5 * n)
    live = LiveSnapshot(
        now_s=1_767_000_000.0,
        day="2025-12-29",
        open=busy,
        queue={"consult": 4 * n, "payment": 0},
        queue_by_segment={p: n for p in pairs},
        oldest_wait_s={"consult": 612.5 * n, "payment": 0.0},
        counters_open=3 * n,
        counters_busy=2 * n,
        issued={p: 10 * n for p in pairs} | {("consult", "vip"): 3 * n},
        served={p: 8 * n for p in pairs},
        abandoned={p: 0 for p in pairs} | {("payment", "regular"): n},
        counter_busy={"B1": busy, "B2": busy, "Q1": False},
        counter_open={c: busy for c in COUNTERS},
        counter_served={"B1": 12 * n, "B2": 9 * n, "Q1": 0},
        wait={s: wait for s in SERVICES},
        service_time={s: Histogram(BOUNDS_S, (n, n, n), n, 42.0 * n) for s in SERVICES},
        last_event_s=1_766_999_990.5 if busy else None,
    )
    fc = ForecastNow(
        queue_length={"consult": 3.5, "payment": 0.25},
        wait_s={"consult": 480.0, "payment": math.nan},  # no called ticket forecast
        arrivals_per_hour={"consult": 20.0, "payment": 6.0},
    )
    nc = NowcastNow(
        computed_s=1_766_999_995.0,
        wait_s={("consult", h): 300.0 + i for i, h in enumerate(HORIZONS)}
        | {("payment", "0m"): 10.0},
        breach_probability={"0m": 0.05, "15m": 0.1, "30m": 0.2},  # 60m not computed
        present_queue={"consult": 3.2, "payment": 0.0},
    )
    ingested = {"accepted": 120 * n, "duplicate": 2 * n, "rejected": 0}
    return HallView(info, live, fc if forecast else None, nc if nowcast else None, ingested)


def registry_of(*views: HallView) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(HallCollector(lambda: views))
    return registry


def value(registry: CollectorRegistry, sample: str, /, **labels: str) -> float | None:
    return registry.get_sample_value(sample, labels)


def text_of(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode("utf-8")


# -- families -------------------------------------------------------------------------


def test_every_family_is_present_with_its_type() -> None:
    text = text_of(registry_of(make_view()))
    parsed = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert parsed == {name: kind for name, (kind, _) in FAMILIES.items()}
    for name, (kind, _) in FAMILIES.items():
        exposed = name + "_total" if kind == "counter" else name
        assert f"# TYPE {exposed} {kind}\n" in text
        assert f"# HELP {exposed} " in text


def test_registering_does_not_collect() -> None:
    calls = []

    def views() -> Iterator[HallView]:
        calls.append(1)
        yield make_view()

    registry = CollectorRegistry(auto_describe=True)
    registry.register(HallCollector(views))
    assert calls == []
    assert value(registry, "hall_open", hall="h1") == 1.0
    assert calls == [1]


def test_live_values_land_on_their_labels() -> None:
    r = registry_of(make_view())
    info = {"hall": "h1", "name": "市中心旗舰营业厅", "district": "天河区", "city": "广州"}
    assert value(r, "hall_info", **info) == 1.0
    assert value(r, "hall_queue_length", hall="h1", service="consult") == 4
    assert value(r, "hall_oldest_wait_seconds", hall="h1", service="consult") == 612.5
    assert value(r, "hall_counters_open", hall="h1") == 3
    assert value(r, "hall_counters_busy", hall="h1") == 2
    seg = {"hall": "h1", "service": "consult", "segment": "vip"}
    assert value(r, "hall_tickets_issued_total", **seg) == 3
    assert value(r, "hall_tickets_served_total", **seg) == 8
    assert value(r, "hall_tickets_abandoned_total", **seg | {"service": "payment"}) == 0
    assert value(r, "hall_tickets_abandoned_total", hall="h1", service="payment", segment="regular")
    assert value(r, "hall_counter_busy", hall="h1", counter="B1") == 1
    assert value(r, "hall_counter_served_total", hall="h1", counter="B2") == 9
    assert value(r, "hall_slo_target_wait_seconds", hall="h1") == 900.0
    assert value(r, "hall_slo_objective_ratio", hall="h1") == 0.8
    assert value(r, "hall_last_event_timestamp_seconds", hall="h1") == 1_766_999_990.5
    assert value(r, "hallmon_ingest_events_total", hall="h1", result="accepted") == 120


def test_a_quiet_hall_has_explicit_zeros_everywhere() -> None:
    r = registry_of(make_view(busy=False))
    assert value(r, "hall_open", hall="h1") == 0
    for s in SERVICES:
        assert value(r, "hall_queue_length", hall="h1", service=s) == 0
        assert value(r, "hall_wait_seconds_count", hall="h1", service=s) == 0
        assert value(r, "hall_wait_seconds_bucket", hall="h1", service=s, le="+Inf") == 0
        for g in SEGMENTS:
            for family in ("issued", "served", "abandoned"):
                name = f"hall_tickets_{family}_total"
                assert value(r, name, hall="h1", service=s, segment=g) == 0
    for c in COUNTERS:
        assert value(r, "hall_counter_busy", hall="h1", counter=c) == 0
        assert value(r, "hall_counter_served_total", hall="h1", counter=c) == 0
    for result in ("accepted", "duplicate", "rejected"):
        assert value(r, "hallmon_ingest_events_total", hall="h1", result=result) == 0
    assert value(r, "hall_counters_busy", hall="h1") == 0
    assert "hall_last_event_timestamp_seconds{" not in text_of(r)


def test_a_key_missing_from_the_snapshot_is_a_zero_and_an_extra_key_is_kept() -> None:
    view = make_view()
    live = replace(
        view.live,
        queue={"consult": 4},
        counter_served={"B1": 12, "B2": 9, "Q1": 0, "X9": 5},
    )
    r = registry_of(replace(view, live=live))
    assert value(r, "hall_queue_length", hall="h1", service="payment") == 0
    assert value(r, "hall_counter_served_total", hall="h1", counter="X9") == 5


def test_an_extra_key_is_kept_also_when_a_configured_key_is_missing() -> None:
    """The extras must not be found by counting keys: here the snapshot lacks
    one configured key and holds one extra, so it has as many keys as the
    configuration."""
    view = make_view()
    live = replace(
        view.live,
        queue={"consult": 4, "fax": 2},
        counter_served={"B1": 12, "Q1": 0, "X9": 5},
        issued={("consult", "vip"): 3, ("fax", "vip"): 1},
    )
    r = registry_of(replace(view, live=live))
    assert value(r, "hall_queue_length", hall="h1", service="payment") == 0
    assert value(r, "hall_queue_length", hall="h1", service="fax") == 2
    assert value(r, "hall_counter_served_total", hall="h1", counter="B2") == 0
    assert value(r, "hall_counter_served_total", hall="h1", counter="X9") == 5
    seg = {"hall": "h1", "segment": "vip"}
    assert value(r, "hall_tickets_issued_total", service="fax", **seg) == 1
    assert value(r, "hall_tickets_issued_total", service="payment", **seg) == 0


def test_extra_keys_come_in_a_stable_order() -> None:
    view = make_view()
    one = replace(view.live, queue={"consult": 1, "payment": 0, "zeta": 1, "alpha": 2})
    two = replace(view.live, queue={"alpha": 2, "payment": 0, "zeta": 1, "consult": 1})
    assert text_of(registry_of(replace(view, live=one))) == text_of(
        registry_of(replace(view, live=two))
    )


def test_a_service_the_scenario_does_not_know_has_its_histograms(settings: Settings) -> None:
    """Tickets of an unknown service are counted as served, so their waits and
    service times must be in the histograms too (with the hall's bounds), or
    an SLO ratio's denominator disagrees with the served count."""
    state = HallState(settings.halls[0])
    events = [
        Event(id=f"{t}{k}", hall="county", kind=kind, ts=f"2026-03-02T10:{m:02d}:00+08:00",
              ticket=t, **fields)
        for t, service in (("F1", "fax"), ("F2", "fax"), ("P1", "payment"))
        for k, (kind, m, fields) in enumerate((
            ("ticket_issued", 0, {"service": service, "segment": "gotone"}),
            ("ticket_called", 16, {"counter": "C1"}),
            ("service_ended", 20, {"counter": "C1"}),
        ))
    ]  # fmt: skip
    state.apply(to_rows(events, state.zone))
    live = state.snapshot()
    r = registry_of(HallView(state.info, live, forecast=None, nowcast=None, ingested={}))
    for service, n in (("fax", 2), ("payment", 1)):
        labels = {"hall": "county", "service": service}
        served = value(r, "hall_tickets_served_total", **labels, segment="gotone")
        assert served == n
        assert value(r, "hall_wait_seconds_count", **labels) == n
        assert value(r, "hall_wait_seconds_sum", **labels) == 960.0 * n
        assert value(r, "hall_wait_seconds_bucket", **labels, le="900.0") == 0
        assert value(r, "hall_wait_seconds_bucket", **labels, le="1200.0") == n
        assert value(r, "hall_service_seconds_count", **labels) == n
        assert value(r, "hall_service_seconds_bucket", **labels, le="300.0") == n
    les = {
        line.split('le="')[1].split('"')[0]
        for line in text_of(r).splitlines()
        if line.startswith("hall_wait_seconds_bucket") and 'service="fax"' in line
    }
    assert les == {*(f"{b}" for b in wait_bounds(900.0)), "+Inf"}


# -- histograms -----------------------------------------------------------------------


def test_histograms_are_cumulative_with_inf_equal_to_count() -> None:
    r = registry_of(make_view())
    labels = {"hall": "h1", "service": "consult"}
    buckets = [
        value(r, "hall_wait_seconds_bucket", **labels, le=le) for le in ("60.0", "300.0", "900.0")
    ]
    assert buckets == [2, 5, 6]
    assert value(r, "hall_wait_seconds_bucket", **labels, le="+Inf") == 7
    assert value(r, "hall_wait_seconds_count", **labels) == 7
    assert value(r, "hall_wait_seconds_sum", **labels) == 4321.5
    assert value(r, "hall_service_seconds_count", **labels) == 1
    text = text_of(r)
    assert 'hall_wait_seconds_bucket{hall="h1",le="900.0",service="consult"} 6.0\n' in text
    assert 'hall_wait_seconds_bucket{hall="h1",le="+Inf",service="consult"} 7.0\n' in text
    parsed = next(f for f in text_string_to_metric_families(text) if f.name == "hall_wait_seconds")
    mine = [s for s in parsed.samples if s.labels.get("service") == "consult"]
    assert [s.name.rsplit("_", 1)[1] for s in mine] == ["bucket"] * 4 + ["count", "sum"]


def test_le_is_rendered_as_client_python_renders_it() -> None:
    """Large bounds switch to Go's exponent form, as client_python's own
    histograms write them."""
    view = make_view()
    bounds = (0.5, 7200.0, 1e7)
    hist = Histogram(bounds, (0, 1, 2), 2, 3.0)
    r = registry_of(replace(view, live=replace(view.live, wait={"consult": hist})))
    les = {
        line.split('le="')[1].split('"')[0]
        for line in text_of(r).splitlines()
        if line.startswith("hall_wait_seconds_bucket")
    }
    assert les == {"0.5", "7200.0", "1e+07", "+Inf"}


# -- forecast and nowcast --------------------------------------------------------------


def test_forecast_and_nowcast_are_absent_when_none() -> None:
    text = text_of(registry_of(make_view(forecast=False, nowcast=False)))
    for name in FAMILIES:
        if name.startswith(("hall_forecast_", "hall_nowcast_")):
            assert f"\n{name}{{" not in text
            assert f"# TYPE {name} gauge" in text  # the family is still declared


def test_forecast_and_nowcast_values_and_gaps() -> None:
    r = registry_of(make_view())
    assert value(r, "hall_forecast_queue_length", hall="h1", service="payment") == 0.25
    assert value(r, "hall_forecast_arrivals_per_hour", hall="h1", service="consult") == 20.0
    assert value(r, "hall_forecast_wait_seconds", hall="h1", service="consult") == 480.0
    assert value(r, "hall_forecast_wait_seconds", hall="h1", service="payment") is None  # NaN
    for i, h in enumerate(HORIZONS):
        got = value(r, "hall_nowcast_wait_seconds", hall="h1", service="consult", horizon=h)
        assert got == 300.0 + i
    assert value(r, "hall_nowcast_wait_seconds", hall="h1", service="payment", horizon="0m") == 10
    assert (
        value(r, "hall_nowcast_wait_seconds", hall="h1", service="payment", horizon="15m") is None
    )
    assert value(r, "hall_nowcast_breach_probability", hall="h1", horizon="30m") == 0.2
    assert value(r, "hall_nowcast_breach_probability", hall="h1", horizon="60m") is None
    assert value(r, "hall_nowcast_queue_length", hall="h1", service="consult") == 3.2
    assert value(r, "hall_nowcast_queue_length", hall="h1", service="payment") == 0.0


# -- exposition -----------------------------------------------------------------------


def test_chinese_names_and_quotes_are_escaped() -> None:
    name = '旗舰店 "东门"\\2号\n新'
    r = registry_of(make_view(name=name))
    text = text_of(r)
    assert 'name="旗舰店 \\"东门\\"\\\\2号\\n新"' in text
    info = next(f for f in text_string_to_metric_families(text) if f.name == "hall_info")
    assert info.samples[0].labels["name"] == name
    assert value(r, "hall_info", hall="h1", name=name, district="天河区", city="广州") == 1


def test_no_created_series_in_either_format() -> None:
    r = registry_of(make_view())
    assert "_created" not in text_of(r)
    openmetrics = generate_openmetrics(r).decode("utf-8")  # type: ignore[no-untyped-call]
    assert "_created" not in openmetrics
    assert openmetrics.endswith("# EOF\n")


def test_many_halls_one_family_each_and_stale_halls_forgotten() -> None:
    views = [make_view("a"), make_view("b", busy=False)]
    collector = HallCollector(lambda: views)
    registry = CollectorRegistry()
    registry.register(collector)
    text = text_of(registry)
    assert text.count("# TYPE hall_queue_length gauge") == 1
    assert value(registry, "hall_counters_open", hall="a") == 3
    assert value(registry, "hall_counters_open", hall="b") == 0
    views.pop()
    assert value(registry, "hall_counters_open", hall="b") is None
    assert set(collector._labels) == {"a"}


def test_a_changed_hall_info_changes_its_labels() -> None:
    views = [make_view()]
    registry = CollectorRegistry()
    registry.register(HallCollector(lambda: views))
    assert value(registry, "hall_slo_target_wait_seconds", hall="h1") == 900.0
    views[0] = make_view(name="新名字")
    info = {"hall": "h1", "name": "新名字", "district": "天河区", "city": "广州"}
    assert value(registry, "hall_info", **info) == 1


def test_the_collector_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    r = registry_of(make_view())
    assert gc.isenabled()
    text_of(r)
    assert gc.isenabled()
    gc.disable()
    try:
        text_of(r)
        assert not gc.isenabled()
    finally:
        gc.enable()
