"""Issue 14, item 1: label values and string sizes are bounded.

A ticket system (or anyone holding one hall's token) may send any number of
service, segment and counter names the scenario does not know, and names or
ids of any length. Unknown values get their own label value up to
``max_label_values`` per hall and dimension a day; the rest are counted under
``other`` and in ``hallmon_label_overflow_total``. Ids and names are at most
128 characters without control characters (else 422; the length is counted
in characters, as the OpenAPI document's ``maxLength`` counts it). ``/metrics`` is
rendered at most once a second and concurrent scrapers share the body."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.api.exposition import Exposition
from tests.monitor.hardening.conftest import client_for, issued, post, settings_for


def _series(text: str, family: str) -> dict[tuple[tuple[str, str], ...], float]:
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == family:
                found[tuple(sorted(s.labels.items()))] = s.value
    return found


def _label_values(text: str, family: str, label: str, hall: str = "county") -> set[str]:
    return {dict(key)[label] for key in _series(text, family) if dict(key).get("hall") == hall}


def _junk(n: int, start: int = 0) -> list[dict[str, str]]:
    """``n`` tickets, each of its own unknown service, segment and counter."""
    events: list[dict[str, str]] = []
    for i in range(start, start + n):
        events.append(issued(i, service=f"svc-{i}", segment=f"seg-{i}"))
        events.append(
            {"id": f"c{i}", "hall": "county", "ts": issued(i + 1)["ts"], "kind": "ticket_called",
             "ticket": f"T{i}", "counter": f"ctr-{i}"}
        )  # fmt: skip
    return events


CONFIGURED = {"consult", "business", "payment"}


def test_unknown_label_values_are_capped_and_stay_capped_after_a_restart(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, extra="max_label_values: 20")
    with client_for(settings) as client:
        assert post(client, _junk(150)).status_code == 200
        text = client.get("/metrics").text
    services = _label_values(text, "hall_tickets_issued_total", "service")
    assert services - CONFIGURED == {f"svc-{i}" for i in range(20)} | {"other"}
    segments = _label_values(text, "hall_tickets_issued_total", "segment")
    assert segments - {"gotone", "easyown"} == {f"seg-{i}" for i in range(20)} | {"other"}
    counters = _label_values(text, "hall_counter_served_total", "counter")
    unknown_counters = {c for c in counters if c.startswith("ctr-") or c == "other"}
    assert unknown_counters == {f"ctr-{i}" for i in range(20)} | {"other"}
    overflow = _series(text, "hallmon_label_overflow_total")
    mine = {dict(k)["dimension"]: v for k, v in overflow.items() if dict(k)["hall"] == "county"}
    # 130 tickets folded their service and segment; 130 calls their counter; every
    # event of a folded ticket names its own values again, so one count per event
    assert mine == {"service": 130.0, "segment": 130.0, "counter": 130.0}
    # the other "other": the folded tickets all count, under one label value
    issued_other = sum(
        v for k, v in _series(text, "hall_tickets_issued_total").items()
        if dict(k)["hall"] == "county" and dict(k)["service"] == "other"
    )  # fmt: skip
    assert issued_other == 130
    assert _label_values(text, "hall_wait_seconds_count", "service") - CONFIGURED == {
        f"svc-{i}" for i in range(20)
    } | {"other"}

    with client_for(settings) as client:  # a restart rebuilds the day from the store
        again = client.get("/metrics").text
    assert _label_values(again, "hall_tickets_issued_total", "service") == services


def test_the_default_cap_keeps_metrics_small_whatever_is_sent(tmp_path: Path) -> None:
    with client_for(settings_for(tmp_path)) as client:
        assert post(client, _junk(60)).status_code == 200
        small = len(client.get("/metrics").content)
        for start in range(60, 3060, 500):
            assert post(client, _junk(500, start)).status_code == 200
        time.sleep(1.05)  # past the scrape cache (tested below)
        large = client.get("/metrics")
    services = _label_values(large.text, "hall_tickets_issued_total", "service")
    assert len(services - CONFIGURED) == 51  # the default 50, and "other"
    assert len(large.content) < small * 1.02, (small, len(large.content))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "x" * 129),
        ("ticket", "T" * 129),
        ("service", "营" * 129),
        ("segment", "g" * 1_300_000),
        ("hall", "h" * 200),
    ],
)
def test_ids_and_names_over_128_characters_are_422(tmp_path: Path, field: str, value: str) -> None:
    with client_for(settings_for(tmp_path)) as client:
        event = issued(1) | {field: value}
        response = post(client, [issued(0), event])
        assert response.status_code == 422, response.text
        problems = response.json()["detail"]
        assert [(p["index"], p["field"]) for p in problems] == [(1, field)]
        assert "128 characters" in problems[0]["reason"]
        assert len(response.content) < 1000  # the reason does not echo the value
        assert client.app.state.monitor.stored() == 0  # type: ignore[attr-defined]
        fits = post(client, [issued(2, service="营" * 126 + "ab")])  # 128 characters
        assert fits.status_code == 200


@pytest.mark.parametrize("bad", ["a\nb", "a\x00", "\x1b[31mred", "del\x7f", "nel\x85", "tab\t"])
@pytest.mark.parametrize("field", ["id", "ticket", "service", "segment"])
def test_control_characters_in_ids_and_names_are_422(tmp_path: Path, bad: str, field: str) -> None:
    with client_for(settings_for(tmp_path)) as client:
        response = post(client, [issued(1) | {field: bad}])
        assert response.status_code == 422, response.text
        (problem,) = response.json()["detail"]
        assert (problem["index"], problem["field"]) == (0, field)
        assert "control character" in problem["reason"]
        # a name in any script, with spaces and punctuation, is fine
        fine = post(client, [issued(2) | {field: "全球通 VIP-2 (东门)"}])
        assert fine.status_code == 200, fine.text


def test_concurrent_scrapers_share_one_render() -> None:
    arrived = 0
    lock = threading.Lock()
    renders: list[float] = []
    scrapers = 8

    def render() -> bytes:
        deadline = time.monotonic() + 10
        while True:  # hold the render until every scraper has asked for a body
            with lock:
                if arrived == scrapers or time.monotonic() > deadline:
                    break
            time.sleep(0.001)
        renders.append(time.monotonic())
        return f"body {len(renders)}\n".encode()

    exposition = Exposition(render, min_interval_s=1.0)
    bodies: list[bytes] = []

    def scrape() -> None:
        nonlocal arrived
        with lock:
            arrived += 1
        bodies.append(exposition.body())

    threads = [threading.Thread(target=scrape) for _ in range(scrapers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert bodies == [b"body 1\n"] * scrapers
    assert len(renders) == 1


def test_the_body_is_rendered_again_after_the_interval_or_a_new_version() -> None:
    now = [100.0]
    version = [1]
    count = [0]

    def render() -> bytes:
        count[0] += 1
        return str(count[0]).encode()

    exposition = Exposition(
        render, min_interval_s=1.0, clock=lambda: now[0], version=lambda: version[0]
    )
    assert exposition.body() == b"1"
    now[0] += 0.9
    assert exposition.body() == b"1"  # within the second: the cached body
    now[0] += 0.2
    assert exposition.body() == b"2"  # a second after the render: a new one
    version[0] = 2  # a new forecast or nowcast: shown at the next scrape
    assert exposition.body() == b"3"
    assert exposition.body() == b"3"


def test_repeated_scrapes_within_a_second_render_once(tmp_path: Path) -> None:
    with client_for(settings_for(tmp_path)) as client:
        exposition = client.app.state.exposition  # type: ignore[attr-defined]
        before = exposition.renders
        first = client.get("/metrics")
        for _ in range(20):
            assert client.get("/metrics").content == first.content
        assert exposition.renders - before <= 2  # the second may have turned once


def test_capped_names_are_chosen_in_event_time_and_kept_across_restarts(tmp_path: Path) -> None:
    """Issue 25, item 4: more unknown names at once than the cap allows. The
    batch lists them against event time, and a later batch holds earlier
    events; a restart (which rebuilds the day in event time) used to publish
    other names than the live exporter did."""
    settings = settings_for(tmp_path, extra="max_label_values: 5")
    first = [issued(i, service=f"svc-{i}") for i in range(20, 10, -1)]  # latest first
    later = [issued(i, service=f"svc-{i}") for i in range(0, 10)]  # earlier, sent later
    with client_for(settings) as client:
        assert post(client, first).status_code == 200
        assert post(client, later).status_code == 200
        live = _label_values(client.get("/metrics").text, "hall_tickets_issued_total", "service")
    # the first batch in event time: svc-11..svc-15 (not the first five sent)
    assert live - CONFIGURED == {f"svc-{i}" for i in range(11, 16)} | {"other"}
    for _ in range(2):
        with client_for(settings) as client:
            again = client.get("/metrics").text
        assert _label_values(again, "hall_tickets_issued_total", "service") == live
