"""Issue 25, item 3: what one hall's token may send.

Each hall has a bucket of ``events_burst`` events refilled at
``events_per_s``, and a budget of ``stored_bytes_per_day``; past either, a
batch is refused with 429 and Retry-After, nothing of it is stored, the
refusal is counted in ``hallmon_limited_requests_total{hall,limit}`` (the
ops alert and the hall's dashboard read it), and the other hall is not
affected. A hall that keeps sending while refused is refused before its body
is read. The day's budget survives a restart."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.monitor.conftest import auth
from tests.monitor.hardening.conftest import client_for, issued, post, settings_for


def _limited(client: TestClient, limit: str, hall: str = "county") -> float:
    client.app.state.exposition._rendered_at = float("-inf")  # type: ignore[attr-defined]
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for s in family.samples:
            if s.name == "hallmon_limited_requests_total" and s.labels == {
                "hall": hall,
                "limit": limit,
            }:
                return s.value
    raise AssertionError(f"no hallmon_limited_requests_total{{hall={hall!r},limit={limit!r}}}")


def _flagship(i: int) -> dict[str, str]:
    return issued(i, service="consult", segment="gotone") | {"hall": "flagship", "id": f"f{i}"}


def test_events_a_second_beyond_the_bucket_are_429(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, extra="limits: {hall: {events_per_s: 20, events_burst: 100}}")
    with client_for(settings) as client:
        assert post(client, [issued(i) for i in range(100)]).status_code == 200  # the burst
        batch = [issued(i) for i in range(100, 150)]
        refused = post(client, batch)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1
        assert "20 events a second" in refused.json()["detail"]
        assert client.app.state.monitor.stored("county") == 100  # type: ignore[attr-defined]
        # the other hall has its own bucket
        other = post(client, [_flagship(i) for i in range(100)], hall="flagship")
        assert other.status_code == 200
        # a client that waits as told gets through once 50 events have refilled (2.5 s)
        start = time.monotonic()
        for _ in range(6):
            time.sleep(int(refused.headers["retry-after"]))
            refused = post(client, batch)
            if refused.status_code == 200:
                break
            assert refused.status_code == 429
        assert refused.status_code == 200
        assert 2.0 <= time.monotonic() - start < 8.0
        assert _limited(client, "events_per_s") >= 2


def test_a_hall_refused_is_refused_before_its_body_is_read(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, extra="limits: {hall: {events_per_s: 1, events_burst: 10}}")
    with client_for(settings) as client:
        assert post(client, [issued(i) for i in range(10)]).status_code == 200
        garbage = client.post(  # not even JSON: no parser sees it
            "/v1/halls/county/events", content=b"\xff" * 100_000, headers=auth("county")
        )
        assert garbage.status_code == 429
        # the hall's counts show no rejected batch: it was not parsed
        assert client.get("/v1/halls/county/state").json()["ingested"]["rejected"] == 0


def test_a_batch_over_the_burst_passes_when_the_bucket_is_full(tmp_path: Path) -> None:
    """A batch larger than the bucket is not refused forever: it takes the
    whole bucket and leaves it in debt."""
    settings = settings_for(tmp_path, extra="limits: {hall: {events_per_s: 50, events_burst: 10}}")
    with client_for(settings) as client:
        assert post(client, [issued(i) for i in range(60)]).status_code == 200
        assert post(client, [issued(60)]).status_code == 429


def test_stored_bytes_a_day_are_limited_and_survive_a_restart(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, extra="limits: {hall: {stored_bytes_per_day: 20000}}", clock="wall"
    )
    with client_for(settings) as client:
        sent = 0
        for k in range(20):
            reply = post(client, [issued(100 * k + i) for i in range(40)])  # about 7 KB each
            if reply.status_code != 200:
                break
            sent += 1
        assert reply.status_code == 429, reply.text
        assert "stored its 20000 bytes for today" in reply.json()["detail"]
        seconds = int(reply.headers["retry-after"])
        assert 0 < seconds <= 86400  # until the hall's local midnight
        assert 1 <= sent <= 3
        # a duplicate batch adds nothing to the store: it is not charged
        assert post(client, [issued(0)]).json() == {"accepted": 0, "duplicates": 1}
        assert _limited(client, "stored_bytes_per_day") >= 1
        assert post(client, [_flagship(1)], hall="flagship").status_code == 200
    with client_for(settings) as client:  # a restart does not give the hall a new budget
        assert post(client, [issued(9000 + i) for i in range(40)]).status_code == 429
