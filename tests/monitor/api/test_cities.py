"""``/v1/cities``: a city's halls ranked from the exporter's live state and
published nowcasts, the refusals in the documented shape, the config that
places halls, and the ranking's inputs in ``/metrics``."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from monitor.core.config import ConfigError, Settings, load_settings
from monitor.core.snapshot import HORIZONS, NowcastNow
from monitor.server.app import create_app
from sim.eventlog.events import Event
from tests.monitor.conftest import ENV, ROOT, as_json, auth, write_config

# 天河区 and 从化区 of 广州, GCJ-02 (as a map app gives them)
FLAGSHIP = (23.1375, 113.3245)
COUNTY = (23.5488, 113.5862)
HOSTILE = "<img src=x onerror=alert(1)>\"'&; مرحبا 🏢" + "长" * 300


HALLS = f"""
  - {{id: county, name: 县城营业厅, district: 从化区, city: 广州, token_env: T_COUNTY,
      location: {{lat: {COUNTY[0]}, lon: {COUNTY[1]}}}, services: [consult, business],
      scenario: {ROOT / "scenarios/county.yaml"}}}
  - {{id: flagship, name: {json.dumps(HOSTILE, ensure_ascii=False)}, district: 天河区,
      city: 广州, token_env: T_FLAGSHIP, location: {{lat: {FLAGSHIP[0]}, lon: {FLAGSHIP[1]}}},
      scenario: {ROOT / "scenarios/flagship.yaml"}}}
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        write_config(tmp_path, halls=HALLS, extra="city_map: {speed_km_per_h: 30}"), environ=ENV
    )


def morning(events: list[Event], until: str = "T11:00") -> list[dict[str, str]]:
    """The events of the day before ``until`` (local time): the hall is open, with a queue."""
    return [e for e in as_json(events) if e["ts"][10:16] < until]


@pytest.fixture
def client(
    settings: Settings, county_day: list[Event], flagship_day: list[Event]
) -> Iterator[TestClient]:
    with TestClient(create_app(settings, background=False)) as c:
        for hall, day in (("county", county_day), ("flagship", flagship_day)):
            r = c.post(f"/v1/halls/{hall}/events", json=morning(day), headers=auth(hall))
            assert r.status_code == 200, r.text
        yield c


def publish(client: TestClient, hall: str, waits_s: dict[str, float]) -> None:
    """A nowcast of ``hall`` whose consult ticket taken after each horizon waits as given."""
    monitor = client.app.state.monitor  # type: ignore[attr-defined]
    monitor.publish_nowcast(
        hall,
        NowcastNow(
            computed_s=monitor.now_s(hall),
            wait_s={("consult", h): w for h, w in waits_s.items()},
            breach_probability={"0m": 0.5},
            present_queue={},
            service_breach_probability={("consult", "0m"): 0.25},
        ),
    )


def test_ranks_the_open_halls_by_the_nowcast_wait(client: TestClient) -> None:
    publish(client, "county", dict.fromkeys(HORIZONS, 300.0))
    publish(client, "flagship", dict.fromkeys(HORIZONS, 1200.0))
    body = client.get("/v1/cities/广州/halls", params={"service": "consult"}).json()
    assert body["ranked_by"] == "wait_s"
    assert [h["id"] for h in body["halls"]] == ["county", "flagship"]
    assert [h["wait_s"] for h in body["halls"]] == [300.0, 1200.0]
    assert body["halls"][1]["name"] == HOSTILE  # as configured, escaped only by JSON
    assert body["service"] == {"id": "consult", "name": "咨询"}
    load = body["halls"][0]["load"]
    monitor = client.app.state.monitor  # type: ignore[attr-defined]
    live = monitor.view("county").live
    assert load["queue_length"] == sum(live.queue.values())
    assert load["service_queue_length"] == live.queue["consult"]
    assert load["counters_open"] == live.counters_open
    assert load["breach_probability"] == 0.25
    assert body["travel"] is None and body["origin"] is None


