"""What the ``hallsim`` process sets up before its command runs
(:mod:`sim.cli.startup`), checked in processes of its own: the libraries'
defaults and the user's settings over them, the collector off start-up, and
what a ``hallsim run --json`` loads."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from sim.cli import startup

# Runs ``hallsim run`` as the console script does, then reports from the same
# process (atexit: after the command, which ends by sys.exit).
HALLSIM_RUN = """
import atexit, gc, json, os, sys
collections = []
gc.callbacks.append(lambda phase, info: collections.append(phase) if phase == "stop" else None)

def report():
    loader = sys.modules.get("pydantic.plugin._loader")
    print(json.dumps({
        "modules": sorted(sys.modules),
        "plugins_looked_up": loader is not None and loader._plugins is not None,
        "openblas": os.environ.get("OPENBLAS_NUM_THREADS"),
        "frozen": gc.get_freeze_count(),
    }), file=sys.stderr)

atexit.register(report)
sys.argv = ["hallsim", "run", "scenarios/county.yaml", "-n", "1", "--workers", "1", "--json"]
from sim.cli import main
main()
"""


def hallsim_run(**env: str) -> dict[str, Any]:
    environ = {k: v for k, v in os.environ.items() if k not in startup.LIBRARY_DEFAULTS}
    out = subprocess.run(
        [sys.executable, "-c", HALLSIM_RUN],
        capture_output=True,
        text=True,
        check=True,
        env=environ | env,
    )
    assert json.loads(out.stdout)["scenario"]  # the run's own JSON, on stdout
    report: dict[str, Any] = json.loads(out.stderr.strip().splitlines()[-1])
    return report


def test_a_json_run_skips_what_it_does_not_use() -> None:
    """A ``hallsim run --json`` on a pipe draws no table and no plot, and builds
    no report: rich (its console and progress bar, ~30 ms), matplotlib, scipy and
    the report writers stay out, and pydantic's plugin look-up (every installed
    distribution's entry points) is skipped; the start-up was frozen."""
    report = hallsim_run()
    roots = {m.split(".")[0] for m in report["modules"]}
    assert not roots & {"rich", "matplotlib", "scipy", "openpyxl", "jinja2"}
    assert not {m for m in report["modules"] if m.startswith("sim.reports.")} - {
        "sim.reports.terminal"
    }
    assert report["plugins_looked_up"] is False
    assert report["openblas"] == "1"
    assert report["frozen"] > 0


def test_the_entry_point_loads_typer_only_once_the_process_is_set_up() -> None:
    """Importing the console script's ``sim.cli`` loads neither typer nor rich:
    the entry point sets the process up (collector off, libraries' defaults)
    before the command line loads, so its ~20 collections are not run."""
    code = "import sys, sim.cli; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert not {m.split(".")[0] for m in out.stdout.split()} & {"typer", "rich", "click"}


def test_the_users_own_settings_win() -> None:
    """An empty PYDANTIC_DISABLE_PLUGINS has pydantic look its plugins up again;
    OPENBLAS_NUM_THREADS as the user set it."""
    report = hallsim_run(PYDANTIC_DISABLE_PLUGINS="", OPENBLAS_NUM_THREADS="2")
    assert report["plugins_looked_up"] is True
    assert report["openblas"] == "2"


def test_start_up_keeps_a_callers_collector_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside the hallsim process (a test, a program running a command) the
    collector is left alone: on inside start-up, nothing frozen after."""
    monkeypatch.setattr(startup, "_owned", False)
    frozen = gc.get_freeze_count()
    with startup.start_up():
        assert gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_start_up_in_the_hallsim_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """In the hallsim process the collector is off during start-up, on again
    after it, and what start-up made is frozen, even when start-up fails."""
    monkeypatch.setattr(startup, "_owned", True)
    try:
        with pytest.raises(RuntimeError), startup.start_up():
            assert not gc.isenabled()
            made: list[list[int]] = [[]]  # something start-up made
            raise RuntimeError("bad scenario")
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        assert made
    finally:
        gc.unfreeze()  # this test process's objects go back to the collector
