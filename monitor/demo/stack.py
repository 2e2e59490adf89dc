"""What ``hallmon demo`` runs: its config (the bundled halls, events clock,
fresh tokens), the short-staffed variant of a hall, the replay of a simulated
day, and Prometheus and Alertmanager configured by the same code as
production at the demo's time scale (the replay's speed): the rules' windows,
``for:`` durations and Alertmanager's waits are divided by it, so the ladder
climbs in minutes, in the order it would in hours."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import yaml

from monitor.demo.processes import Demo, Stopped, port_or_free

if TYPE_CHECKING:
    from sim.eventlog.events import Event

ROOT = Path(__file__).resolve().parents[2]  # the repository (dashboards/, scenarios/)
STAFF_KEPT = 0.6  # the overloaded hall keeps this share of each counter group
LOOK_BACK_DAYS = 14  # how far back the demo looks for a working day to replay


# the result stays open: a scenario's YAML tree before validation, written back as
# YAML (scenario_from_dict checks it) and read by key by the tests
def staff_cut(tree: Mapping[str, object], kept: float = STAFF_KEPT) -> dict[str, Any]:
    """A scenario tree whose counter groups keep ``kept`` of their staff
    (rounded, at least one): the same hall with people off sick."""

    def cut(count: object) -> object:
        if isinstance(count, Mapping):
            return {at: cut(n) for at, n in count.items()}
        if not isinstance(count, int | float):
            raise ValueError(f"counters: count {count!r} is not a number")
        return max(1, round(int(count) * kept))

    groups = tree.get("counters")
    if not isinstance(groups, list):
        raise ValueError("counters: the scenario has no list of counter groups")
    counters = [{**group, "count": cut(group.get("count", 1))} for group in groups]
    return {**tree, "counters": counters}


def demo_config(
    source: Path, directory: Path, alertmanager: str | None
) -> tuple[Path, dict[str, str], list[tuple[str, Path]]]:
    """The demo's config in ``directory`` from the halls of ``source``: events
    clock, a store there, fresh tokens (returned as environment variables), a
    nowcast every few seconds. Also each hall's id and scenario path."""
    from monitor.core.config import FileConfig
    from sim.model.yamltree import read_yaml_file, validate_tree

    tree = read_yaml_file(source)
    validate_tree(FileConfig, tree, str(source))  # its problems, named, before anything starts
    assert isinstance(tree, dict)
    env: dict[str, str] = {}
    halls: list[dict[str, object]] = []
    scenarios: list[tuple[str, Path]] = []
    for i, hall in enumerate(tree["halls"]):
        scenario = Path(hall["scenario"])
        scenario = scenario if scenario.is_absolute() else (source.parent / scenario).resolve()
        variable = f"HALLMON_DEMO_TOKEN_{i}"
        env[variable] = secrets.token_hex(24)
        entry = {k: v for k, v in hall.items() if k not in ("token_env", "token_sha256", "clock")}
        halls.append(entry | {"scenario": str(scenario), "token_env": variable})
        scenarios.append((str(hall["id"]), scenario))
    config: dict[str, object] = {
        "store": str(directory / "hallmon.db"),
        "clock": "events",  # the replays run faster than the wall clock
        "nowcast": {"every": "3s", "replications": 20},
        "forecast": {"replications": 20},
        "halls": halls,
    }
    if alertmanager is not None:
        config["alertmanager_url"] = alertmanager
    path = directory / "hallmon-demo.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, env, scenarios


def replay_date(scenario: Path) -> date:
    """The day the demo replays: the latest before today (the exporter
    quarantines events dated ahead of the wall clock, and a day replayed at
    speed would soon run ahead of it) on which the hall keeps its typical
    hours, a working day and no holiday; else the latest day it opens at all.
    The exporter reads that day's hours and plan from the same calendar, so
    the hall is open exactly while the replayed tickets come."""
    from sim.model.days import day_scenario
    from sim.model.scenario import load_scenario

    scn = load_scenario(scenario)
    today = datetime.now(ZoneInfo(scn.timezone)).date()
    days = [today - timedelta(days=back) for back in range(1, LOOK_BACK_DAYS + 1)]
    open_days = [(d, one) for d in days if (one := day_scenario(scn, d)) is not None]
    typical = [d for d, one in open_days if (one.open, one.close) == (scn.open, scn.close)]
    return (typical or [d for d, _ in open_days] or days)[0]


@dataclass(frozen=True)
class DrawnDay:
    """A hall's simulated day to replay: its events, and its demand against
    the scenario's usual day (the one ``hallsim run`` simulates): its weekday's
    or holiday's level times the day-to-day noise drawn (1.0: neither)."""

    events: list[Event]
    demand: float


def simulated_day(
    demo: Demo, hall: str, scenario: Path, day: date, seed: int, overloaded: bool
) -> DrawnDay:
    """The events of ``day`` of ``scenario`` (its weekday's hours and level; cut
    of staff if ``overloaded``, the variant written into the demo's directory),
    simulated with ``seed``."""
    from sim.eventlog.convert import day_events
    from sim.live.demandlevel import expected_tickets
    from sim.model.days import day_scenario, typical_day
    from sim.model.hall import simulate
    from sim.model.scenario import load_scenario, read_yaml_file

    if overloaded:
        tree = read_yaml_file(scenario)
        assert isinstance(tree, dict)
        variant = demo.directory / f"{hall}-staff-cut.yaml"
        variant.write_text(yaml.safe_dump(staff_cut(tree), allow_unicode=True), "utf-8")
        scenario = variant
    scn = load_scenario(scenario)
    one_day = day_scenario(scn, day) or scn
    result = simulate(one_day, seed, 0)
    usual = typical_day(scn)
    level = expected_tickets(one_day, one_day.end_s) / expected_tickets(usual, usual.end_s)
    return DrawnDay(day_events(result, one_day, day, "no_show"), level * result.day_factor)


