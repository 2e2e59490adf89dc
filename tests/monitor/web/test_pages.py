"""The pages as served (no browser): every name HTML-escaped, a strict
Content-Security-Policy, every script, style and module import they load
served from the package, nothing outside ``static/``, the package data
declared for installs, and ``/v1/alerts`` against a real Alertmanager."""

from __future__ import annotations

import base64
import fnmatch
import re
import time
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from monitor.core.config import Settings, load_settings, token_hash
from monitor.server.app import create_app
from monitor.web.alerts import by_hall
from monitor.web.alertsource import from_alertmanager, from_prometheus, merge
from tests.dashboards.promserver import running_alertmanager
from tests.monitor.conftest import ENV, ROOT
from tests.monitor.server import free_port

HOSTILE_HALL = '<script>alert("hall")</script>'
HOSTILE_SERVICE = "<img src=x onerror=alert(1)>"
PAGES = ("/", "/halls/county", "/halls/county/screen")


def hostile_config(directory: Path) -> Path:
    """County with a hostile hall name and district, and a scenario whose
    consult service has a hostile name."""
    tree = yaml.safe_load((ROOT / "scenarios/county.yaml").read_text(encoding="utf-8"))
    tree["services"]["consult"]["name"] = HOSTILE_SERVICE
    scenario = directory / "county.yaml"
    scenario.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
    config = directory / "monitor.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "store": str(directory / "hallmon.db"),
                "clock": "events",
                "nowcast": {"every": 0},
                "forecast": {"replications": 0},
                "halls": [
                    {
                        "id": "county",
                        "name": HOSTILE_HALL,
                        "district": "<b>从化区</b>",
                        "city": "广州",
                        "scenario": str(scenario),
                        "token_env": "T_COUNTY",
                    }
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return config


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(hostile_config(tmp_path), environ=ENV)
    with TestClient(create_app(settings, background=False)) as c:
        yield c


@pytest.mark.parametrize("page", PAGES)
def test_names_are_escaped_and_the_policy_is_strict(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = response.text
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>从化区" not in html
    if not page.endswith("/screen"):  # the wall screen shows no district
        assert "&lt;b&gt;从化区" in html
    assert "&lt;script&gt;alert(&#34;hall&#34;)&lt;/script&gt;" in html
    if page != "/":
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # the only scripts are modules from this exporter; no inline script, no CDN
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all('type="module"' in s and 'src="' in s for s in scripts)
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html


def _loaded(client: TestClient, page: str) -> set[str]:
    """Every URL the page loads (styles, scripts) and every module they import."""
    html = client.get(page).text
    base = f"http://testserver{page}"
    found = {urljoin(base, u) for u in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)}
    todo = [u for u in found if u.endswith(".js")]
    while todo:
        url = todo.pop()
        for spec in re.findall(r'from\s+"([^"]+)"', client.get(url).text):
            target = urljoin(url, spec)
            if target not in found:
                found.add(target)
                todo.append(target)
    return found


@pytest.mark.parametrize("page", PAGES)
def test_everything_a_page_loads_is_served(client: TestClient, page: str) -> None:
    loaded = _loaded(client, page)
    assert any(u.endswith("/static/js/lib.js") for u in loaded)
    if page == "/halls/county":
        assert any(u.endswith("/static/vendor/uplot/uPlot.esm.js") for u in loaded)
    for url in loaded:
        response = client.get(url)
        assert response.status_code == 200, url
        kind = "text/javascript" if url.endswith(".js") else "text/css"
        assert response.headers["content-type"].startswith(kind), url
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/static/%2e%2e/pages.py",
        "/static/js/%2e%2e/%2e%2e/templates/index.html",
        "/static/%2e%2e/%2e%2e/config.py",
        "/static/js/missing.js",
        "/static/js",
    ],
)
def test_nothing_outside_static_is_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_vendored_library_carries_its_licence(client: TestClient) -> None:
    licence = client.get("/static/vendor/uplot/LICENSE")
    assert licence.status_code == 200 and "MIT License" in licence.text
    notes = client.get("/static/vendor/README.md").text
    assert "1.6.32" in notes and "MIT" in notes


