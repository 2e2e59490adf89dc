"""``hallmon demo`` (``make demo``) with the real Prometheus and Alertmanager
(Debian's builds) at 60×: its printed links work, its curl posts an event with
the printed token; the overloaded hall's alerts climb the ladder (the
prediction, then the hall manager, the district and the city, in that order,
in Prometheus and in Alertmanager) within :data:`LADDER_S`; the predictive
alert reaches Alertmanager and the hall page, which lists every rung; the
demo's receiver got each rung's messages, first in the ladder's order, and no
rung was told of another rung's alert. A rung hears of an alert at least once:
Alertmanager reminds each rung of what still fires (every 30 min, 1 h, 2 h of
hall time, RUNBOOK "Who is told"), so repeats are by design, not counted.
SIGINT, as Ctrl-C sends it, stops every process it started and removes its
files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright

from tests.browser import ARGS, CHROMIUM
from tests.monitor.conftest import ROOT
from tests.monitor.web.conftest import WAIT_MS

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START_S = 180.0
SPEED = 60
LADDER_S = 480.0  # 8 hours of the hall's day at 60×; the ladder takes about 3 minutes
OVERLOADED = "flagship"  # the first hall, short of staff
REMOTE = "flagship-remote"  # its customers take tickets remotely, then come
HALL_NAME = "市中心旗舰营业厅"
RUNGS = ("hall_manager", "district", "city")
PREDICTED = "HallBreachPredicted"
# the alerts a breach climbs by; the prediction warns of them, so it comes first
# (counters below plan is its own hall-manager alert: with staff cut from the
# start it fires at opening, before anyone could wait too long)
BREACH = ("HallOldestWaitPastTarget", "HallErrorBudgetBurn")


def descendants(root: int) -> dict[int, tuple[str, str]]:
    """Every process below ``root``: pid -> (start time, command line)."""
    parent: dict[int, int] = {}
    info: dict[int, tuple[str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        parent[int(entry.name)] = int(fields[1])
        info[int(entry.name)] = (fields[19], cmdline)
    found: dict[int, tuple[str, str]] = {}
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        for child, ppid in parent.items():
            if ppid == pid and child not in found:
                found[child] = info[child]
                frontier.append(child)
    return found


def alive(pid: int, started: str) -> bool:
    """The process ``pid`` that started at ``started`` still exists (not a zombie)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] != "Z"


@dataclass
class Ladder:
    """When each rung was first seen for the overloaded hall (``time.monotonic``):
    firing in Prometheus (the predictive alert apart) and active in Alertmanager."""

    predicted: float | None = None
    prometheus: dict[str, float] = field(default_factory=dict)
    breach: dict[str, float] = field(default_factory=dict)  # rung -> first breach alert
    alertmanager: dict[str, float] = field(default_factory=dict)
    predicted_alertmanager: float | None = None
    page: dict[str, float] = field(default_factory=dict)  # rung or PREDICTED -> first listed

    def look(self, page: Any) -> None:
        """What the hall page lists now (it polls on its own every few seconds)."""
        now = time.monotonic()
        rows = page.locator("#alert-list li")
        for i in range(rows.count()):
            row = rows.nth(i)
            if row.get_attribute("data-state") != "firing":
                continue
            self.page.setdefault(row.get_attribute("data-rung") or "", now)
            if row.get_attribute("data-alert") == PREDICTED:
                self.page.setdefault(PREDICTED, now)

    def poll(self, prom: str, am: str, hall: str) -> None:
        now = time.monotonic()
        for a in httpx.get(f"{prom}/api/v1/alerts", timeout=10).json()["data"]["alerts"]:
            labels = a["labels"]
            if labels.get("hall") != hall or a["state"] != "firing":
                continue
            if labels["alertname"] == PREDICTED:
                self.predicted = self.predicted or now
            else:
                self.prometheus.setdefault(labels["severity"], now)
                if labels["alertname"] in BREACH:
                    self.breach.setdefault(labels["severity"], now)
        for a in httpx.get(f"{am}/api/v2/alerts", timeout=10).json():
            if a["labels"].get("hall") == hall:
                self.alertmanager.setdefault(a["labels"]["severity"], now)
                if a["labels"]["alertname"] == PREDICTED:
                    self.predicted_alertmanager = self.predicted_alertmanager or now

    def climbed(self) -> bool:
        return (
            set(RUNGS) <= self.prometheus.keys()
            and set(RUNGS) <= self.alertmanager.keys()
            and {*RUNGS, PREDICTED} <= self.page.keys()
        )

    def story(self, t0: float) -> str:
        rows = [
            ("predicted", self.predicted),
            ("predicted in alertmanager", self.predicted_alertmanager),
            ("predicted on the page", self.page.get(PREDICTED)),
        ] + [
            (f"{where} {rung}", seen.get(rung))
            for where, seen in (
                ("prometheus", self.prometheus),
                ("breach", self.breach),
                ("alertmanager", self.alertmanager),
                ("page", self.page),
            )
            for rung in RUNGS
        ]
        return ", ".join(f"{name} {'-' if t is None else f'{t - t0:.0f} s'}" for name, t in rows)


def told(messages: list[dict[str, Any]]) -> dict[str, float]:
    """When each rung first got a WeChat message of the overloaded hall firing."""
    first: dict[str, float] = {}
    for m in sorted(messages, key=lambda m: m["at"]):
        if m["channel"] == "wechat" and m["status"] == "firing" and HALL_NAME in m["text"]:
            first.setdefault(m["rung"], m["at"])
    return first


