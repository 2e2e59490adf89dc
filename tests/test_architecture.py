"""Boundaries the design depends on."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

LIVE_SIDE = {"monitor", "fastapi", "starlette", "uvicorn", "prometheus_client", "httpx"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_sim_never_imports_the_live_side() -> None:
    offenders = {
        str(path): sorted(imported_roots(path) & LIVE_SIDE) for path in Path("sim").rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (``from a.b import c`` gives ``a.b``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_monitor_imports_no_command_line_module_of_sim() -> None:
    """The live side uses the planner's library, never its CLI (typer commands,
    option declarations): those may change with the command line."""
    offenders = {
        str(path): sorted(m for m in imported_modules(path) if m.startswith("sim.cli"))
        for path in Path("monitor").rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_sim_packages_read_as_a_stack() -> None:
    """A package imports only those below it: model < runs < eventlog < planning,
    calibration, live < reports < cli (reports may present anything below it)."""
    rank = {"model": 0, "runs": 1, "eventlog": 2, "planning": 3, "calibration": 3, "live": 3,
            "reports": 4, "cli": 5}  # fmt: skip
    problems = []
    for package, level in rank.items():
        for path in Path("sim", package).rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                below = parts[0] != "sim" or len(parts) < 2 or parts[1] not in rank
                if not below and parts[1] != package and rank[parts[1]] >= level:
                    problems.append(f"{path} imports {module}")
    assert not problems, "\n".join(problems)


def test_sim_has_no_print_outside_the_cli() -> None:
    for path in Path("sim").rglob("*.py"):
        if path.parts[1] == "cli":
            continue
        calls = [
            node
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
        ]
        assert not calls, f"{path} prints"


def test_cli_start_up_stays_light() -> None:
    """``hallsim`` must start fast: plotting and scipy load only where used."""
    code = (
        "import sys, sim.cli.main, sim.model.hall, sim.runs.experiment;"
        " print(' '.join(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert not {m for m in loaded if m.split(".")[0] in {"matplotlib", "scipy", *LIVE_SIDE}}


def test_a_multi_replication_run_loads_no_scipy() -> None:
    """Confidence intervals use sim.model.tdist, so scipy's 0.27 s import stays out."""
    code = (
        "import sys; from sim.model.scenario import load_scenario; "
        "from sim.runs.experiment import run_experiment; "
        "run_experiment(load_scenario('scenarios/county.yaml'), 3, 1).summary(); "
        "print(' '.join(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert not {m for m in out.stdout.split() if m.split(".")[0] in {"scipy", "matplotlib"}}


def test_importing_the_app_opens_nothing(tmp_path: Path) -> None:
    """``monitor.app`` at import time reads no environment, opens no store and
    no socket: ``create_app(settings)`` does that, in its lifespan."""
    root = Path(__file__).resolve().parents[1]
    code = (
        "import socket, sqlite3\n"
        "def refuse(*a, **k): raise AssertionError('opened at import time')\n"
        "sqlite3.connect = refuse\n"
        "socket.socket.bind = refuse\n"
        "socket.socket.connect = refuse\n"
        "import monitor.app, monitor.cli, monitor.service, monitor.background\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, check=True, env={"PYTHONPATH": str(root)}
    )
    assert list(tmp_path.iterdir()) == []


def test_package_exports_resolve_and_never_shadow_a_module() -> None:
    """Each sub-package's ``__all__`` names resolve lazily to the object of the
    module it names, and no exported name is also a sub-module's name (an import
    of that sub-module would silently replace the export)."""
    import importlib
    import pkgutil

    import sim

    for info in pkgutil.iter_modules(sim.__path__):
        if not info.ispkg or info.name == "cli":
            continue
        package = importlib.import_module(f"sim.{info.name}")
        modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
        for name in package.__all__:
            assert name not in modules, f"sim.{info.name}.{name} is also a module"
            obj = getattr(package, name)
            assert obj is not None
            home = getattr(obj, "__module__", None)
            if home is not None and home.startswith("sim."):
                assert home.startswith(f"sim.{info.name}."), (name, home)


def test_hallsim_help_loads_no_numpy() -> None:
    """``hallsim --help`` and argument errors answer before numpy (80 ms) loads:
    the commands import the model when they run."""
    code = "import sys, sim.cli; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert "numpy" not in loaded and "simpy" not in loaded
