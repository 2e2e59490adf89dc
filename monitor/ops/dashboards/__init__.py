"""The Grafana dashboards, as code (grafana-foundation-sdk, Grafana 11.6).

:data:`DASHBOARDS` maps each committed file name under ``dashboards/grafana/``
to the function building it; :func:`render` gives a dashboard's JSON text as
committed (keys sorted, two-space indent, non-ASCII kept), so that
regenerating the files is byte-for-byte reproducible and a test can hold the
committed files to the code.

Windows are hall time, like the rules' (:mod:`monitor.ops.timescale`): built
at a :class:`~monitor.ops.timescale.TimeScale` (``hallmon grafana export
--time-scale 60``, the demo), a panel's "last 15 minutes" is 15 minutes of
the hall's day; at 1× the dashboards are the committed files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from monitor.ops.dashboards import forecast_accuracy, hall_live, region
from monitor.ops.timescale import REAL_TIME, TimeScale

DASHBOARDS: dict[str, Callable[[TimeScale], Dashboard]] = {
    "hall-live.json": hall_live.build,
    "region.json": region.build,
    "forecast-accuracy.json": forecast_accuracy.build,
}


def render(build: Callable[[TimeScale], Dashboard], scale: TimeScale = REAL_TIME) -> str:
    """The dashboard's JSON text at ``scale`` (at 1×: as committed; ends with a newline)."""
    encoder = JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False)
    return encoder.encode(build(scale)) + "\n"


# open: a dashboard is Grafana's JSON, handed on as it is (its builder is typed)
def models(scale: TimeScale = REAL_TIME) -> dict[str, dict[str, Any]]:
    """Every dashboard as a JSON object (what the Grafana API takes), by file name."""
    return {name: json.loads(render(build, scale)) for name, build in DASHBOARDS.items()}


def export(directory: Path, scale: TimeScale = REAL_TIME) -> list[Path]:
    """Write every dashboard's JSON at ``scale`` into ``directory`` (created if
    missing); returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in DASHBOARDS.items():
        path = directory / name
        path.write_text(render(build, scale), encoding="utf-8")
        written.append(path)
    return written
