"""The ``--json`` output of every ``hallsim`` command stays byte-identical for
the same seed across refactors.

The golden files under ``tests/golden/`` were written by this module
(``python -m tests.test_golden_json``) before the package move of issue 10,
from the code as it was; a change that alters a number, a key or the key order
of any command's JSON fails here. Volatile fields (wall-clock seconds, temp
paths) are removed before comparing, and only those.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
HALLSIM = Path(sys.executable).with_name("hallsim")
VOLATILE = {"seconds", "solve_seconds"}  # wall-clock times of staffing and roster runs

# name -> (argv after `hallsim`, files the command needs first)
CASES: dict[str, list[str]] = {
    "run-flagship": ["run", "scenarios/flagship.yaml", "-n", "4", "--seed", "7", "--workers", "1"],
    "run-county": ["run", "scenarios/county.yaml", "-n", "3", "--seed", "3", "--workers", "1"],
    "run-mmc": ["run", "scenarios/mmc-validation.yaml", "-n", "2", "--workers", "1"],
    "staff-county": ["staff", "scenarios/county.yaml", "-n", "4", "--seed", "2", "--workers", "1"],
    "staff-flagship-erlang": [
        "staff",
        "scenarios/flagship.yaml",
        "--method",
        "erlang",
        "-n",
        "3",
        "--workers",
        "1",
    ],
    "roster-flagship": [
        "roster",
        "scenarios/flagship.yaml",
        "--rules",
        "scenarios/rules/flagship-roster.yaml",
    ],
    "roster-flagship-day": [
        "roster",
        "scenarios/flagship.yaml",
        "--rules",
        "scenarios/rules/flagship-roster.yaml",
        "--day",
        "tue",
    ],
    "compare-county": [
        "compare",
        "scenarios/county.yaml",
        "{tmp}/county-more.yaml",
        "-n",
        "4",
        "--workers",
        "1",
    ],
    "sweep-county": [
        "sweep",
        "scenarios/county.yaml",
        "--set",
        "arrivals.scale=0.9,1.1",
        "-n",
        "3",
        "--workers",
        "1",
    ],
    "events-county": [
        "events",
        "scenarios/county.yaml",
        "--days",
        "3",
        "--start",
        "2026-03-02",
        "--seed",
        "5",
        "--out",
        "{tmp}/county.jsonl",
    ],
    "fit-county": ["fit", "{tmp}/county.jsonl", "--out", "{tmp}/fitted.yaml"],
}


def _prepare(tmp: Path) -> None:
    text = (ROOT / "scenarios" / "county.yaml").read_text(encoding="utf-8")
    more = text.replace(
        "count: 2, services: [business, consult, payment], resize",
        "count: 3, services: [business, consult, payment], resize",
    )
    assert more != text, "county.yaml changed: update the compare case"
    (tmp / "county-more.yaml").write_text(more, encoding="utf-8")


def _scrub(value: Any, tmp: Path) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, tmp) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_scrub(v, tmp) for v in value]
    if isinstance(value, str):
        return value.replace(str(tmp), "{tmp}")
    return value


def run_case(name: str, tmp: Path) -> str:
    """The scrubbed JSON text `hallsim <case> --json` prints (cases run in order)."""
    argv = [a.replace("{tmp}", str(tmp)) for a in CASES[name]]
    env = {**os.environ, "COLUMNS": "120"}
    done = subprocess.run(
        [str(HALLSIM), *argv, "--json"], cwd=ROOT, env=env, capture_output=True, timeout=600
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    data = json.loads(done.stdout)
    return json.dumps(_scrub(data, tmp), ensure_ascii=False, indent=1) + "\n"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("golden")
    _prepare(tmp)
    return {name: run_case(name, tmp) for name in CASES}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_json_output_is_unchanged(outputs: dict[str, str], name: str) -> None:
    expected = (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
    assert outputs[name] == expected, f"hallsim {' '.join(CASES[name])} --json changed"


if __name__ == "__main__":  # regenerate: only when a change of output is intended
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        _prepare(Path(d))
        for case in CASES:
            (GOLDEN / f"{case}.json").write_text(run_case(case, Path(d)), encoding="utf-8")
            print("wrote", case)
