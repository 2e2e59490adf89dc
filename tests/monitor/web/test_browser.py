"""The pages in a real browser: the system's Chromium (Debian ``chromium``),
driven by Playwright (``executable_path``: nothing is downloaded), against a
real ``hallmon serve`` fed over HTTP by ``hallmon replay`` (county, a whole day:
closed by now) and by the replay library (flagship, up to its busiest moment,
then on). Each page loads with no console error and no failed request, shows
what ``/v1`` says at that moment, follows new events without a reload, and
shows a hostile service name as text. Screenshots of every page at 1920×1080
and 390×844 go to ``out/screenshots/``."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from monitor.replay.client import post_events
from sim.eventlog.events import Event
from tests.monitor.conftest import ENV, ROOT, TOKENS, write_config
from tests.monitor.server import Server, running_server
from tests.monitor.web.conftest import WAIT_MS
from tests.monitor.web.test_counts import busiest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIZES = {"wide": (1920, 1080), "phone": (390, 844)}
SHOTS = ROOT / "out" / "screenshots"
HOSTILE = '<script>alert("svc")</script><img src=x onerror=alert(2)>'


def fmt_wait(seconds: float | None) -> str:
    """The pages' rendering of a duration (lib.js fmtWait)."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return "< 1 min"
    minutes = math.floor(seconds / 60 + 0.5)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def fmt_minutes(seconds: float) -> str:
    """The pages' Chinese rendering of a duration (lib.js fmtMinutes)."""
    if seconds < 60:
        return "不到 1 分钟"
    minutes = math.floor(seconds / 60 + 0.5)
    if minutes < 60:
        return f"{minutes} 分钟"
    return f"{minutes // 60} 小时 {minutes % 60:02d} 分"


def told(service: dict[str, Any] | None, waiting: int) -> tuple[str, str, str]:
    """What the pages tell a customer of a ticket taken now (lib.js
    customerWait): the headline in Chinese and English, and the 90% line."""
    median = None if service is None else service.get("median_wait_s")
    p90 = None if service is None else service.get("p90_wait_s")
    if median is None:
        return "—", "", ""
    line = "" if p90 is None else f"九成 {fmt_minutes(p90)}内 · 9 in 10 within {fmt_wait(p90)}"
    if waiting == 0 and median < 60:
        return "无需等候", "no wait", line
    return f"约 {fmt_minutes(median)}", f"about {fmt_wait(median)}", line


def fmt_pct(share: float | None) -> str:
    return "—" if share is None else f"{math.floor(share * 100 + 0.5)}%"


