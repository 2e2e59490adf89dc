"""The runbook (``monitor/ops/RUNBOOK.md``, served at ``/runbook``): every alert
of the rules has its section, and each says how to acknowledge or silence it
and how to know it is resolved; every ``amtool`` command it shows runs, as
written, against a real Alertmanager holding the alerts it names (the
placeholders NAME, HALL, SERVICE, HOST filled in), and does what the runbook
says: a silence is listed, suppresses its alert and no higher rung, and
expires."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from monitor.web.runbook import RUNBOOK
from tests.dashboards.promserver import binary, running_alertmanager
from tests.dashboards.stack import ROOT, RULES, alertmanager_test_config

TEXT = RUNBOOK.read_text(encoding="utf-8")
DOC_URL = "http://alertmanager:9093"
FILLED = {"NAME": '"duty officer"', "HALL": "flagship", "SERVICE": "payment", "HOST": "e"}
ALERT_NAMES = sorted(
    {r["alert"] for p in RULES for g in yaml.safe_load(p.read_text())["groups"] for r in g["rules"]
     if "alert" in r}
)  # fmt: skip


def _section(name: str) -> str:
    match = re.search(rf"^## {name}\n(.*?)(?=^## |\Z)", TEXT, flags=re.MULTILINE | re.DOTALL)
    assert match, f"the runbook has no section {name}"
    return match.group(1)


@pytest.mark.parametrize("name", ALERT_NAMES)
def test_every_alert_says_how_to_silence_it_and_when_it_is_resolved(name: str) -> None:
    section = _section(name)
    assert re.search(r"\*\*(Acknowledge|Silence)\*\*.*amtool .* silence add ", section), name
    assert f"alertname={name}" in section
    assert "**Resolved**" in section


def test_the_runbook_says_who_is_told_and_how_to_restart_the_exporter() -> None:
    who = _section("Who is told")
    for rung in ("hall_manager", "district", "city"):
        assert f"| `{rung}` |" in who
    restart = _section("Restart and recovery of the exporter")
    for words in ("systemctl restart hallmon", "/readyz", "another hallmon", "store_error"):
        assert words in restart


def _commands() -> list[str]:
    """Every amtool command of the runbook, placeholders filled in."""
    found = re.findall(r"^(amtool [^\n]+)$", TEXT, flags=re.MULTILINE)
    found += re.findall(r"`(amtool [^`]+)`", TEXT)
    out = []
    for command in found:
        for word, value in FILLED.items():
            command = re.sub(rf"\b{word}\b", value, command)
        out.append(command)
    return out


def _alert(name: str, severity: str, **labels: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "severity": severity, **labels},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


@pytest.mark.integration
def test_every_amtool_command_of_the_runbook_works(tmp_path: Path) -> None:
    commands = _commands()
    assert len(commands) >= 10
    assert all(DOC_URL in c or " check-config " in c for c in commands)
    hall = {"hall": "flagship"}
    alerts = [
        _alert(n, "hall_manager", **hall)
        for n in ALERT_NAMES
        if n.startswith("Hall") and not n.startswith("Hallmon")
    ]
    alerts += [
        _alert("HallOldestWaitPastTarget", "hall_manager", service="payment", **hall),
        _alert("HallOldestWaitPastTarget", "city", service="payment", **hall),
        _alert("HallErrorBudgetBurn", "district", **hall),
        _alert("HallmonExporterDown", "city", instance="e:9180", **hall),
        _alert("HallmonNotScraped", "city"),
    ]
    amtool = binary("amtool")
    bash = shutil.which("bash")
    assert bash is not None
    with running_alertmanager(tmp_path, alertmanager_test_config("http://127.0.0.1:9")) as am:
        assert httpx.post(f"{am}/api/v2/alerts", json=alerts, timeout=10).status_code == 200
        for command in commands:
            line = command.replace(DOC_URL, am).replace("amtool ", f"{amtool} ")
            ran = subprocess.run(
                [bash, "-c", line], capture_output=True, text=True, timeout=60, check=False,
                cwd=ROOT,
            )  # fmt: skip
            assert ran.returncode == 0, f"{command}\n{ran.stdout}{ran.stderr}"
        # the runbook's own sequence: acknowledge (a silence), list it, expire it
        ack = next(c for c in commands if "ack: opening two counters" in c)
        line = ack.replace(DOC_URL, am).replace("amtool ", f"{amtool} ")
        subprocess.run([bash, "-c", line], check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 10
        while True:  # the silence suppresses the hall manager's payment alert, not the city's
            listed = httpx.get(
                f"{am}/api/v2/alerts", params={"filter": "hall=flagship"}, timeout=10
            )
            states = {
                (a["labels"]["alertname"], a["labels"]["severity"], a["labels"].get("service")):
                a["status"] for a in listed.json()
            }  # fmt: skip
            hm = states[("HallOldestWaitPastTarget", "hall_manager", "payment")]
            if hm["silencedBy"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert hm["silencedBy"], hm
        assert not states[("HallOldestWaitPastTarget", "city", "payment")]["silencedBy"]
        expire = next(c for c in commands if " silence expire " in c)
        line = expire.replace(DOC_URL, am).replace("amtool ", f"{amtool} ")
        subprocess.run([bash, "-c", line], check=True, capture_output=True, timeout=60)
        left = httpx.get(f"{am}/api/v2/silences", timeout=10).json()
        active = [s for s in left if s["status"]["state"] == "active"]
        assert not any(m["value"] == "flagship" for s in active for m in s["matchers"]), active