def test_a_location_adds_the_travel_at_the_configured_speed(client: TestClient) -> None:
    publish(client, "county", dict.fromkeys(HORIZONS, 300.0))
    publish(client, "flagship", dict.fromkeys(HORIZONS, 1200.0))
    # next to the flagship hall: 50 km from the county hall is 100 min at 30 km/h
    q: dict[str, str | float] = {
        "service": "consult",
        "lat": FLAGSHIP[0] + 0.001,
        "lon": FLAGSHIP[1],
    }
    body = client.get("/v1/cities/广州/halls", params=q).json()
    assert body["ranked_by"] == "soonest_s"
    assert body["travel"] == {"basis": "straight_line", "speed_km_per_h": 30.0}
    assert [h["id"] for h in body["halls"]] == ["flagship", "county"]
    county = body["halls"][1]
    assert county["travel_s"] == pytest.approx(county["distance_m"] / (30 / 3.6), abs=0.1)
    assert county["called_in_s"] == pytest.approx(county["travel_s"] + 300.0, abs=0.2)


def test_services_a_hall_does_not_offer_and_closed_halls_are_apart(client: TestClient) -> None:
    body = client.get("/v1/cities/广州/halls", params={"service": "payment"}).json()
    assert [h["id"] for h in body["halls"]] == ["flagship"]
    assert [(h["id"], h["apart"], h["rank"]) for h in body["apart"]] == [
        ("county", "not_offered", None)
    ]
    assert body["halls"][0]["wait_s"] is None  # no nowcast published: ranked, unknown


def test_refusals_are_in_the_documented_shape(client: TestClient) -> None:
    r = client.get("/v1/cities/北京/halls", params={"service": "consult"})
    assert r.status_code == 404
    assert r.json() == {"detail": "no hall served here is in the city '北京'"}
    r = client.get("/v1/cities/广州/halls", params={"service": "haircut"})
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["field"] == "service" and "'haircut'" in problem["reason"]
    r = client.get("/v1/cities/广州/halls", params={"service": "consult", "lat": 23.1})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"index": None, "field": "lon", "reason": "give both lat and lon, or neither"}
    ]
    bad: list[dict[str, str | float]] = [
        {"lat": 91, "lon": 113}, {"lat": 23, "lon": -181}, {"lat": "north", "lon": 1}
    ]  # fmt: skip
    for q in bad:
        r = client.get("/v1/cities/广州/halls", params={"service": "consult", **q})
        assert r.status_code == 422, q
        assert r.json()["detail"][0]["field"] in {"lat", "lon"}
    assert client.get("/v1/cities/广州/halls").status_code == 422  # service is required


def test_cities_and_the_bundled_outline(client: TestClient) -> None:
    (city,) = client.get("/v1/cities").json()
    assert city == {
        "city": "广州", "halls": 2, "located": 2, "districts": ["从化区", "天河区"],
        "outline": True,
    }  # fmt: skip
    r = client.get("/v1/cities/广州/outline")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    outline = r.json()
    names = {f["properties"]["name"] for f in outline["features"]}
    assert {"广州市", "天河区", "从化区"} <= names
    (lon, lat) = outline["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 112.9 < lon < 114.1 and 22.5 < lat < 24.0  # Guangzhou's extent
    assert client.get("/v1/cities/北京/outline").status_code == 404


def test_the_ranking_inputs_are_metrics(client: TestClient) -> None:
    publish(client, "county", dict.fromkeys(HORIZONS, 300.0))
    text = client.get("/metrics").text
    assert f'hall_latitude_degrees{{hall="county"}} {COUNTY[0]}' in text
    assert f'hall_longitude_degrees{{hall="flagship"}} {FLAGSHIP[1]}' in text
    assert 'hall_service_offered{hall="county",service="consult"} 1.0' in text
    assert 'hall_service_offered{hall="county",service="payment"} 0.0' in text
    assert 'hall_nowcast_wait_seconds{hall="county",horizon="0m",service="consult"} 300.0' in text
    # one series per hall (and service), none per pair of halls
    assert "hall_distance" not in text and 'other_hall="' not in text


def test_config_errors_name_the_path_and_value(tmp_path: Path) -> None:
    bad = HALLS.replace(f"lat: {COUNTY[0]}", "lat: 123.5").replace(
        "services: [consult, business]", "services: [consult, haircut]"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, halls=bad), environ=ENV)
    text = str(caught.value)
    assert "halls[0].location.lat" in text and "123.5" in text
    with pytest.raises(ConfigError) as caught:
        halls = HALLS.replace(f"lat: {COUNTY[0]}", "lat: 23.5").replace("business]", "haircut]")
        load_settings(write_config(tmp_path, halls=halls), environ=ENV)
    assert "halls[0].services[1]: 'haircut' is not a service of the hall's scenario" in str(
        caught.value
    )
    (tmp_path / "bad.geojson").write_text('{"type": "Point", "coordinates": [1, 2]}')
    extra = f"city_map: {{outlines: {{广州: {tmp_path / 'bad.geojson'}}}}}"
    with pytest.raises(ConfigError, match=r"city_map\.outlines\.广州: .* is not a GeoJSON outline"):
        load_settings(write_config(tmp_path, halls=HALLS, extra=extra), environ=ENV)
    assert math.isfinite(
        load_settings(write_config(tmp_path, halls=HALLS), environ=ENV).city_map.speed_km_per_h
    )


