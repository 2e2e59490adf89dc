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
from monitor.ops.links import GRAFANA_URL


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
        str | None,
        typer.Option(
            "--runbook-url",
            help="The runbook page; each alert links to its section (#alertname). "
            "\\[default: the runbook on shard 0's exporter, http://HOST:BASE-PORT/runbook]",
        ),
    ] = None,
    grafana_url: Annotated[
        str, typer.Option("--grafana-url", help="Grafana, for the alerts' dashboard links.")
    ] = GRAFANA_URL,
    time_scale: Annotated[
        float,
        typer.Option(
            "--time-scale",
            min=1.0,
            help="Hall seconds per wall second: the rules' windows and for: durations are "
            "divided by it, for a replay at speed (1: real time).",
        ),
    ] = 1.0,
) -> None:
    """Write OUT/prometheus.yml (one scrape target per exporter shard, 15 s
    scrape and evaluation, 1 s with a time scale, Alertmanager) and OUT/rules/
    (recording and alert rules): a directory Prometheus runs from as it is.
    Tokens are not needed."""
    from monitor.core.config import load_settings
    from monitor.ops.prometheus_config import Deployment, write_bundle
    from monitor.ops.timescale import TimeScale

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
        interval="15s" if time_scale == 1.0 else "1s",
    )
    links = deployment.links(runbook_url, grafana_url)
    with reported(f"--out {out}"):
        written = write_bundle(
            out, settings, deployment, source=str(config), links=links,
            scale=TimeScale(time_scale),
        )  # fmt: skip
    for path in written:
        typer.echo(f"wrote {path}", err=True)


def alertmanager_config(
    contacts: Annotated[
        Path,
        typer.Option(
            "--contacts", help="Who is told at each rung (dashboards/alertmanager/contacts.yaml)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The alertmanager.yml to write.")],
    time_scale: Annotated[
        float,
        typer.Option(
            "--time-scale",
            min=1.0,
            help="Hall seconds per wall second: grouping waits and repeats are divided by it.",
        ),
    ] = 1.0,
) -> None:
    """Write OUT, Alertmanager's configuration: one route and receiver per rung
    of the ladder (WeChat Work and webhooks, from CONTACTS), grouping per hall,
    inhibition by hall, service and alert."""
    from monitor.ops.alertmanager import load_contacts, render_alertmanager_config
    from monitor.ops.timescale import TimeScale

    with reported(str(contacts)):
        found = load_contacts(contacts)
    text = render_alertmanager_config(found, TimeScale(time_scale), source=str(contacts))
    with reported(f"--out {out}"):
        out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``prometheus-config`` and ``alertmanager-config`` to the ``hallmon`` app."""
    app.command("prometheus-config")(prometheus_config)
    app.command("alertmanager-config")(alertmanager_config)
