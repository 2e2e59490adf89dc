"""``hallmon model list|show|rollback|pin|unpin`` on a store whose halls have
models: what ops read (tables, ``--json``, the scenario of a version), what
they change (durably, for a running exporter to take), and bad input as one
line and exit 2 with nothing changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from monitor.cli.app import app
from monitor.core.config import load_settings
from monitor.core.models import ModelRegistry, ModelVersion
from monitor.server.app import create_app
from sim.model.scenario import parse_yaml, scenario_from_dict
from tests.monitor.conftest import ENV, write_config

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Both bundled halls have their configured model (the app's start records
    it); county also a fitted version 2 in use and a rejected version 3."""
    path = write_config(tmp_path)
    settings = load_settings(path, environ=ENV)
    with TestClient(create_app(settings, background=False)):
        pass
    registry = ModelRegistry(settings.store)
    county = registry.in_use("county")
    assert county is not None
    text = county.model.scenario_yaml
    scores = {"candidate": {"arrivals_wmape": 9.5, "total": 30.0},
              "current": {"arrivals_wmape": 21.0, "total": 40.0}, "against": 1}  # fmt: skip
    fitted = ModelVersion("county", 0, "fitted", 0.0, text, days=("2026-03-02", "2026-03-09"),
                          holdout=("2026-03-10",), scores=scores, night="2026-03-10")  # fmt: skip
    registry.record(fitted, adopt=True, detail="better")
    registry.record(fitted, adopt=False, detail="not better")
    registry.close()
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["model", *args], env={"COLUMNS": "200"})
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def _in_use(config: Path, hall: str) -> tuple[int, bool]:
    registry = ModelRegistry(load_settings(config, environ=ENV).store, create=False)
    try:
        in_use = registry.in_use(hall)
        assert in_use is not None
        return in_use.model.version, in_use.pinned
    finally:
        registry.close()


def test_list_and_show(config: Path) -> None:
    code, out, _ = _run("list", "--config", str(config))
    assert code == 0
    assert re.search(r"county\s*│\s*2\s*│\s*fitted", out) and "21.0% → 9.5%" in out
    assert re.search(r"flagship\s*│\s*1\s*│\s*configured", out)
    code, out, _ = _run("list", "--config", str(config), "--json")
    rows = {r["hall"]: r for r in json.loads(out)}
    assert rows["county"]["version"] == 2 and rows["county"]["backtest"]["against"] == 1
    code, out, _ = _run("show", "--config", str(config), "--hall", "county", "--json")
    shown = json.loads(out)
    assert (shown["in_use"], shown["version"], shown["pinned"]) == (2, 2, False)
    assert [h["action"] for h in shown["history"]] == ["rejected", "adopted", "configured"]
    code, out, _ = _run("show", "--config", str(config), "--hall", "county")
    assert code == 0 and "fitted from 2 days, 2026-03-02 … 2026-03-09" in out
    code, out, _ = _run("show", "--config", str(config), "--hall", "county", "--version", "1",
                        "--scenario")  # fmt: skip
    assert code == 0
    assert scenario_from_dict(parse_yaml(out, source="stdout")).hall == "county"


def test_rollback_pin_and_unpin_are_kept(config: Path) -> None:
    code, _, err = _run("rollback", "--config", str(config), "--hall", "county")
    assert code == 0 and err == ""
    assert _in_use(config, "county") == (1, True)
    assert _run("pin", "--config", str(config), "--hall", "county", "--version", "3")[0] == 0
    assert _in_use(config, "county") == (3, True)
    code, out, _ = _run("unpin", "--config", str(config), "--hall", "county")
    assert (
        code == 0
        and out == "hallmon: county uses model version 3 (fitted), learning may change it\n"
    )
    assert _in_use(config, "county") == (3, False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "--hall", "atlantis"], "hallmon: --hall: 'atlantis' is not a hall of {config}\n"),
        (["show", "--hall", "county", "--version", "9"],
         "hallmon: --version: hall 'county' has no model version 9\n"),
        (["rollback", "--hall", "county", "--to", "9"],
         "hallmon: rollback: hall 'county' has no model version 9\n"),
        (["rollback", "--hall", "flagship"],
         "hallmon: rollback: hall 'flagship' has used no other model to roll back to\n"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_changes_nothing(
    config: Path, args: list[str], message: str
) -> None:
    command, *rest = args
    code, _, err = _run(command, "--config", str(config), *rest)
    assert (code, err) == (2, message.format(config=config))
    assert _in_use(config, "county") == (2, False)


def test_a_store_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    missing = tmp_path / "hallmon.db"
    code, _, err = _run("list", "--config", str(config))
    assert (code, err) == (2, f"hallmon: {missing}: there is no event store here (no such file)\n")
    assert not missing.exists()
