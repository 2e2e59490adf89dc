"""The city wait map (``/cities/广州``) in the system's Chromium, against a real
``hallmon serve`` with four halls of 广州 whose names are hostile (HTML and
script injection, quotes, right-to-left text, emoji, 300 characters) and one
without coordinates, each replayed to 11:00 with its nowcast running. At
1400 px and 390 px the page fits its width, draws the bundled outline and
every placed hall with its rank and wait as text, lists the ranking, runs no
injected script; a click on the map ranks by travel plus wait. Screenshots go
to ``out/screenshots/city-*.png``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.demo.stack import staff_cut
from monitor.replay.client import post_events
from sim.eventlog.convert import day_events
from sim.model.hall import simulate
from sim.model.scenario import read_yaml_file, scenario_from_dict
from tests.browser import layout_problems
from tests.monitor.conftest import DAY, ROOT
from tests.monitor.server import Server, running_server
from tests.monitor.web.conftest import WAIT_MS
from tests.monitor.web.test_counts import busiest, up_to_most

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SHOTS = ROOT / "out" / "screenshots"
INJECTED = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>"\'&amp;'
LONG = "مكتب خدمة العملاء الرئيسي 🏢📱 " + "珠江新城旗舰营业厅" * 30
# id, name, scenario, location (GCJ-02) or None
HALLS = [
    ("county", "县城营业厅 O'Brien's \"best\"", "county.yaml", (23.5488, 113.5862)),
    ("flagship", INJECTED, "flagship.yaml", (23.1375, 113.3245)),
    ("flagship-remote", LONG, "flagship-remote.yaml", (23.1190, 113.3260)),
    ("nowhere", "无坐标营业厅", "county.yaml", None),
]
TOKENS = {hall: f"{hall}-secret-token-0123456789" for hall, *_ in HALLS}


def _config(directory: Path) -> tuple[Path, dict[str, str]]:
    lines = []
    env = {}
    for i, (hall, name, scenario, at) in enumerate(HALLS):
        where = "" if at is None else f", location: {{lat: {at[0]}, lon: {at[1]}}}"
        lines.append(
            f"  - {{id: {hall}, name: {json.dumps(name, ensure_ascii=False)}, city: 广州, "
            f"district: 天河区, scenario: {ROOT / 'scenarios' / scenario}, "
            f"token_env: T_{i}{where}}}"
        )
        env[f"T_{i}"] = TOKENS[hall]
    path = directory / "monitor.yaml"
    path.write_text(
        f"store: {directory / 'hallmon.db'}\nclock: events\n"
        "nowcast: {every: 1s, replications: 8}\nforecast: {replications: 0}\n"
        "halls:\n" + "\n".join(lines) + "\n",
        encoding="utf-8",
    )
    return path, env


def _morning(hall: str, scenario: str) -> list[Any]:
    """The hall's day to 11:00; the flagship's short of staff up to its busiest
    moment, so that the map shows a long wait beside short ones."""
    tree = read_yaml_file(ROOT / "scenarios" / scenario)
    assert isinstance(tree, dict)
    if hall == "flagship":
        tree = staff_cut(tree)
    scn = scenario_from_dict(tree, source=scenario)
    events = day_events(simulate(scn, seed=5, replication=0), scn, DAY, "no_show")
    if hall != scn.hall:  # the same scenario serves a second hall
        events = [e.model_copy(update={"hall": hall, "id": f"{hall}-{e.id}"}) for e in events]
    if hall == "flagship":
        return busiest(events)
    if hall == "flagship-remote":
        return most_away(events)
    return [e for e in events if e.ts.hour < 11]


def most_away(events: list[Any]) -> list[Any]:
    """The events up to the moment most remote tickets' holders are on the way."""
    ends = {"ticket_checked_in", "ticket_called", "ticket_abandoned"}
    return up_to_most(events, {"remote_ticket_issued"}, ends)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("citymap")
    config, env = _config(directory)
    with running_server(config, env, log=directory / "server.log") as srv:
        with httpx.Client(timeout=30) as client:
            for hall, _, scenario, _ in HALLS:
                post_events(client, srv.url, hall, TOKENS[hall], _morning(hall, scenario),
                            speed=0, batch=500, retries=2)  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            body = srv.get("/v1/cities/广州/halls?service=consult").json()
            if len(body["halls"]) == 4 and all(h["wait_s"] is not None for h in body["halls"]):
                break
            assert time.monotonic() < deadline, f"no nowcast of every hall in time: {body}"
            time.sleep(0.2)
        yield srv


def _open(
    server: Server, browser: Any, size: tuple[int, int], errors: list[str], query: str = ""
) -> Any:
    """The city map at ``size`` once it shows the ranking; its script errors go to ``errors``."""
    width, height = size
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError(f"a dialog: {d.message}")))
    page.goto(f"{server.url}/cities/广州{query}")
    page.locator("#updated[data-value]").wait_for(timeout=WAIT_MS)
    page.locator("#ranked li").first.wait_for(timeout=WAIT_MS)
    return page


