"""Scenarios written by hallsim load back to equal scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model.scenario import load_scenario
from sim.model.scenario_io import clock_text, scenario_yaml, write_scenario


@pytest.mark.parametrize("path", sorted(Path("scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_round_trip(path: Path, tmp_path: Path) -> None:
    scn = load_scenario(path)
    out = tmp_path / "again.yaml"
    write_scenario(scn, out, comment="round trip")
    assert load_scenario(out) == scn
    text = scenario_yaml(scn)
    assert "15m" in text and ("\\u" not in text)  # people's units, readable Chinese


def test_clock_text() -> None:
    assert clock_text(9 * 3600) == "09:00"
    assert clock_text(9 * 3600 + 90) == "09:01:30"
    assert clock_text(24 * 3600) == "24:00"
