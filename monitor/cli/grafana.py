"""``hallmon grafana``: export the dashboards as JSON, or push them to a
Grafana server. Thin: the dashboards are :mod:`monitor.ops.dashboards`, the
push is :mod:`monitor.ops.grafana`; both load only when a command runs.
Register with :func:`register` in :mod:`monitor.cli.app`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.errors import fail

TimeScaleOption = Annotated[
    float,
    typer.Option(
        "--time-scale",
        min=1.0,
        help="Hall seconds per wall second, as given to prometheus-config: the panels' "
        "windows and time range are divided by it, for a replay at speed (1: real time).",
    ),
]

grafana_app = typer.Typer(
    help="Grafana dashboards as code: export them as JSON, or push them to a Grafana server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@grafana_app.command("push")
def push(
    url: Annotated[
        str, typer.Option("--url", help="Grafana's root URL, e.g. http://grafana:3000.")
    ],
    token: Annotated[
        str,
        typer.Option(
            "--token", envvar="GRAFANA_TOKEN", help="A service account token (role Editor)."
        ),
    ],
    folder: Annotated[
        str, typer.Option("--folder", help="Uid of the folder the dashboards go into.")
    ] = "hallq",
    folder_title: Annotated[
        str, typer.Option("--folder-title", help="The folder's title.")
    ] = "hallq 营业厅",
    from_dir: Annotated[
        Path | None,
        typer.Option(
            "--from",
            file_okay=False,
            help="Push the *.json dashboards of this directory instead of the built-in ones.",
        ),
    ] = None,
    timeout_s: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each reply.")
    ] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    time_scale: TimeScaleOption = 1.0,
) -> None:
    """Create or overwrite the dashboards in a Grafana folder.

    The folder is created when missing; pushing twice leaves the same dashboards.
    """
    from monitor.ops import grafana
    from monitor.ops.timescale import TimeScale

    if not url.startswith(("http://", "https://")):
        raise fail("grafana push", f"--url: {url!r} is not an http:// or https:// URL")
    if from_dir is not None and time_scale != 1.0:
        raise fail(
            "grafana push",
            f"--time-scale {time_scale:g}: the files of --from are pushed as they are",
        )
    try:
        if from_dir is None:
            from monitor.ops.dashboards import models

            dashboards = models(TimeScale(time_scale))
        else:
            dashboards = grafana.load_directory(from_dir)
        result = grafana.push(
            url,
            token,
            dashboards,
            folder_uid=folder,
            folder_title=folder_title,
            timeout_s=timeout_s,
        )
    except grafana.PushError as exc:
        raise fail(f"grafana push: {exc.what}", exc.why) from None
    if as_json:
        summary = {
            "folder": result.folder_uid,
            "folder_created": result.folder_created,
            "dashboards": [
                {"uid": d.uid, "title": d.title, "version": d.version, "url": d.url}
                for d in result.dashboards
            ],
        }
        json.dump(summary, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    made = "created" if result.folder_created else "exists"
    typer.echo(f"folder {result.folder_uid} ({made})")
    for d in result.dashboards:
        typer.echo(f"  {d.title}: version {d.version} {d.url}")


@grafana_app.command("export")
def export(
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="Directory for the JSON files.")
    ] = Path("dashboards/grafana"),
    time_scale: TimeScaleOption = 1.0,
) -> None:
    """Write the dashboards' JSON (at 1×: as committed under dashboards/grafana/)."""
    from monitor.ops.dashboards import export as write
    from monitor.ops.timescale import TimeScale

    try:
        written = write(out, TimeScale(time_scale))
    except OSError as exc:
        raise fail("grafana export", f"{out}: {exc.strerror or exc}") from None
    for path in written:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add the ``grafana`` group (``push``, ``export``) to ``app`` (the ``hallmon`` CLI)."""
    app.add_typer(grafana_app, name="grafana")
