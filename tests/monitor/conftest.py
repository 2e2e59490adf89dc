"""Shared pieces of the monitor tests: a config for the bundled county and
flagship halls with known tokens, and simulated days of their events."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from monitor.core.config import Settings, load_settings
from sim.eventlog.convert import day_events
from sim.eventlog.events import Event
from sim.model.hall import simulate
from sim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TOKENS = {"county": "county-secret-token", "flagship": "flagship-secret-token"}
DAY = date(2026, 3, 2)


BUNDLED_HALLS = f"""\
  - {{id: county, name: 县城营业厅, district: 从化区, city: 广州,
      scenario: {ROOT / "scenarios/county.yaml"}, token_env: T_COUNTY}}
  - {{id: flagship, district: 天河区, city: 广州,
      scenario: {ROOT / "scenarios/flagship.yaml"}, token_env: T_FLAGSHIP}}"""


def write_config(
    directory: Path,
    *,
    clock: str = "events",
    nowcast: str = "{every: 0}",
    forecast: str = "{replications: 0}",
    extra: str = "",
    halls: str | None = None,
) -> Path:
    """A config serving county and flagship from the bundled scenarios, or the
    YAML list ``halls`` (forecast and nowcast off unless given)."""
    path = directory / "monitor.yaml"
    path.write_text(
        f"""
store: {directory / "hallmon.db"}
clock: {clock}
max_body_bytes: 2000000
nowcast: {nowcast}
forecast: {forecast}
{extra}
halls:
{BUNDLED_HALLS if halls is None else halls}
""",
        encoding="utf-8",
    )
    return path


ENV = {"T_COUNTY": TOKENS["county"], "T_FLAGSHIP": TOKENS["flagship"]}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(write_config(tmp_path), environ=ENV)


@pytest.fixture(scope="session")
def county_day() -> list[Event]:
    """One simulated day of the county hall as a real ticket system logs it."""
    scn = load_scenario(ROOT / "scenarios/county.yaml")
    return day_events(simulate(scn, seed=7, replication=0), scn, DAY, "no_show")


@pytest.fixture(scope="session")
def flagship_day() -> list[Event]:
    """One simulated day of the flagship hall (about 1,900 events)."""
    scn = load_scenario(ROOT / "scenarios/flagship.yaml")
    return day_events(simulate(scn, seed=7, replication=0), scn, DAY, "no_show")


def auth(hall: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[hall]}"}


def as_json(events: list[Event]) -> list[dict[str, str]]:
    return [e.as_row() for e in events]