def replay_day(
    demo: Demo, url: str, hall: str, token: str, events: list[Event], speed: float
) -> None:
    """Post ``events`` of ``hall`` paced at ``speed`` times real time; a failure
    is recorded, not raised (a thread)."""
    from monitor.replay.client import ReplayError, post_events

    try:
        with httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as client:
            post_events(
                client,
                url,
                hall,
                token,
                events,
                speed=speed,
                batch=500,
                retries=6,
                sleep=demo.sleep,
            )
    except Stopped:
        return
    except (ReplayError, OSError, ValueError) as exc:
        demo.failures.append(f"replay of {hall}: {exc}")


def start_alertmanager(run: Demo, binary: str, receiver_url: str, speed: float) -> str:
    """Alertmanager with the shipped contacts pointed at the demo's receiver
    (:func:`~monitor.demo.receiver.demo_contacts`), at time scale ``speed``."""
    from monitor.demo.receiver import demo_contacts
    from monitor.ops.alertmanager import load_contacts, render_alertmanager_config
    from monitor.ops.timescale import TimeScale

    contacts = demo_contacts(
        load_contacts(ROOT / "dashboards/alertmanager/contacts.yaml"), receiver_url
    )
    config = run.directory / "alertmanager.yml"
    templates = str(ROOT / "dashboards/alertmanager/templates/*.tmpl")
    config.write_text(
        render_alertmanager_config(
            contacts, TimeScale(max(1.0, speed)), source="the demo's contacts", templates=templates
        ),
        encoding="utf-8",
    )
    port = port_or_free(9093)
    child = run.start(
        "alertmanager",
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={run.directory / 'alertmanager'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        {"TZ": "Asia/Shanghai"},  # the WeChat messages show local times
    )
    url = f"http://127.0.0.1:{port}"
    run.wait_http(child, f"{url}/-/ready")
    return url


def start_prometheus(
    run: Demo, prom: str, config: Path, port: int, am_url: str | None, speed: float, prom_port: int
) -> str:
    """Prometheus on the exporter with the repository's rules at time scale
    ``speed`` (``hallmon prometheus-config --time-scale``: 1 s scrape and
    evaluation) on ``prom_port``, the runbook links on the demo's exporter."""
    out = run.directory / "prometheus"
    alertmanager = am_url.removeprefix("http://") if am_url else "127.0.0.1:9093"
    written = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "prometheus-config",
            "--config",
            str(config),
            "--out",
            str(out),
            "--host",
            "127.0.0.1",
            "--base-port",
            str(port),
            "--alertmanager",
            alertmanager,
            "--time-scale",
            f"{max(1.0, speed):g}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if written.returncode != 0:
        raise RuntimeError(f"hallmon prometheus-config failed:\n{written.stderr}")
    child = run.start(
        "prometheus",
        [
            prom,
            f"--config.file={out / 'prometheus.yml'}",
            f"--storage.tsdb.path={run.directory / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--log.level=warn",
        ],
    )
    prom_url = f"http://127.0.0.1:{prom_port}"
    run.wait_http(child, f"{prom_url}/-/ready")
    return prom_url


def first_page(base: str, paths: tuple[str, ...]) -> str | None:
    """The first of ``paths`` that ``base`` answers with 200 (Debian's builds
    lack some pages: Prometheus serves its alerts at /classic/alerts,
    Alertmanager has no web UI at all)."""
    for path in paths:
        with suppress(httpx.HTTPError):
            if httpx.get(base + path, timeout=5.0).status_code == 200:
                return base + path
    return None


def example_events(hall: str, scenario: Path, day: date) -> list[dict[str, str]]:
    """One ticket's life at the opening of the replayed ``day`` (issued, called,
    served at once): posting it adds a customer served in time, and posting it
    again shows that duplicates are acknowledged, not applied twice."""
    from sim.model.calendar import counter_instances
    from sim.model.days import day_scenario
    from sim.model.scenario import load_scenario
    from sim.model.units import format_clock

    scn = load_scenario(scenario)
    scn = day_scenario(scn, day) or scn
    zone = ZoneInfo(scn.timezone)
    opening = datetime.fromisoformat(f"{day}T{format_clock(scn.open)}:00").replace(tzinfo=zone)
    counter = next(c.name for c in counter_instances(scn) if not c.kiosk)
    service, segment = next(iter(scn.services)), next(iter(scn.segments))
    common = {"hall": hall, "ticket": "CURL-1"}
    return [
        common | {"id": f"{hall}-curl-1", "ts": opening.isoformat(), "kind": "ticket_issued",
                  "service": service, "segment": segment},
        common | {"id": f"{hall}-curl-2", "ts": (opening + timedelta(seconds=30)).isoformat(),
                  "kind": "ticket_called", "counter": counter},
        common | {"id": f"{hall}-curl-3", "ts": (opening + timedelta(minutes=3)).isoformat(),
                  "kind": "service_ended", "counter": counter},
    ]  # fmt: skip
