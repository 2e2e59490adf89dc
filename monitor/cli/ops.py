"""``hallmon prometheus-config``: write a deployment's Prometheus configuration
and rule files into a directory. Thin: the rendering is
:mod:`monitor.ops.prometheus_config`. Register with :func:`register` in
:mod:`monitor.cli.app`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.errors import fail, reported
from monitor.ops.alerts import RUNBOOK_URL


class _NoTokens(Mapping[str, str]):
    """An environment in which every ``token_env`` is set (to a value naming
    it): Prometheus' configuration needs the halls, never their tokens."""

    def __getitem__(self, key: str) -> str:
        return f"not-a-token:{key}"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


NO_TOKENS = _NoTokens()  # for the commands that read a config but serve no hall


def prometheus_config(
    config: Annotated[Path, typer.Option("--config", "-c", help="The exporter's config YAML.")],
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write prometheus.yml and rules/ to.")
    ],
    shards: Annotated[
        int, typer.Option("--shards", help="Exporter shards (hallmon serve --shard i/N).")
    ] = 1,
    host: Annotated[str, typer.Option("--host", help="Host the exporter shards run on.")] = (
        "localhost"
    ),
    base_port: Annotated[
        int, typer.Option("--base-port", help="Port of shard 0; shard i listens on base + i.")
    ] = 9180,
    alertmanager: Annotated[
        list[str] | None,
        typer.Option("--alertmanager", help="Alertmanager host:port (repeat for a cluster)."),
    ] = None,
    runbook_url: Annotated[
        str, typer.Option("--runbook-url", help="URL of RUNBOOK.md for the alerts' runbook_url.")
    ] = RUNBOOK_URL,
) -> None:
    """Write OUT/prometheus.yml (one scrape target per exporter shard, 15 s
    scrape and evaluation, Alertmanager) and OUT/rules/ (recording and alert
    rules): a directory Prometheus runs from as it is. Tokens are not needed."""
    from monitor.core.config import load_settings
    from monitor.ops.prometheus_config import Deployment, write_bundle

    if shards < 1:
        raise fail("--shards", f"{shards} is not a positive number of shards")
    if base_port < 1 or base_port + shards - 1 > 65535:
        raise fail("--base-port", f"{base_port} + {shards} shards leaves the ports 1-65535")
    with reported(str(config)):
        settings = load_settings(config, environ=NO_TOKENS)
    deployment = Deployment(
        shards=shards,
        host=host,
        base_port=base_port,
        alertmanagers=tuple(alertmanager or ("localhost:9093",)),
    )
    with reported(f"--out {out}"):
        written = write_bundle(
            out, settings, deployment, source=str(config), runbook_url=runbook_url
        )
    for path in written:
        typer.echo(f"wrote {path}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``prometheus-config`` to the ``hallmon`` app."""
    app.command("prometheus-config")(prometheus_config)
