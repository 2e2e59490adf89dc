"""What ``hallmon demo`` runs: its config (the bundled halls, events clock,
fresh tokens), the short-staffed variant of a hall, the replay of a simulated
day, and Prometheus with the repository's rules beside Alertmanager."""

from __future__ import annotations

import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml

from monitor.demo.processes import Demo, Stopped, port_or_free

ROOT = Path(__file__).resolve().parents[2]  # the repository (dashboards/, scenarios/)
STAFF_KEPT = 0.6  # the overloaded hall keeps this share of each counter group


def staff_cut(tree: dict[str, Any], kept: float = STAFF_KEPT) -> dict[str, Any]:
    """A scenario tree whose counter groups keep ``kept`` of their staff
    (rounded, at least one): the same hall with people off sick."""

    def cut(count: Any) -> Any:
        if isinstance(count, dict):
            return {at: cut(n) for at, n in count.items()}
        return max(1, round(int(count) * kept))

    counters = [{**group, "count": cut(group.get("count", 1))} for group in tree["counters"]]
    return {**tree, "counters": counters}


def demo_config(
    source: Path, directory: Path, alertmanager: str | None
) -> tuple[Path, dict[str, str], list[tuple[str, Path]]]:
    """The demo's config in ``directory`` from the halls of ``source``: events
    clock, a store there, fresh tokens (returned as environment variables), a
    nowcast every few seconds. Also each hall's id and scenario path."""
    from monitor.core.config import FileConfig
    from sim.model.scenario import read_yaml_file, validate_tree

    tree = read_yaml_file(source)
    validate_tree(FileConfig, tree, str(source))  # its problems, named, before anything starts
    assert isinstance(tree, dict)
    env: dict[str, str] = {}
    halls: list[dict[str, Any]] = []
    scenarios: list[tuple[str, Path]] = []
    for i, hall in enumerate(tree["halls"]):
        scenario = Path(hall["scenario"])
        scenario = scenario if scenario.is_absolute() else (source.parent / scenario).resolve()
        variable = f"HALLMON_DEMO_TOKEN_{i}"
        env[variable] = secrets.token_hex(24)
        entry = {k: v for k, v in hall.items() if k not in ("token_env", "token_sha256", "clock")}
        halls.append(entry | {"scenario": str(scenario), "token_env": variable})
        scenarios.append((str(hall["id"]), scenario))
    config: dict[str, Any] = {
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


def replay_day(
    demo: Demo,
    url: str,
    hall: str,
    token: str,
    scenario: Path,
    seed: int,
    speed: float,
    overloaded: bool,
) -> None:
    """Simulate today's events of ``scenario`` (cut of staff if ``overloaded``)
    and post them paced; a failure is recorded, not raised (a thread)."""
    from monitor.replay.client import ReplayError, post_events
    from sim.eventlog.convert import day_events
    from sim.model.hall import simulate
    from sim.model.scenario import load_scenario, read_yaml_file

    try:
        if overloaded:
            tree = read_yaml_file(scenario)
            assert isinstance(tree, dict)
            variant = demo.directory / f"{hall}-staff-cut.yaml"
            variant.write_text(yaml.safe_dump(staff_cut(tree), allow_unicode=True), "utf-8")
            scenario = variant
        scn = load_scenario(scenario)
        # yesterday: the exporter quarantines events dated ahead of the wall clock,
        # and a day replayed at speed would soon run ahead of it
        day = datetime.now(ZoneInfo(scn.timezone)).date() - timedelta(days=1)
        events = day_events(simulate(scn, seed, 0), scn, day, "no_show")
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


def silence_no_events(am_url: str) -> None:
    """Silence ``HallNoEvents`` for the demo: it compares the latest event's
    time with the wall clock, and the replayed day is dated yesterday."""
    now = datetime.now(UTC)
    silence = {
        "matchers": [{"name": "alertname", "value": "HallNoEvents", "isRegex": False}],
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(days=1)).isoformat(),
        "createdBy": "hallmon demo",
        "comment": "the demo replays yesterday at speed: its events are hours old by design",
    }
    response = httpx.post(f"{am_url}/api/v2/silences", json=silence, timeout=10.0)
    if response.status_code != 200:
        raise RuntimeError(f"Alertmanager refused the demo's silence: {response.text}")


def start_prometheus(run: Demo, prom: str, config: Path, port: int, am_url: str | None) -> str:
    """Prometheus on the exporter with the repository's rules, scraping and
    evaluating every 5 s (the replay runs faster than the wall clock)."""
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
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if written.returncode != 0:
        raise RuntimeError(f"hallmon prometheus-config failed:\n{written.stderr}")
    prom_yml = out / "prometheus.yml"
    tree = yaml.safe_load(prom_yml.read_text(encoding="utf-8"))
    tree["global"] = {
        **tree.get("global", {}),
        "scrape_interval": "5s",
        "evaluation_interval": "5s",
    }
    prom_yml.write_text(yaml.safe_dump(tree, sort_keys=False), encoding="utf-8")
    prom_port = port_or_free(9090)
    child = run.start(
        "prometheus",
        [
            prom,
            f"--config.file={prom_yml}",
            f"--storage.tsdb.path={run.directory / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--log.level=warn",
        ],
    )
    prom_url = f"http://127.0.0.1:{prom_port}"
    run.wait_http(child, f"{prom_url}/-/ready")
    return prom_url