def _safe(page: Any) -> None:
    """No injected markup became an element, no injected script ran, the names read as written."""
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#ranked script, #apart script").count() == 0
    names = page.locator("#ranked .name a").all_inner_texts()
    assert INJECTED in names and any(n.startswith("مكتب") for n in names)
    assert "县城营业厅 O'Brien's \"best\"" in names


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_map_page_at_each_width(server: Server, browser: Any, size: tuple[int, int]) -> None:
    errors: list[str] = []
    page = _open(server, browser, size, errors)
    ranked = page.locator("#ranked li")
    assert ranked.count() == 4  # every hall is open at 11:00 and offers consult
    _safe(page)
    # the outline and the three placed halls are drawn; each label gives rank and wait
    assert page.locator("path.outline-city").count() == 1
    assert page.locator("path.outline-district").count() == 11
    assert page.locator("path.hall-marker").count() == 3
    labels = page.locator(".hall-tip").all_inner_texts()
    ranks = {h: str(i) for i, h in enumerate(page.locator("#ranked li").evaluate_all(
        "items => items.map(li => li.dataset.hall)"), 1)}  # fmt: skip
    assert sorted(label.split(" ")[0] for label in labels) == sorted(
        ranks[h] for h in ("county", "flagship", "flagship-remote")
    )
    assert all(label.endswith("min") for label in labels), labels
    # the overloaded flagship is red, and says its wait in minutes beside the colour
    flagship = page.locator("#ranked li[data-hall='flagship']")
    assert "risk-red" in (flagship.get_attribute("class") or "")
    # colour is never alone: every ranked hall says its wait in text
    waits = page.locator("#ranked .figures dd").all_inner_texts()
    assert all(w.endswith("min") or w == "< 1 min" for w in waits[:4]), waits
    # the map beside the list on a wide screen, above it on a phone
    box_map = page.locator("#map").bounding_box()
    box_list = page.locator(".city-list").bounding_box()
    if size[0] >= 1000:
        assert box_list["x"] >= box_map["x"] + box_map["width"] - 1
    else:
        assert box_list["y"] >= box_map["y"] + box_map["height"] - 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"city-{size[0]}x{size[1]}.png"), full_page=True)
    assert layout_problems(page, fits=False) == []
    assert errors == []
    page.context.close()


def test_a_click_on_the_map_ranks_by_travel_plus_wait(server: Server, browser: Any) -> None:
    errors: list[str] = []
    page = _open(server, browser, (1400, 900), errors, "?service=consult&view=manager")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.7)
    page.locator(".origin-tip").wait_for(timeout=WAIT_MS)
    page.locator("#ranked-by", has_text="travel").wait_for(timeout=WAIT_MS)
    page.locator("#ranked li dt", has_text="Called in").first.wait_for(timeout=WAIT_MS)
    assert "lat=" in page.url and "view=manager" in page.url
    # without coordinates the fourth hall cannot be reached: listed apart, with why
    apart = page.locator("#apart li")
    apart.first.wait_for(timeout=WAIT_MS)
    assert "no coordinates" in apart.first.inner_text()
    assert page.locator("#ranked li").count() == 3
    # the manager's load: queue, on the way, counters
    text = page.locator("#ranked").inner_text()
    assert "On the way" in text and "Counters open/plan" in text
    _safe(page)
    page.screenshot(path=str(SHOTS / "city-manager-located-1400x900.png"), full_page=True)
    assert layout_problems(page, fits=False) == []
    assert errors == []
    page.context.close()


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_hall_taking_tickets_from_home_says_when_to_take_one(
    server: Server, browser: Any, size: tuple[int, int]
) -> None:
    """flagship-remote takes business tickets from home: from a location, its
    list item says when to take one, and it is called in the sooner time."""
    errors: list[str] = []
    at = "?service=business&lat=23.1300&lon=113.3200"  # a kilometre or two from the halls
    page = _open(server, browser, size, errors, at)
    page.locator("#ranked li dt", has_text="Called in").first.wait_for(timeout=WAIT_MS)
    body = server.get(f"/v1/cities/广州/halls{at}").json()
    remote = next(h for h in body["halls"] if h["id"] == "flagship-remote")
    assert remote["remote_ticket"] and remote["soonest_s"] == remote["remote_called_in_s"]
    item = page.locator("#ranked li[data-hall='flagship-remote']")
    assert "Take a ticket from home" in item.inner_text()
    assert "ticket taken from home" in page.locator("#ranked-by").inner_text()
    others = page.locator("#ranked li:not([data-hall='flagship-remote'])")
    assert all("from home" not in t for t in others.all_inner_texts())
    page.screenshot(path=str(SHOTS / f"city-from-home-{size[0]}x{size[1]}.png"), full_page=True)
    assert layout_problems(page, fits=False) == []
    assert errors == []
    page.context.close()


def test_an_unknown_city_is_a_404_page(server: Server) -> None:
    r = server.get("/cities/北京")
    assert r.status_code == 404 and "北京" in r.text
    assert server.get("/cities/%3Cscript%3E").text.count("<script>") == 0


def test_the_hall_page_shows_the_remote_tickets_on_the_way(server: Server, browser: Any) -> None:
    queue = server.get("/v1/halls/flagship-remote/state").json()["queue"]
    on_the_way = {q["service"]: q["on_the_way"] for q in queue}
    assert sum(on_the_way.values()) > 0  # the replay stops when most are on the way
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{server.url}/halls/flagship-remote")
    total = page.locator('[data-field="on_the_way_total"][data-value]')
    total.wait_for(timeout=WAIT_MS)
    assert total.inner_text() == str(sum(on_the_way.values()))
    for service, n in on_the_way.items():
        tile = page.locator(f'.wait-tile[data-service="{service}"] [data-field="on_the_way"]')
        assert tile.is_hidden() == (n == 0), service
        if n:
            assert tile.get_attribute("data-value") == str(n)
            assert f"{n} of them remote, on the way" in tile.inner_text()
    page.screenshot(path=str(SHOTS / "hall-on-the-way-1400x900.png"), full_page=True)
    assert layout_problems(page, fits=False) == []
    page.context.close()
