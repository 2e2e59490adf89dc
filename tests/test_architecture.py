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


def imported_modules(path: Path, *, typing_only: bool = True) -> set[str]:
    """Every absolute module name ``path`` imports (``from a.b import c`` gives ``a.b``);
    ``typing_only=False`` leaves out imports under ``if TYPE_CHECKING:`` (names
    for type hints, never loaded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if not typing_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
    names: set[str] = set()
    for node in ast.walk(tree):
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


def upward_imports(root: str, rank: dict[str, int]) -> list[str]:
    """Imports by a package of ``root`` of a package of ``root`` at its own rank or
    above (its own modules aside); every package of ``root`` must be ranked."""
    problems = []
    for path in sorted(Path(root).rglob("*.py")):
        parts = path.relative_to(root).parts
        if len(parts) == 1:  # root/__init__.py, __main__.py: the package's front
            continue
        package = parts[0]
        assert package in rank, f"{root}/{package} is not placed in the stack"
        for module in imported_modules(path):
            names = module.split(".")
            if names[0] != root or len(names) < 2 or names[1] == package:
                continue
            if names[1] not in rank:  # a top-level module of root: its front, below all
                if not Path(root, f"{names[1]}.py").is_file():
                    problems.append(f"{path} imports {module}, which is not placed")
            elif rank[names[1]] >= rank[package]:
                problems.append(f"{path} imports {module}")
    return problems


def test_sim_packages_read_as_a_stack() -> None:
    """A package imports only those below it: model < runs < eventlog < planning,
    calibration, live < learning < reports < cli (reports may present anything
    below it)."""
    rank = {"model": 0, "runs": 1, "eventlog": 2, "planning": 3, "calibration": 3, "live": 3,
            "learning": 4, "reports": 5, "cli": 6}  # fmt: skip
    problems = upward_imports("sim", rank)
    assert not problems, "\n".join(problems)


MONITOR_STACK = {"core": 0, "background": 1, "ops": 1, "replay": 1, "api": 2, "notify": 2, "web": 3,
                 "server": 4, "demo": 5, "cli": 6}  # fmt: skip


def test_monitor_packages_read_as_a_stack() -> None:
    """The live core at the bottom; the background simulation, ops configuration
    and the replay client beside each other above it; then the HTTP edge, the
    pages, the server that assembles them, the demo, and the commands on top."""
    problems = upward_imports("monitor", MONITOR_STACK)
    assert not problems, "\n".join(problems)


def test_the_monitor_core_speaks_no_http_and_runs_no_simulation() -> None:
    """The core raises domain errors that the HTTP edge maps to statuses; it
    imports neither the web stack nor Prometheus' client, nor the simulation
    side the background runs (``sim.live``, the hall model)."""
    banned = {"fastapi", "starlette", "uvicorn", "httpx", "prometheus_client"}
    offenders = {}
    for path in Path("monitor", "core").rglob("*.py"):
        modules = imported_modules(path, typing_only=False)
        bad = sorted(m for m in modules if m.split(".")[0] in banned)
        bad += sorted(m for m in modules if m.startswith(("sim.live", "sim.model.hall")))
        if bad:
            offenders[str(path)] = bad
    assert not offenders


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
    """``monitor.server.app`` at import time reads no environment, opens no store and
    no socket: ``create_app(settings)`` does that, in its lifespan."""
    root = Path(__file__).resolve().parents[1]
    code = (
        "import socket, sqlite3\n"
        "def refuse(*a, **k): raise AssertionError('opened at import time')\n"
        "sqlite3.connect = refuse\n"
        "socket.socket.bind = refuse\n"
        "socket.socket.connect = refuse\n"
        "import monitor.server.app, monitor.cli.app, monitor.core.monitor\n"
        "import monitor.background.loops\n"
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


def test_the_test_files_the_code_names_exist() -> None:
    """Docstrings that send the reader to a test file (``tests/.../test_x.py``,
    optionally ``::test_name``) point at a file and test that exist."""
    import re

    named = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+))?")
    missing = []
    for path in [*Path("sim").rglob("*.py"), *Path("monitor").rglob("*.py")]:
        for file, test in named.findall(path.read_text(encoding="utf-8")):
            target = Path(file)
            if not target.is_file() or (test and f"def {test}(" not in target.read_text()):
                missing.append(f"{path} names {file}{'::' + test if test else ''}")
    assert not missing, "\n".join(missing)