@dataclass
class Hall:
    """The exporter under test and the flagship events still to send."""

    server: Server
    rest: list[Event]
    sent: list[Event] = field(default_factory=list)

    def get(self, path: str) -> Any:
        response = self.server.get(path)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def send(self, events: list[Event], hall: str = "flagship") -> None:
        with httpx.Client(timeout=30) as client:
            post_events(
                client, self.server.url, hall, TOKENS[hall], events, speed=0, batch=500, retries=2
            )


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory, flagship_day: list[Event]) -> Iterator[Hall]:
    directory = tmp_path_factory.mktemp("browser")
    config = write_config(
        directory, nowcast="{every: 1s, replications: 8}", forecast="{replications: 6}"
    )
    with running_server(config, ENV, log=directory / "server.log") as server:
        county = str(ROOT / "scenarios/county.yaml")
        options = ["--token", TOKENS["county"], "--speed", "0", "--start", "2026-03-02", "--json"]
        replay = subprocess.run(
            [sys.executable, "-m", "monitor", "replay", county, "--url", server.url, *options],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert replay.returncode == 0, replay.stderr
        first = busiest(flagship_day)
        fixture = Hall(server, flagship_day[len(first) :])
        fixture.send(first)
        # the background's forecast and first nowcast, so no request answers 503
        deadline = time.monotonic() + 120
        while (
            server.get("/v1/halls/flagship/forecast").status_code != 200
            or server.get("/v1/halls/county/forecast").status_code != 200
            or fixture.get("/v1/halls/flagship/nowcast")["computed_at"] is None
        ):
            assert time.monotonic() < deadline, (
                "no forecast or nowcast in time: "
                f"{server.get('/v1/halls/flagship/forecast').text[:200]} "
                f"{server.get('/v1/halls/flagship/nowcast').text[:200]}\n"
                + (directory / "server.log").read_text(errors="replace")[-3000:]
            )
            time.sleep(0.2)
        yield fixture


@dataclass
class Watched:
    """A page and what went wrong in it."""

    page: Any
    problems: list[str] = field(default_factory=list)


def open_page(browser: Any, url: str, size: str) -> Watched:
    width, height = SIZES[size]
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    watched = Watched(page)
    page.on(
        "console",
        lambda m: (
            watched.problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: watched.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: watched.problems.append(f"failed: {r.url}"))
    page.on(
        "response",
        lambda r: watched.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    page.on("dialog", lambda d: watched.problems.append(f"dialog: {d.message}"))
    page.goto(url)
    page.locator("#updated[data-value]").wait_for(timeout=WAIT_MS)
    return watched


def text(page: Any, selector: str) -> str:
    return str(page.locator(selector).first.inner_text()).strip()


def value(page: Any, selector: str) -> str | None:
    found: str | None = page.locator(selector).first.get_attribute("data-value")
    return found


def same(shown: str | None, api: float | None) -> bool:
    """A data-value (JavaScript's rendering of a JSON number) against the API's."""
    return (shown is None and api is None) or (
        shown is not None and api is not None and float(shown) == api
    )


def settled(hall: Hall) -> list[dict[str, Any]]:
    """``/v1/halls`` once every open hall's nowcast is of its latest state (the
    nowcast runs every second; until then the page may show the one before)."""
    deadline = time.monotonic() + 60
    while True:
        summaries: list[dict[str, Any]] = hall.get("/v1/halls")
        if all(h["nowcast_at"] == h["now"] for h in summaries if h["open"]):
            return summaries
        assert time.monotonic() < deadline, "the nowcast did not catch up"
        time.sleep(0.2)


def check_index(page: Any, hall: Hall) -> None:
    summaries = settled(hall)
    for h in summaries:
        card = f'.hall-card[data-hall="{h["id"]}"]'
        moment = f'[data-now="{h["now"]}"][data-nowcast-at="{h["nowcast_at"] or ""}"]'
        page.locator(card + moment).wait_for(timeout=WAIT_MS)
        assert text(page, f'{card} [data-field="queue_length"]') == str(h["queue_length"])
        assert same(value(page, f'{card} [data-field="expected_wait_s"]'), h["median_wait_s"])
        if h["open"] and h["median_wait_s"] is not None:
            no_wait = h["median_wait_s"] < 60 and h["queue_length"] == 0
            headline = "无需等候" if no_wait else f"约 {fmt_minutes(h['median_wait_s'])}"
            assert text(page, f'{card} [data-field="expected_wait_s"]') == headline
        oldest = h["oldest_wait_s"] if h["queue_length"] else None
        assert text(page, f'{card} [data-field="oldest_wait_s"]') == fmt_wait(oldest)
        assert text(page, f'{card} [data-field="called_within_target_today"]') == fmt_pct(
            h["called_within_target_today"]
        )
        counters = f"{h['counters_open']} / {h['counters_planned']}" if h["open"] else "—"
        assert text(page, f'{card} [data-field="counters"]') == counters
    by_id = {h["id"]: h for h in summaries}
    assert by_id["county"]["open"] is False and by_id["flagship"]["open"] is True
    assert "Closed" in text(page, '.hall-card[data-hall="county"] [data-field="status"]')
    # the open hall, at risk, comes first
    assert page.locator(".hall-card").first.get_attribute("data-hall") == "flagship"


def moment(page: Any, hall: Hall) -> tuple[dict[str, Any], dict[str, Any]]:
    """The flagship's state and nowcast once settled, when the page shows them."""
    settled(hall)
    state, nowcast = hall.get("/v1/halls/flagship/state"), hall.get("/v1/halls/flagship/nowcast")
    shown = f'body[data-now="{state["now"]}"][data-nowcast-at="{nowcast["as_of"]}"]'
    page.locator(shown).wait_for(timeout=WAIT_MS)
    return state, nowcast


def check_hall(page: Any, hall: Hall) -> None:
    state, nowcast = moment(page, hall)
    predicted = {s["service"]: s for s in nowcast["services"]}
    for q in state["queue"]:
        tile = f'.wait-tile[data-service="{q["service"]}"]'
        assert text(page, f'{tile} [data-field="waiting"]') == str(q["waiting"])
        oldest = q["oldest_wait_s"] if q["waiting"] else None
        assert text(page, f'{tile} [data-field="oldest_wait_s"]') == fmt_wait(oldest)
        if q["service"] in predicted:
            zh, en, line = told(predicted[q["service"]], q["waiting"])
            assert text(page, f'{tile} [data-field="expected_wait_s"]') == zh, q["service"]
            assert text(page, f'{tile} [data-field="wait_en"]') == en
            assert text(page, f'{tile} [data-field="wait_range"]') == line
    plan = state["plan"]
    assert text(page, '[data-field="plan_open"]') == str(plan["open"])
    assert text(page, '[data-field="plan_planned"]') == str(plan["planned"])
    assert value(page, '[data-field="advice"]') == str(nowcast["call_in"]["counters"])
    totals = state["totals"]
    for name, key in (
        ("issued", "issued"),
        ("served", "served"),
        ("no_shows", "no_shows"),
        ("abandoned", "abandoned"),
        ("waiting_total", "waiting"),
    ):
        assert text(page, f'.today [data-field="{name}"]') == str(totals[key]), name
    model = hall.get("/v1/halls/flagship/model")  # configured, no learning in this config
    page.locator('[data-field="model"][data-value]').wait_for(timeout=WAIT_MS)
    assert value(page, '[data-field="model"]') == str(model["version"])
    assert text(page, '[data-field="model"]') == (
        "模型 model: 配置的场景 the configured scenario · "
        "未开启夜间学习，模型不自动更新 · nightly learning is off: the model is not updated"
    )
    assert text(page, '[data-field="called_within_target"]') == fmt_pct(
        state["called_within_target"]
    )
    for c in state["counters"]:
        item = f'.counter[data-counter="{c["counter"]}"]'
        kind = "busy" if c["busy"] else "open" if c["open"] else "closed"
        assert value(page, f'{item} [data-field="state"]') == kind
        assert value(page, f'{item} [data-field="now"]') == c["ticket"]
    p90 = state["wait_percentiles"]["*"]["p90_s"]
    assert text(page, '#percentile-table tr[data-service="*"] [data-q="p90_s"]') == fmt_wait(p90)
    assert page.locator(".chart canvas").count() >= len(state["services"])


def check_screen(page: Any, hall: Hall) -> None:
    state, nowcast = moment(page, hall)
    waiting = {q["service"]: q["waiting"] for q in state["queue"]}
    for s in nowcast["services"]:
        tile = f'.screen-tile[data-service="{s["service"]}"]'
        zh, en, line = told(s, waiting[s["service"]])
        assert text(page, f'{tile} [data-field="expected_wait_s"]') == zh
        assert text(page, f'{tile} [data-field="wait_en"]') == en
        assert text(page, f'{tile} [data-field="wait_range"]') == line
    busy = sorted(
        (c for c in state["counters"] if c["busy"]), key=lambda c: c["called_at"], reverse=True
    )
    shown = [
        page.locator("#calls li").nth(i).get_attribute("data-ticket")
        for i in range(page.locator("#calls li").count())
    ]
    assert shown == [c["ticket"] for c in busy[:6]]


CHECKS = {"/": check_index, "/halls/flagship": check_hall, "/halls/flagship/screen": check_screen}


@pytest.mark.parametrize("size", list(SIZES))
def test_pages_load_clean_and_show_what_the_api_says(hall: Hall, browser: Any, size: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path, check in CHECKS.items():
        watched = open_page(browser, hall.server.url + path, size)
        check(watched.page, hall)
        name = path.strip("/").replace("/", "-") or "index"
        watched.page.screenshot(
            path=str(SHOTS / f"{name}-{size}.png"), full_page=not path.endswith("/screen")
        )
        assert watched.problems == [], path
        watched.page.context.close()
    for name in ("index", "halls-flagship", "halls-flagship-screen"):
        assert (SHOTS / f"{name}-{size}.png").stat().st_size > 10_000


def test_pages_follow_new_events_without_a_reload(hall: Hall, browser: Any) -> None:
    pages = {path: open_page(browser, hall.server.url + path, "wide") for path in CHECKS}
    loads = {path: 0 for path in CHECKS}
    for path, watched in pages.items():
        CHECKS[path](watched.page, hall)
        watched.page.on("load", lambda _, p=path: loads.__setitem__(p, loads[p] + 1))
    before = hall.get("/v1/halls/flagship/state")
    hall.send(hall.rest[:150])
    after = hall.get("/v1/halls/flagship/state")
    assert after["now"] != before["now"] and after["totals"] != before["totals"]
    for path, watched in pages.items():
        CHECKS[path](watched.page, hall)  # waits for the new moment, then compares
        assert watched.problems == [], path
        watched.page.context.close()
    assert loads == {path: 0 for path in CHECKS}  # no reload: the same documents


def test_a_hostile_service_name_shows_as_text(hall: Hall, browser: Any) -> None:
    """A service the scenario does not know, named like markup, arrives from the
    ticket system; the hall page lists it, as text."""
    hostile = Event.model_validate(
        {
            "id": "county-hostile-1",
            "hall": "county",
            "ts": "2026-03-02T17:00:00+08:00",
            "kind": "ticket_issued",
            "ticket": "X-1",
            "service": HOSTILE,
            "segment": "gotone",
        }
    )
    hall.send([hostile], hall="county")
    watched = open_page(browser, hall.server.url + "/halls/county", "wide")
    tile = watched.page.locator(".wait-tile").filter(has_text="onerror")
    tile.wait_for(timeout=WAIT_MS)
    assert text(watched.page, ".wait-tile:last-child h3") == HOSTILE
    row = watched.page.locator("#percentile-table tr").filter(has_text="<script>")
    assert row.count() == 0 or "<img" in row.first.inner_text()
    assert watched.page.locator('.wait-tile img, .wait-tile script, img[src="x"]').count() == 0
    assert watched.problems == []  # no alert() dialog, no error
    watched.page.context.close()
