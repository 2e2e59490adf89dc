"""Lazy public names for the sub-packages of :mod:`sim`.

Each package's ``__init__`` lists the names it exports and the module that
defines them; a name is imported on first use (PEP 562), so ``import
sim.model.scenario`` for ``hallsim --help`` does not load the SimPy model,
numpy-heavy KPIs or matplotlib. Type checkers see the same names through the
``TYPE_CHECKING`` imports each ``__init__`` repeats.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], list[str]]:
    """``(__getattr__, __all__)`` for ``package``: ``exports`` maps each public
    name to the module (relative to ``package``) that defines it."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__, sorted(exports)
