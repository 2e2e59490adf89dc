"""``hallmon``: the live exporter's command line. Thin: load the config, build
the app, hand it to uvicorn; or replay a simulated day into a running exporter."""

from __future__ import annotations

import gc
import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.demo import demo
from monitor.cli.errors import fail, reported
from monitor.cli.export import register as register_export
from monitor.cli.grafana import register as register_grafana
from monitor.cli.model import register as register_model
from monitor.cli.ops import register as register_ops
from monitor.cli.replay import register as register_replay
from monitor.core.config import DEFAULT_PORT, Settings, load_settings, parse_shard, token_hash
from sim.reports.terminal import flowing_summaries

if TYPE_CHECKING:
    from monitor.core.monitor import Monitor
    from monitor.core.storelock import StoreLock

app = typer.Typer(
    help="Live queues of service halls: event ingest, state, forecast and nowcast for Prometheus.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def serve(
    config: Annotated[Path, typer.Option("--config", "-c", help="Config YAML (halls, store).")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = DEFAULT_PORT,
    shard: Annotated[
        str, typer.Option(help="Serve only shard i of n of the halls (i/n, by hall id hash).")
    ] = "0/1",
    store: Annotated[
        Path | None, typer.Option(help="Event store file (default: the config's).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the exporter: ingest at /v1/halls/{hall}/events, metrics at /metrics."""
    try:
        part = parse_shard(shard)
    except ValueError as exc:
        raise fail("--shard", str(exc)) from None
    with reported(str(config)):
        settings = load_settings(config, shard=part, store=store)
    if not settings.halls:
        raise fail(str(config), f"shard {shard} holds no hall")
    lock = _locked_store(settings)
    try:
        from monitor.server.app import create_app
        from monitor.server.serving import ServeError, listen
        from monitor.server.serving import serve as run

        app = create_app(settings)
        monitor = _opened(app.state.monitor, settings)
        try:
            sock = listen(host, port)
        except ServeError as exc:
            monitor.close()
            raise fail(f"{host}:{port}", str(exc)) from None
        if _own_process:
            # What start-up made (modules, the app, the halls rebuilt from the
            # store) lives until the process ends: kept out of the cycle
            # collector's passes, which ingest's allocations start every few
            # hundred events (passes over it all were about 5% of ingest's CPU).
            # Only hallmon's own process: one that runs the command in-process
            # (a test) keeps its collector as it was.
            gc.freeze()
            # What comes after (a day's tickets, the lines a scrape keeps) is
            # traversed whole by each full pass, which Python starts whenever
            # the old objects grew by a quarter: every few seconds under a
            # province's scrapes, 0.4-0.9 s each at 2,000 halls with every
            # thread stalled (ingest's p99, the nowcasts' schedule). Full
            # passes wait for FULL_PASS_AFTER passes of the middle generation
            # instead of 10; cycles are still found by the young passes, old
            # ones later.
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, FULL_PASS_AFTER)
        typer.echo(
            f"hallmon: {len(settings.halls)} hall(s), store {settings.store}, "
            f"http://{host}:{port}/metrics",
            err=True,
        )
        run(app, settings.limits, sock=sock, log_level=log_level, is_token=monitor.knows_token)
    finally:
        lock.release()


_own_process = False  # this process is hallmon's own (main was called)
FULL_PASS_AFTER = 1000  # middle-generation passes before a full one (Python's default: 10)


def _opened(monitor: Monitor, settings: Settings) -> Monitor:
    """``monitor`` with its store open and every hall rebuilt, before the server
    listens: a store that fails now, or a file system without room for a batch,
    is a one-line error (exit 2), not a failed app start-up."""
    import sqlite3

    from monitor.core.storelock import StoreError

    try:
        monitor.open()
    except (StoreError, OSError, sqlite3.Error) as exc:
        monitor.close()
        raise fail(str(settings.store), str(exc)) from None
    problem = monitor.room_problem()
    if problem is not None:
        monitor.close()
        raise fail(str(settings.store), problem)
    return monitor


def _locked_store(settings: Settings) -> StoreLock:
    """Take the store's lock for as long as the server runs and check (open and
    create) the store under it, so that a store held by another exporter, or
    damaged, or not writable, is a one-line error, not a failed app start-up."""
    import sqlite3

    from monitor.core.store import EventStore
    from monitor.core.storelock import StoreError, StoreLock

    try:
        lock = StoreLock(settings.store)
    except StoreError as exc:
        raise fail(str(settings.store), str(exc)) from None
    try:
        EventStore(settings.store, settings.synchronous).close()
    except (StoreError, OSError, sqlite3.Error) as exc:
        lock.release()
        raise fail(str(settings.store), str(exc)) from None
    return lock


@app.command("check")
def check(
    config: Annotated[Path, typer.Option("--config", "-c", help="Config YAML (halls, store).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate a config file and the scenarios and tokens it names."""
    with reported(str(config)):
        settings = load_settings(config)
    halls = [
        {"id": h.id, "name": h.name, "scenario": h.scenario.hall, "target_wait_s": h.target_wait_s}
        for h in settings.halls
    ]
    if as_json:
        print(json.dumps({"halls": halls, "store": str(settings.store)}, ensure_ascii=False))
        return
    for h in halls:
        print(f"{h['id']}: {h['name']} (scenario {h['scenario']})")


@app.command("hash-token")
def hash_token() -> None:
    """Print the SHA-256 of a token read from stdin (for token_sha256 in the config)."""
    token = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("token: ")
    if not token:
        raise fail("hash-token", "no token given")
    print(token_hash(token))


register_replay(app)
app.command("demo")(demo)
register_grafana(app)
register_ops(app)
register_export(app)
register_model(app)
flowing_summaries(app)


def main() -> None:
    global _own_process
    _own_process = True
    app()
