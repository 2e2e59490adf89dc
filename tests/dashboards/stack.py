"""The shipped ops configuration, turned into test copies by documented
transformations, and nothing else changed:

* :func:`alertmanager_test_config`: every webhook URL points at the local
  receiver (``URL/<receiver name>``), the WeChat Work API at its fake
  (``URL/wechat/cgi-bin/``), the template glob at the shipped templates, and
  ``group_wait`` / ``group_interval`` (30s / 5m) become ``group_s`` seconds so
  that a test does not wait minutes for a notification.
* :func:`scaled_rules`: every duration in the alert and recording rules (range
  selectors ``[30m]``, ``for:``) is divided by ``factor``, for an end-to-end
  test that replays a day ``factor`` times faster than real time; thresholds,
  label matchers and names stay as shipped. Durations are written in whole
  seconds, rounded up and at least ``minimum_s``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
PROMETHEUS_DIR = DASHBOARDS / "prometheus"
RULES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
ALERTMANAGER_YML = DASHBOARDS / "alertmanager" / "alertmanager.yml"
TEMPLATES = DASHBOARDS / "alertmanager" / "templates"

_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RANGE = re.compile(r"\[(\d+[smhd])\]")


def duration_s(text: str) -> int:
    """Seconds of a Prometheus duration made of one unit (``30m``)."""
    match = _DURATION.fullmatch(text)
    assert match, f"unexpected duration {text!r}"
    return int(match[1]) * _UNIT_S[match[2]]


def _scaled(text: str, factor: float, minimum_s: int) -> str:
    return f"{max(minimum_s, math.ceil(duration_s(text) / factor))}s"


def scaled_rules(factor: float, out_dir: Path, minimum_s: int = 1) -> list[Path]:
    """Copies of the shipped rule files with every duration divided by
    ``factor`` (see the module docstring), written to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in RULES:
        doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in doc["groups"]:
            for rule in group["rules"]:
                rule["expr"] = _RANGE.sub(
                    lambda m: f"[{_scaled(m[1], factor, minimum_s)}]", rule["expr"]
                )
                if "for" in rule:
                    rule["for"] = _scaled(rule["for"], factor, minimum_s)
        target = out_dir / path.name
        target.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
        written.append(target)
    return written


def alertmanager_test_config(receiver_url: str, group_s: float = 1.0) -> str:
    """The shipped alertmanager.yml pointed at the local receiver (see the module
    docstring)."""
    config: dict[str, Any] = yaml.safe_load(ALERTMANAGER_YML.read_text(encoding="utf-8"))
    config["global"]["wechat_api_url"] = f"{receiver_url}/wechat/cgi-bin/"
    config["templates"] = [str(TEMPLATES / "*.tmpl")]
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = f"{receiver_url}/{receiver['name']}"

    def shorten(route: dict[str, Any]) -> None:
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = f"{round(group_s * 1000)}ms"
        for child in route.get("routes", []):
            shorten(child)

    shorten(config["route"])
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
