"""``hallmon demo`` itself: start, print the addresses, the ingest tokens and
a ``curl`` to post an event, wait for Ctrl-C, stop."""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from monitor.cli.errors import fail, reported
from monitor.core.config import DEFAULT_PORT
from monitor.demo.processes import Demo, port_or_free
from monitor.demo.receiver import running_receiver
from monitor.demo.stack import (
    ROOT,
    demo_config,
    example_events,
    first_page,
    replay_date,
    replay_day,
    simulated_day,
    start_alertmanager,
    start_prometheus,
)


@contextmanager
def _interrupts() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP (its terminal closed) stop the demo the same
    way, even when started with SIGINT ignored (in the background of a shell)."""

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    stops = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, interrupted) for sig in stops}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def demo(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Config whose halls to replay \\[default: monitor.example.yaml]."
        ),
    ] = None,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Exporter port (0, or taken: any free one).")
    ] = DEFAULT_PORT,
    speed: Annotated[float, typer.Option(min=0.1, help="Times real time.")] = 60.0,
    overload: Annotated[
        str | None, typer.Option(help="Hall short of staff (default: the first).")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the first hall; +1 per hall.")] = 1,
    prometheus: Annotated[
        bool, typer.Option(help="Run Prometheus and Alertmanager too, when installed.")
    ] = True,
) -> None:
    """Run the exporter on the bundled halls, replay a simulated day of each at
    SPEED× (one hall short of staff), and print the pages' addresses; with
    Prometheus and Alertmanager when installed. Ctrl-C stops everything."""
    config = (config or ROOT / "monitor.example.yaml").resolve()
    with reported(str(config)):
        config.read_bytes()  # a missing config is a one-line error, before anything starts
    directory = Path(tempfile.mkdtemp(prefix="hallmon-demo-"))
    run = Demo(directory)
    say = typer.echo
    failed: str | None = None
    try:
        with _interrupts():
            _run(run, Options(config, port, speed, overload, seed), prometheus, say)
    except KeyboardInterrupt:
        _tell("\nhallmon demo: stopping…")
    except RuntimeError as exc:
        failed = str(exc)
    finally:  # whatever ended it (an output nobody reads any more too)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut it short
        run.close()
        shutil.rmtree(directory, ignore_errors=True)
    if failed is not None:
        raise fail("demo", failed, code=1)
    _tell("hallmon demo: stopped everything it started.")


def _tell(text: str) -> None:
    """A line on stderr while stopping, or nothing when nobody can read it any
    more (its terminal hung up: EIO; a closed pipe): the clean-up goes on."""
    with suppress(OSError):
        typer.echo(text, err=True)


@dataclass(frozen=True)
class Options:
    """What the command line asked of the demo."""

    config: Path
    port: int
    speed: float
    overload: str | None
    seed: int


def _run(run: Demo, options: Options, with_prometheus: bool, say: Any) -> None:
    prom, am = shutil.which("prometheus"), shutil.which("prometheus-alertmanager")
    if not (with_prometheus and prom is not None and am is not None):
        _serve(run, options, None, say)
        return
    with running_receiver(lambda text: say(text)) as (receiver_url, _):
        am_url = start_alertmanager(run, am, receiver_url, options.speed)
        _serve(run, options, (prom, am_url, receiver_url), say)


def _serve(run: Demo, options: Options, extras: tuple[str, str, str] | None, say: Any) -> None:
    """The exporter, Prometheus (when ``extras``: its binary, Alertmanager's and
    the receiver's URLs), the replays, the addresses; then wait."""
    config, speed, seed = options.config, options.speed, options.seed
    am_url = None if extras is None else extras[1]
    path, env, halls = demo_config(config, run.directory, am_url)
    ids = [hall for hall, _ in halls]
    overloaded = options.overload or ids[0]
    if overloaded not in ids:
        raise RuntimeError(f"--overload {overloaded}: no such hall in {config} ({', '.join(ids)})")
    port = port_or_free(options.port)
    url = f"http://127.0.0.1:{port}"
    prom_url = None
    if extras is not None:  # the pages read firing and pending alerts from Prometheus
        prom_port = port_or_free(9090)
        prom_url = f"http://127.0.0.1:{prom_port}"
        _add_prometheus_url(path, prom_url)
    exporter = run.start(
        "hallmon",
        [
            sys.executable,
            "-m",
            "monitor",
            "serve",
            "--config",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env,
    )
    run.wait_http(exporter, f"{url}/readyz")
    if extras is not None:
        prom_url = start_prometheus(run, extras[0], path, port, am_url, speed, prom_port)
    days = {hall: replay_date(scenario) for hall, scenario in halls}
    drawn = {}
    for i, (hall, scenario) in enumerate(halls):
        try:
            drawn[hall] = simulated_day(
                run, hall, scenario, days[hall], seed + i, hall == overloaded
            )
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"the day of {hall} could not be simulated: {exc}") from None
    for i, (hall, _) in enumerate(halls):
        token = env[f"HALLMON_DEMO_TOKEN_{i}"]
        thread = threading.Thread(
            target=replay_day,
            args=(run, url, hall, token, drawn[hall].events, speed),
            name=f"replay-{hall}",
            daemon=True,
        )
        run.threads.append(thread)
        thread.start()
    replayed = ", ".join(sorted({f"{d:%a %Y-%m-%d}" for d in days.values()}))
    say(
        f"hallmon demo: {len(halls)} halls at {speed:g}× real time, {overloaded} short of staff"
        f" (replaying {replayed})."
    )
    # a day is busier or quieter than the scenario's usual one (its weekday, the day's own
    # noise): a busy day can break the target too
    demand = ", ".join(f"{hall} {d.demand:.2f}×" for hall, d in drawn.items())
    say(f"  demand drawn    {demand} of each scenario's usual day")
    say(f"  all halls       {url}/")
    for city in _cities(path):
        say(f"  city wait map   {url}/cities/{quote(city)}   ({city})")
    for hall in ids:
        say(f"  {hall:<15} {url}/halls/{hall}   wall screen: {url}/halls/{hall}/screen")
    say(f"  JSON API        {url}/v1/halls    metrics: {url}/metrics    runbook: {url}/runbook")
    say(f"  files           {run.directory} (logs, store; removed on exit)")
    if extras is not None and prom_url is not None and am_url is not None:
        alerts = first_page(prom_url, ("/alerts", "/classic/alerts")) or f"{prom_url}/api/v1/alerts"
        say(f"  Prometheus      {alerts}   (rules at {max(1.0, speed):g}× time scale)")
        ui = first_page(am_url, ("/script.js",))
        say(f"  Alertmanager    {am_url + '/#/alerts' if ui else am_url + '/api/v2/alerts'}")
        say(f"                  amtool --alertmanager.url={am_url} alert query")
        say(f"  Each rung       {extras[2]}/   (what the hall manager, district and city receive)")
        _dashboards(run, say, speed, prom_url)
    else:
        say("  (install prometheus and prometheus-alertmanager to see the alerts too)")
    _tokens(say, url, env, halls, days)
    say("Ctrl-C stops everything.", err=True)
    _wait(run, exporter, say)


def _dashboards(run: Demo, say: Any, speed: float, prom_url: str) -> None:
    """The Grafana dashboards at the demo's time scale (their windows in hall
    time, as the rules'), for a Grafana the user has."""
    from monitor.ops.dashboards import export
    from monitor.ops.timescale import TimeScale

    directory = run.directory / "grafana"
    export(directory, TimeScale(max(1.0, speed)))
    say(f"  Grafana         {directory}/   (dashboards at {max(1.0, speed):g}× time scale)")
    say(f"                  hallmon grafana push --from {directory} --url GRAFANA")
    say(f"                  (data source: the demo's Prometheus, {prom_url})")


def _cities(path: Path) -> list[str]:
    """The cities of the halls in the demo's config at ``path``, each once."""
    import yaml

    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    return sorted({str(h["city"]) for h in tree["halls"] if h.get("city")})


def _add_prometheus_url(path: Path, prom_url: str) -> None:
    import yaml

    tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    tree["prometheus_url"] = prom_url
    path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _tokens(
    say: Any, url: str, env: dict[str, str], halls: list[tuple[str, Path]], days: dict[str, date]
) -> None:
    """The halls' ingest tokens and a curl that posts one ticket's life."""
    say("  Ingest tokens (Authorization: Bearer TOKEN, POST /v1/halls/HALL/events):")
    for i, (hall, _) in enumerate(halls):
        say(f"    {hall:<15} {env[f'HALLMON_DEMO_TOKEN_{i}']}")
    hall, scenario = halls[-1]
    body = json.dumps(
        example_events(hall, scenario, days[hall]), ensure_ascii=False, separators=(",", ":")
    )
    token = env[f"HALLMON_DEMO_TOKEN_{len(halls) - 1}"]
    say("  Post an event (again: acknowledged as duplicates, not applied twice):")
    say(
        f"    curl -sS -H {shlex.quote('Authorization: Bearer ' + token)} "
        "-H 'Content-Type: application/json' "
        f"--data {shlex.quote(body)} {url}/v1/halls/{hall}/events"
    )


def _wait(run: Demo, exporter: Any, say: Any) -> None:
    done = False
    while True:
        if not exporter.alive():
            raise RuntimeError(f"the exporter stopped:\n{exporter.tail()}")
        while run.failures:
            say(f"hallmon demo: {run.failures.pop(0)}", err=True)
        if not done and not any(t.is_alive() for t in run.threads):
            done = True
            say("hallmon demo: the day is replayed; the pages stay up until Ctrl-C.", err=True)
        time.sleep(0.5)