def test_offered_services_default_to_what_the_counters_serve(settings: Settings) -> None:
    county, flagship = settings.halls
    assert county.services == ("consult", "business")
    assert flagship.services == tuple(flagship.scenario.services)


def test_a_hall_taking_tickets_from_home_ranks_by_a_ticket_taken_in_time(
    tmp_path: Path, county_day: list[Event], flagship_day: list[Event]
) -> None:
    """flagship-remote's model has remote business tickets: from next to the
    county hall (100 min from it at 30 km/h) a ticket taken from home is called
    after the longer of the travel and its wait, not after both."""
    halls = f"""
  - {{id: county, name: 县城营业厅, district: 从化区, city: 广州, token_env: T_COUNTY,
      location: {{lat: {COUNTY[0]}, lon: {COUNTY[1]}}},
      scenario: {ROOT / "scenarios/county.yaml"}}}
  - {{id: flagship-remote, district: 天河区, city: 广州, token_env: T_FLAGSHIP,
      location: {{lat: {FLAGSHIP[0]}, lon: {FLAGSHIP[1]}}},
      scenario: {ROOT / "scenarios/flagship-remote.yaml"}}}
"""
    settings = load_settings(
        write_config(tmp_path, halls=halls, extra="city_map: {speed_km_per_h: 30}"), environ=ENV
    )
    with TestClient(create_app(settings, background=False)) as client:
        for hall, token, day in (("county", "county", county_day),
                                 ("flagship-remote", "flagship", flagship_day)):  # fmt: skip
            rows = [row | {"hall": hall} for row in morning(day)]
            r = client.post(f"/v1/halls/{hall}/events", json=rows, headers=auth(token))
            assert r.status_code == 200, r.text
        monitor = client.app.state.monitor  # type: ignore[attr-defined]

        def ranked(county_wait_s: float) -> list[dict[str, object]]:
            for hall, wait_s in (("county", county_wait_s), ("flagship-remote", 7000.0)):
                monitor.publish_nowcast(
                    hall,
                    NowcastNow(
                        computed_s=monitor.now_s(hall),
                        wait_s={("business", h): wait_s for h in HORIZONS},
                        breach_probability={},
                        present_queue={},
                    ),
                )
            q: dict[str, str | float] = {
                "service": "business",
                "lat": COUNTY[0] + 0.001,
                "lon": COUNTY[1],
            }
            body = client.get("/v1/cities/广州/halls", params=q).json()
            assert body["ranked_by"] == "soonest_s"
            halls: list[dict[str, object]] = body["halls"]
            return halls

        county, remote = ranked(300.0)
        assert (county["id"], remote["id"]) == ("county", "flagship-remote")
        assert county["remote_ticket"] is False and county["remote_called_in_s"] is None
        assert county["soonest_s"] == county["called_in_s"]
        assert remote["remote_ticket"] is True and remote["take_ticket_in_s"] == 0.0
        assert isinstance(remote["travel_s"], float) and remote["travel_s"] < 7000.0
        assert remote["remote_called_in_s"] == remote["soonest_s"] == 7000.0
        assert remote["called_in_s"] == pytest.approx(remote["travel_s"] + 7000.0, abs=0.2)
        # a county queue longer than the remote hall's wait turns the order
        assert [h["id"] for h in ranked(8000.0)] == ["flagship-remote", "county"]
