"""The Grafana dashboards, as code (grafana-foundation-sdk, Grafana 11.6).

:data:`DASHBOARDS` maps each committed file name under ``dashboards/grafana/``
to the function building it; :func:`render` gives a dashboard's JSON text as
committed (keys sorted, two-space indent, non-ASCII kept), so that
regenerating the files is byte-for-byte reproducible and a test can hold the
committed files to the code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from monitor.ops.dashboards import forecast_accuracy, hall_live, region

DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "hall-live.json": hall_live.build,
    "region.json": region.build,
    "forecast-accuracy.json": forecast_accuracy.build,
}


def render(build: Callable[[], Dashboard]) -> str:
    """The dashboard's JSON text, as committed (ends with a newline)."""
    encoder = JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False)
    return encoder.encode(build()) + "\n"


def models() -> dict[str, dict[str, Any]]:
    """Every dashboard as a JSON object (what the Grafana API takes), by file name."""
    return {name: json.loads(render(build)) for name, build in DASHBOARDS.items()}


def export(directory: Path) -> list[Path]:
    """Write every dashboard's JSON into ``directory`` (created if missing);
    returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in DASHBOARDS.items():
        path = directory / name
        path.write_text(render(build), encoding="utf-8")
        written.append(path)
    return written