def test_an_unknown_hall_is_a_page_that_says_so(client: TestClient) -> None:
    for path in ("/halls/%3Cscript%3Ex", "/halls/%3Cscript%3Ex/screen"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "&lt;script&gt;x" in response.text and "<script>x" not in response.text


def test_the_package_data_covers_every_page_file() -> None:
    """An install (not only this checkout) carries templates, scripts, styles
    and the vendored library: each file matches a package-data pattern."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["monitor.web"]
    web = ROOT / "monitor/web"
    files = [
        p.relative_to(web).as_posix()
        for folder in ("templates", "static")
        for p in (web / folder).rglob("*")
        if p.is_file()
    ]
    assert len(files) >= 10
    for name in files:
        assert any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns), name


def test_the_runbook_page_has_a_section_for_every_alert(client: TestClient) -> None:
    """Each alert's anchor as the rules link it (lower case) and as Grafana's
    alert table does (the name as written)."""
    page = client.get("/runbook")
    assert page.status_code == 200 and page.headers["content-security-policy"]
    rules = yaml.safe_load((ROOT / "dashboards/prometheus/rules/hallq-alerts.yml").read_text())
    names = {r["alert"] for r in rules["groups"][0]["rules"]}
    for name in names:
        assert f'id="{name.lower()}"' in page.text and f'id="{name}"' in page.text, name
    assert "<script" not in page.text  # a page to read: no script at all


def test_alerts_without_an_alertmanager(client: TestClient) -> None:
    body = client.get("/v1/alerts").json()
    assert body["configured"] is False and body["reachable"] is None
    assert body["halls"]["county"] == {
        "hall_manager": 0, "district": 0, "city": 0, "info": 0, "names": [], "alerts": []
    }  # fmt: skip


def test_counting_alerts_by_rung() -> None:
    alerts = [
        {"labels": {"hall": "a", "severity": "city", "alertname": "X"}},
        {"labels": {"hall": "a", "severity": "hall_manager", "alertname": "Y"}},
        {"labels": {"hall": "a", "severity": "hall_manager", "alertname": "Y"}},
        {"labels": {"hall": "a", "severity": "hall_manager", "alertname": "Z"},
         "status": {"state": "suppressed", "inhibitedBy": ["x"], "silencedBy": []}},
        {"labels": {"hall": "a", "severity": "info", "alertname": "HallModelDrift"}},
        {"labels": {"hall": "b", "severity": "pager"}},  # no rung
        {"labels": {"hall": "z", "severity": "city"}},  # not served here
        {"labels": {"severity": "city", "alertname": "HallmonExporterDown"}},
        "not an alert",
    ]  # fmt: skip
    got = by_hall(from_alertmanager(alerts), ["a", "b"])
    a = got["a"].model_dump()
    # an alert for information is listed last and counted apart: it is at no rung
    assert (a["hall_manager"], a["district"], a["city"], a["info"]) == (2, 0, 1, 1)
    assert a["names"] == ["X", "Y"]
    assert [(x["alertname"], x["rung"], x["state"]) for x in a["alerts"]] == [
        ("X", "city", "firing"), ("Y", "hall_manager", "firing"),
        ("Y", "hall_manager", "firing"), ("Z", "hall_manager", "inhibited"),
        ("HallModelDrift", "info", "firing"),
    ]  # fmt: skip
    assert got["b"].model_dump() == {
        "hall_manager": 0, "district": 0, "city": 0, "info": 0, "names": [], "alerts": []
    }  # fmt: skip


def test_pending_alerts_come_from_prometheus_and_suppression_from_alertmanager() -> None:
    labels = {"hall": "a", "severity": "hall_manager", "alertname": "HallBreachPredicted"}
    prometheus = {
        "data": {
            "alerts": [
                {"labels": labels, "state": "firing", "activeAt": "2026-03-02T03:00:00Z",
                 "annotations": {"summary": "中\nen", "runbook_url": "u#hallbreachpredicted"}},
                {"labels": labels | {"alertname": "HallQueueAboveForecast"}, "state": "pending",
                 "activeAt": "2026-03-02T03:10:00Z"},
                {"labels": labels | {"alertname": "Gone"}, "state": "inactive"},
            ]
        }
    }  # fmt: skip
    silenced = [{"labels": labels, "status": {"state": "suppressed", "silencedBy": ["s"]}}]
    merged = merge(from_prometheus(prometheus), from_alertmanager(silenced))
    got = by_hall(merged, ["a"])["a"]
    assert [(x.alertname, x.state) for x in got.alerts] == [
        ("HallQueueAboveForecast", "pending"), ("HallBreachPredicted", "silenced")
    ]  # fmt: skip
    assert got.hall_manager == 0 and got.names == []  # nobody is told of either
    assert got.alerts[1].runbook_url == "u#hallbreachpredicted"
    assert got.alerts[0].since == "2026-03-02T03:10:00Z"
    alone = by_hall(from_prometheus(prometheus), ["a"])["a"]
    assert alone.hall_manager == 1 and alone.names == ["HallBreachPredicted"]


AM_CONFIG = """
route: {receiver: nobody, group_wait: 1h}
receivers: [{name: nobody}]
inhibit_rules:
  - source_matchers: ['severity="district"']
    target_matchers: ['severity="hall_manager"']
    equal: [hall]
"""


def _post_alerts(url: str, alerts: list[dict[str, str]]) -> None:
    now = datetime.now(UTC)
    body = [
        {
            "labels": labels,
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
        }
        for labels in alerts
    ]
    assert httpx.post(f"{url}/api/v2/alerts", json=body, timeout=10).status_code == 200


@pytest.mark.integration
def test_alerts_from_a_real_alertmanager(tmp_path: Path, settings: Settings) -> None:
    with running_alertmanager(tmp_path, AM_CONFIG) as am:
        _post_alerts(
            am,
            [
                {"alertname": "HallOldestWaitPastTarget", "hall": "county", "severity": "district"},
                {
                    "alertname": "HallQueueAboveForecast",
                    "hall": "county",
                    "severity": "hall_manager",
                },
                {
                    "alertname": "HallBreachPredicted",
                    "hall": "flagship",
                    "severity": "hall_manager",
                },
                {"alertname": "HallNoEvents", "hall": "atlantis", "severity": "city"},
            ],
        )
        deadline = time.monotonic() + 30
        while len(httpx.get(f"{am}/api/v2/alerts", timeout=10).json()) < 4:
            assert time.monotonic() < deadline, "Alertmanager did not take the alerts"
            time.sleep(0.1)
        configured = settings.model_copy(update={"alertmanager_url": am})
        with TestClient(create_app(configured, background=False)) as c:
            body = c.get("/v1/alerts").json()
    assert body["configured"] and body["reachable"] and body["error"] is None
    # the district alert inhibits county's hall-manager one: each rung is told once
    county = body["halls"]["county"]
    assert (county["hall_manager"], county["district"], county["city"]) == (0, 1, 0)
    assert county["names"] == ["HallOldestWaitPastTarget"]
    assert [(a["alertname"], a["rung"], a["state"]) for a in county["alerts"]] == [
        ("HallOldestWaitPastTarget", "district", "firing"),
        ("HallQueueAboveForecast", "hall_manager", "inhibited"),
    ]
    assert body["halls"]["flagship"]["hall_manager"] == 1
    assert set(body["halls"]) == {"county", "flagship"}


def test_an_unreachable_alertmanager_is_said_not_hidden(settings: Settings) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    configured = settings.model_copy(update={"alertmanager_url": closed})
    with TestClient(create_app(configured, background=False)) as c:
        response = c.get("/v1/alerts")
        page = c.get("/")
    assert response.status_code == 200
    body = response.json()
    assert body["configured"] and body["reachable"] is False and body["error"]
    assert body["halls"]["county"]["district"] == 0
    assert 'data-alerts="on"' in page.text


def test_a_read_token_guards_the_pages(settings: Settings) -> None:
    """With a read token the pages, their files and /v1/alerts answer 401 with a
    Basic challenge (a browser asks), and the token as the password opens them."""
    guarded = settings.model_copy(update={"read_token_sha256": token_hash("reader-token")})
    basic = "Basic " + base64.b64encode(b"manager:reader-token").decode()
    with TestClient(create_app(guarded, background=False)) as c:
        for path in (*PAGES, "/runbook", "/static/js/lib.js", "/v1/alerts"):
            refused = c.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"].startswith("Basic"), path
            assert c.get(path, headers={"Authorization": basic}).status_code == 200, path