def test_the_demo_climbs_the_ladder_and_ctrl_c_stops_it_all() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "monitor", "demo", "--port", "0", "--speed", str(SPEED)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # like a terminal's foreground job: SIGINT is ours to send
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(demo.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + START_S
        while not any("Ctrl-C stops everything" in line for line in lines):
            assert demo.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        t0 = time.monotonic()
        out = "".join(lines)
        url = re.search(r"all halls\s+(http://127\.0\.0\.1:\d+)/", out)
        files = re.search(r"files\s+(\S+)", out)
        prom = re.search(r"Prometheus\s+(http://127\.0\.0\.1:\d+)(/\S*alerts)", out)
        am = re.search(r"Alertmanager\s+(http://127\.0\.0\.1:\d+)(/\S*alerts)", out)
        receiver = re.search(r"Each rung\s+(http://127\.0\.0\.1:\d+)/", out)
        token = re.search(r"county\s+([0-9a-f]{48})", out)
        curl = re.search(r"^\s+(curl .*)$", out, flags=re.MULTILINE)
        assert url and files and prom and am and receiver and token and curl, out
        drawn = r"demand drawn\s+flagship \d\.\d\d×, county \d\.\d\d×, flagship-remote \d"
        assert re.search(drawn, out), out
        # the links printed work with Debian's builds
        assert httpx.get(prom[1] + prom[2], timeout=10).status_code == 200
        assert httpx.get(am[1] + am[2].removeprefix("/#"), timeout=10).status_code == 200
        page = httpx.get(url[1] + "/", timeout=10)
        assert page.status_code == 200 and "营业厅" in page.text
        # the city wait map of the three halls of 广州, all placed
        city_map = re.search(r"city wait map\s+(http://\S+)\s+\(广州\)", out)
        assert city_map, out
        assert "等候地图" in httpx.get(city_map[1], timeout=10).text
        city = httpx.get(f"{url[1]}/v1/cities", timeout=10).json()
        assert city == [{"city": "广州", "halls": 3, "located": 3,
                         "districts": ["从化区", "天河区"], "outline": True}]  # fmt: skip
        # the copy-paste curl posts an event with the printed token, twice: a duplicate
        posted = [json.loads(subprocess.run(["bash", "-c", curl[1]], capture_output=True,
                                            text=True, timeout=30, check=True).stdout)
                  for _ in range(2)]  # fmt: skip
        assert posted == [{"accepted": 3, "duplicates": 0}, {"accepted": 0, "duplicates": 3}]

        ladder = Ladder()
        on_the_way = 0  # the most remote tickets on their way to the remote hall at once
        with sync_playwright() as p:  # the hall page, open as a hall manager keeps it
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            hall_page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            hall_page.goto(f"{url[1]}/halls/{OVERLOADED}")
            hall_page.locator("#updated[data-value]").wait_for(timeout=WAIT_MS)
            while not ladder.climbed():
                assert demo.poll() is None, "".join(lines)
                assert time.monotonic() < t0 + LADDER_S, ladder.story(t0)
                ladder.poll(prom[1], am[1], OVERLOADED)
                ladder.look(hall_page)
                queue = httpx.get(f"{url[1]}/v1/halls/{REMOTE}/state", timeout=10).json()["queue"]
                on_the_way = max(on_the_way, sum(q["on_the_way"] for q in queue))
                hall_page.wait_for_timeout(500)
            browser.close()
        story = ladder.story(t0)
        assert on_the_way > 0, "the remote hall's replay had no remote ticket on its way"
        seen = ladder.prometheus
        assert ladder.predicted is not None, story
        assert "hall_manager" in ladder.breach, story
        assert ladder.predicted <= ladder.breach["hall_manager"], story
        assert seen["hall_manager"] < seen["district"] < seen["city"], story
        heard = ladder.alertmanager
        assert heard["hall_manager"] < heard["district"] < heard["city"], story
        # the prediction reached Alertmanager and the page, as the rungs did
        assert ladder.predicted_alertmanager is not None, story
        # each rung's people received their message, in the ladder's order
        deadline = time.monotonic() + 30
        while True:
            messages = httpx.get(f"{receiver[1]}/messages.json", timeout=10).json()
            first = told(messages)
            if first.keys() >= set(RUNGS) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert first.keys() >= set(RUNGS), messages
        assert first["hall_manager"] < first["district"] < first["city"], (first, messages)
        hooks = [m for m in messages if m["channel"] == "webhook" and m["rung"] in RUNGS]
        assert all(a.split("/")[1] == m["rung"] for m in hooks for a in m["alerts"]), hooks
        assert any(f"{PREDICTED}/hall_manager/firing" in m["alerts"] for m in hooks), hooks
        started = descendants(demo.pid)
        commands = " ".join(command for _, command in started.values())
        assert "monitor serve" in commands and "forkserver" in commands
        assert "prometheus-alertmanager" in commands and "/usr/bin/prometheus " in commands
        demo.send_signal(signal.SIGINT)  # what Ctrl-C does
        assert demo.wait(60) == 0
    finally:
        if demo.poll() is None:  # a check failed: let the demo stop what it started
            demo.send_signal(signal.SIGINT)  # (its Prometheus and Alertmanager run in
            try:  # sessions of their own, which killing the demo's group would leave)
                demo.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)
                demo.wait()
        reader.join(10)
    survivors = [command for pid, (t, command) in started.items() if alive(pid, t)]
    assert survivors == []
    assert not Path(files[1]).exists()
    assert "stopped everything it started" in "".join(lines)
