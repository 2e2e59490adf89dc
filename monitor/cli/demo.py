"""``hallmon demo`` itself: start, print the addresses, wait for Ctrl-C, stop."""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.errors import fail, reported
from monitor.core.config import DEFAULT_PORT
from monitor.demo.processes import Demo, port_or_free
from monitor.demo.stack import ROOT, demo_config, replay_day, silence_no_events, start_prometheus


@contextmanager
def _interrupts() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the demo the same way, even when started with
    SIGINT ignored (in the background of a shell)."""

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def demo(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Config whose halls to replay [default: monitor.example.yaml]."
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
    try:
        with _interrupts():
            _run(run, config, port, speed, overload, seed, prometheus, say)
    except KeyboardInterrupt:
        say("\nhallmon demo: stopping…", err=True)
    except RuntimeError as exc:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        run.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise fail("demo", str(exc), code=1) from None
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    run.close()
    shutil.rmtree(directory, ignore_errors=True)
    say("hallmon demo: stopped everything it started.", err=True)


def _run(
    run: Demo,
    config: Path,
    port: int,
    speed: float,
    overload: str | None,
    seed: int,
    with_prometheus: bool,
    say: Any,
) -> None:
    prom, am = shutil.which("prometheus"), shutil.which("prometheus-alertmanager")
    am_config = ROOT / "dashboards/alertmanager/alertmanager.yml"
    extras = with_prometheus and prom is not None and am is not None and am_config.is_file()
    am_url = None
    if extras:
        assert am is not None
        am_port = port_or_free(9093)
        am_url = f"http://127.0.0.1:{am_port}"
        alertmanager = run.start(
            "alertmanager",
            [
                am,
                f"--config.file={am_config}",
                f"--storage.path={run.directory / 'alertmanager'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
        )
    path, env, halls = demo_config(config, run.directory, am_url)
    ids = [hall for hall, _ in halls]
    overloaded = overload or ids[0]
    if overloaded not in ids:
        raise RuntimeError(f"--overload {overloaded}: no such hall in {config} ({', '.join(ids)})")
    port = port_or_free(port)
    url = f"http://127.0.0.1:{port}"
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
    prom_url = None
    if extras:
        assert prom is not None
        run.wait_http(alertmanager, f"{am_url}/-/ready")
        silence_no_events(f"{am_url}")
        prom_url = start_prometheus(run, prom, path, port, am_url)
    for i, (hall, scenario) in enumerate(halls):
        token = env[f"HALLMON_DEMO_TOKEN_{i}"]
        thread = threading.Thread(
            target=replay_day,
            args=(run, url, hall, token, scenario, seed + i, speed, hall == overloaded),
            name=f"replay-{hall}",
            daemon=True,
        )
        run.threads.append(thread)
        thread.start()
    say(f"hallmon demo: {len(halls)} halls at {speed:g}× real time, {overloaded} short of staff.")
    say(f"  all halls      {url}/")
    for hall in ids:
        say(f"  {hall:<14} {url}/halls/{hall}   wall screen: {url}/halls/{hall}/screen")
    say(f"  JSON API       {url}/v1/halls    metrics: {url}/metrics")
    say(f"  files          {run.directory} (logs, store; removed on exit)")
    if prom_url is not None:
        say(f"  Prometheus     {prom_url}/alerts")
        say(f"  Alertmanager   {am_url}/#/alerts   (HallNoEvents silenced: the day is yesterday's)")
    else:
        say("  (install prometheus and prometheus-alertmanager to see the alerts too)")
    say("Ctrl-C stops everything.", err=True)
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
