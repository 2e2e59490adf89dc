"""A deployment's Prometheus configuration, rendered from the exporter's config.

:func:`render_prometheus_config` is pure: from loaded :class:`~monitor.core.config.Settings`
and a :class:`Deployment` (how many exporter shards, where they listen, where
Alertmanager is) it returns the text of ``prometheus.yml``: one scrape target
per exporter shard that holds a hall, 15 s scrape and rule evaluation, the rule
files and the Alertmanager. :func:`render_rule_files` renders the recording and
alert rules (:mod:`monitor.ops.recording`, :mod:`monitor.ops.alerts`), which do
not depend on the deployment: each hall's target and objective come from its
metrics. :func:`write_bundle` writes both into a directory Prometheus can run
from as it is (``prometheus --config.file=DIR/prometheus.yml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.core.config import Settings, in_shard
from monitor.ops.alerts import alert_groups
from monitor.ops.links import GRAFANA_URL, Links, exporter_runbook
from monitor.ops.recording import recording_groups
from monitor.ops.timescale import REAL_TIME, TimeScale

JOB = "hallmon"  # the alert rules select up{job="hallmon"}
RULES_DIR = "rules"
RECORDING_FILE = "hallq-recording.yml"
ALERTS_FILE = "hallq-alerts.yml"


@dataclass(frozen=True)
class Deployment:
    """Where things run. Shard ``i`` of ``shards`` listens on ``host:base_port + i``
    (``hallmon serve --shard i/n --port ...``)."""

    shards: int = 1
    host: str = "localhost"
    base_port: int = 9180
    alertmanagers: tuple[str, ...] = ("localhost:9093",)  # none: no alerting section
    interval: str = "15s"  # scrape and rule evaluation

    def target(self, shard: int) -> str:
        return f"{self.host}:{self.base_port + shard}"

    def links(self, runbook_url: str | None = None, grafana_url: str = GRAFANA_URL) -> Links:
        """The alerts' links: ``runbook_url`` (default: the runbook served by
        shard 0's exporter) and Grafana at ``grafana_url``."""
        return Links(runbook_url or exporter_runbook(self.host, self.base_port), grafana_url)


def shard_halls(settings: Settings, shards: int) -> list[list[str]]:
    """The hall ids of each shard ``0 … shards - 1``, in the config's order."""
    return [[h.id for h in settings.halls if in_shard(h.id, (i, shards))] for i in range(shards)]


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line strings (PromQL reads as written)."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    """YAML as the bundle writes it: keys in order, UTF-8, block PromQL."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2)


def render_prometheus_config(
    settings: Settings, deployment: Deployment = Deployment(), *, source: str = "monitor.yaml"
) -> str:
    """The text of ``prometheus.yml`` for the halls of ``settings`` (all shards:
    load them with the default ``shard=(0, 1)``); ``source`` names the config
    file in the header. A shard holding no hall gets no target (``hallmon
    serve`` refuses to run it)."""
    halls = shard_halls(settings, deployment.shards)
    n = deployment.shards
    header = [
        f"# Prometheus for the halls of {source}, written by",
        f"# `hallmon prometheus-config --config {source} --shards {n}`: regenerate, do not edit.",
        f"# One target per exporter shard (`hallmon serve --config {source} --shard i/{n}`):",
    ]
    targets: list[dict[str, object]] = []
    for i, ids in enumerate(halls):
        where = deployment.target(i)
        if ids:
            header.append(f"#   shard {i}/{n} at {where}: {', '.join(ids)}")
            targets.append({"targets": [where], "labels": {"shard": f"{i}/{n}"}})
        else:
            header.append(f"#   shard {i}/{n}: no hall, not scraped")
    config: dict[str, object] = {
        "global": {
            "scrape_interval": deployment.interval,
            "evaluation_interval": deployment.interval,
        },
        "rule_files": [f"{RULES_DIR}/{RECORDING_FILE}", f"{RULES_DIR}/{ALERTS_FILE}"],
    }
    if deployment.alertmanagers:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": list(deployment.alertmanagers)}]}]
        }
    config["scrape_configs"] = [{"job_name": JOB, "static_configs": targets}]
    return "\n".join(header) + "\n" + dump_yaml(config)


def render_rule_files(links: Links | None = None, scale: TimeScale = REAL_TIME) -> dict[str, str]:
    """``{file name: text}`` of the recording and alert rule files, with the
    alerts' ``links`` (default: those of the default :class:`Deployment`) and
    durations in hall time at ``scale`` (1×: production)."""
    links = links or Deployment().links()
    note = "# Written by `hallmon prometheus-config` (monitor/ops/{}): regenerate, do not edit.\n"
    if not scale.real_time:
        note += f"# Time scale {scale.factor:g}: hall-time durations divided by {scale.factor:g}.\n"
    recording = dump_yaml({"groups": recording_groups(scale)})
    alerts = dump_yaml({"groups": alert_groups(links, scale)})
    return {
        RECORDING_FILE: note.format("recording.py") + recording,
        ALERTS_FILE: note.format("alerts.py") + alerts,
    }


def write_bundle(
    out: Path,
    settings: Settings,
    deployment: Deployment = Deployment(),
    *,
    source: str = "monitor.yaml",
    links: Links | None = None,
    scale: TimeScale = REAL_TIME,
) -> Sequence[Path]:
    """Write ``out/prometheus.yml`` and ``out/rules/*.yml``; returns the paths.
    Raises OSError if the directory cannot be written."""
    rules_dir = out / RULES_DIR
    rules_dir.mkdir(parents=True, exist_ok=True)
    written = [out / "prometheus.yml"]
    written[0].write_text(
        render_prometheus_config(settings, deployment, source=source), encoding="utf-8"
    )
    for name, text in render_rule_files(links or deployment.links(), scale).items():
        path = rules_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
