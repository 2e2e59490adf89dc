"""The ``hallsim`` command line: one module per command family, thin wrappers
that parse options, call into the packages below and hand results to
:mod:`sim.reports` for tables, JSON and HTML."""

import importlib
from typing import TYPE_CHECKING, Any

from sim.cli.main import main

if TYPE_CHECKING:
    from sim.cli.main import app


def __getattr__(name: str) -> Any:
    # ``app`` imports every command's module: built on first use, not by the
    # entry point, which builds only the command it runs.
    if name == "app":
        # (``sim.cli.main`` the attribute is the function, not the module)
        return importlib.import_module("sim.cli.main").app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
