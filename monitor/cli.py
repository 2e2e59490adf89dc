"""``hallmon``: the live exporter's command line. Thin: load the config, build
the app, hand it to uvicorn; or replay a simulated day into a running exporter."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from monitor.config import load_settings, parse_shard, token_hash
from monitor.replay_cli import register as register_replay
from sim.model.scenario import ScenarioError
from sim.reports.terminal import err, fail, stdout_console

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
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 9180,
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
        settings = load_settings(config, shard=parse_shard(shard), store=store)
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:
        raise fail(f"--shard: {exc}") from None
    if not settings.halls:
        raise fail(f"shard {shard} of {config} holds no hall")
    import uvicorn

    from monitor.app import create_app

    err.print(
        f"hallmon: {len(settings.halls)} hall(s), store {settings.store}, "
        f"http://{host}:{port}/metrics",
        highlight=False,
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)


@app.command("check")
def check(
    config: Annotated[Path, typer.Option("--config", "-c", help="Config YAML (halls, store).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Validate a config file and the scenarios and tokens it names."""
    try:
        settings = load_settings(config)
    except ScenarioError as exc:
        raise fail(str(exc)) from None
    halls = [
        {"id": h.id, "name": h.name, "scenario": h.scenario.hall, "target_wait_s": h.target_wait_s}
        for h in settings.halls
    ]
    if as_json:
        print(json.dumps({"halls": halls, "store": str(settings.store)}, ensure_ascii=False))
        return
    out = stdout_console()
    for h in halls:
        out.print(f"{h['id']}: {h['name']} (scenario {h['scenario']})", highlight=False)


@app.command("hash-token")
def hash_token() -> None:
    """Print the SHA-256 of a token read from stdin (for token_sha256 in the config)."""
    token = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("token: ")
    if not token:
        raise fail("no token given")
    print(token_hash(token))


register_replay(app)


def main() -> None:
    app()
