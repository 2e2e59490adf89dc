"""The shipped ops configuration, turned into test copies by documented
transformations, and nothing else changed:

* :func:`alertmanager_test_config`: every webhook URL points at the local
  receiver (``URL/<receiver name>``), the WeChat Work API at its fake
  (``URL/wechat/cgi-bin/``), the template glob at the shipped templates, and
  ``group_wait`` / ``group_interval`` (30s / 5m) become ``group_s`` seconds so
  that a test does not wait minutes for a notification.
* :func:`scaled_rules`: the rules as ``hallmon prometheus-config --time-scale``
  writes them (the product's own code, :mod:`monitor.ops.timescale`), for an
  end-to-end test that replays a day ``factor`` times faster than real time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.ops.prometheus_config import render_rule_files
from monitor.ops.timescale import TimeScale

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
PROMETHEUS_DIR = DASHBOARDS / "prometheus"
RULES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
ALERTMANAGER_YML = DASHBOARDS / "alertmanager" / "alertmanager.yml"
TEMPLATES = DASHBOARDS / "alertmanager" / "templates"


def scaled_rules(factor: float, out_dir: Path) -> list[Path]:
    """The shipped rule files at time scale ``factor``, written to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_rule_files(scale=TimeScale(factor)).items():
        target = out_dir / name
        target.write_text(text, encoding="utf-8")
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
