"""``hallmon prometheus-config`` and :mod:`monitor.ops.prometheus_config`: the
committed bundle under ``dashboards/prometheus/`` is what the code renders for
``monitor.example.yaml``; one target per exporter shard that holds a hall; the
bundle is a directory Prometheus runs from; errors are one line and exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from monitor.cli.ops import _NoTokens
from monitor.core.config import Settings, in_shard, load_settings
from monitor.ops.prometheus_config import (
    Deployment,
    render_prometheus_config,
    render_rule_files,
    shard_halls,
)

ROOT = Path(__file__).resolve().parents[3]
BUNDLE = ROOT / "dashboards" / "prometheus"
EXAMPLE = "monitor.example.yaml"


@pytest.fixture(scope="module")
def example() -> Settings:
    return load_settings(ROOT / EXAMPLE, environ=_NoTokens())


def test_the_committed_bundle_is_what_the_code_renders(example: Settings) -> None:
    committed = (BUNDLE / "prometheus.yml").read_text(encoding="utf-8")
    assert render_prometheus_config(example, source=EXAMPLE) == committed
    for name, text in render_rule_files().items():
        assert (BUNDLE / "rules" / name).read_text(encoding="utf-8") == text, name
    assert sorted(p.name for p in (BUNDLE / "rules").iterdir()) == sorted(render_rule_files())


def _hallmon(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "prometheus-config", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd, env=env,
    )  # fmt: skip


def test_the_command_writes_the_bundle_without_any_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLMON_TOKEN")}
    done = _hallmon("--config", EXAMPLE, "--out", str(tmp_path / "out"), cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    for path in ("prometheus.yml", "rules/hallq-recording.yml", "rules/hallq-alerts.yml"):
        assert (tmp_path / "out" / path).read_text(encoding="utf-8") == (BUNDLE / path).read_text(
            encoding="utf-8"
        )
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed (apt-get install prometheus, or make test)")
    checked = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "out" / "prometheus.yml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_one_target_per_shard_that_holds_a_hall(example: Settings) -> None:
    shards = 5
    deployment = Deployment(
        shards=shards,
        host="hallmon.internal",
        base_port=9300,
        alertmanagers=("am1:9093", "am2:9093"),
    )
    config = yaml.safe_load(render_prometheus_config(example, deployment))
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "hallmon"
    targets = {t["labels"]["shard"]: t["targets"] for t in job["static_configs"]}
    expected = {
        f"{i}/{shards}": [f"hallmon.internal:{9300 + i}"]
        for i in range(shards)
        if any(in_shard(h.id, (i, shards)) for h in example.halls)
    }
    assert targets == expected and 0 < len(targets) < shards  # two halls: an empty shard
    assert config["global"] == {"scrape_interval": "15s", "evaluation_interval": "15s"}
    assert config["rule_files"] == ["rules/hallq-recording.yml", "rules/hallq-alerts.yml"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "am1:9093", "am2:9093"
    ]  # fmt: skip
    halls = shard_halls(example, shards)
    assert sorted(h for ids in halls for h in ids) == sorted(h.id for h in example.halls)
    text = render_prometheus_config(example, deployment)
    for i, ids in enumerate(halls):
        assert (
            f"shard {i}/{shards} at hallmon.internal:{9300 + i}: {', '.join(ids)}" in text
        ) == bool(ids)


def test_no_alertmanager_no_alerting_section(example: Settings) -> None:
    config = yaml.safe_load(render_prometheus_config(example, Deployment(alertmanagers=())))
    assert "alerting" not in config


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "missing.yaml"], "hallmon: missing.yaml: "),
        (["--config", EXAMPLE, "--shards", "0"], "hallmon: --shards: 0 is not a positive number"),
        (["--config", EXAMPLE, "--base-port", "65535", "--shards", "2"], "hallmon: --base-port: "),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = _hallmon(*args, "--out", str(tmp_path / "out"), cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and "Traceback" not in done.stderr, done.stderr


def test_an_unwritable_out_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    done = _hallmon("--config", EXAMPLE, "--out", str(blocker / "out"), cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.startswith(f"hallmon: {blocker / 'out'}"), done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
