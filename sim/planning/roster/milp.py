"""The one call into HiGHS (``scipy.optimize.milp``) every roster programme
makes: a sparse programme in, the solution, its status and the wall seconds out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

# scipy.optimize.milp status codes
OPTIMAL, TIME_LIMIT, INFEASIBLE = 0, 1, 2


@dataclass(frozen=True)
class Programme:
    """``min cost·x`` subject to ``lower <= matrix·x <= upper`` and
    ``0 <= x <= x_upper``; ``integral[i]`` says whether ``x[i]`` is an integer."""

    cost: np.ndarray
    matrix: Any  # a scipy.sparse array, rows x variables
    lower: np.ndarray
    upper: np.ndarray
    x_upper: np.ndarray
    integral: np.ndarray


@dataclass(frozen=True)
class Solution:
    """What HiGHS found: ``x`` (None if nothing within the time limit), its
    ``status`` (:data:`OPTIMAL`, :data:`TIME_LIMIT`, :data:`INFEASIBLE`, ...),
    the relative ``gap`` and the wall seconds."""

    x: np.ndarray | None
    status: int
    gap: float
    message: str
    seconds: float

    def describe(self) -> str:
        """``optimal`` or ``time limit, gap 1.2%``."""
        return "optimal" if self.status == OPTIMAL else f"time limit, gap {self.gap:.1%}"


def solve(
    prog: Programme,
    time_limit_s: float,
    *,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    relaxed: bool = False,
    gap: float = 1e-4,
) -> Solution:
    """Solve ``prog`` with HiGHS within ``time_limit_s`` wall seconds; ``bounds``
    replaces the variables' ``(lower, upper)``, ``relaxed`` drops integrality
    (the linear relaxation); HiGHS stops once its relative ``gap`` is proven."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    lower, upper = bounds if bounds is not None else (np.zeros(len(prog.cost)), prog.x_upper)
    integral = np.zeros(len(prog.cost)) if relaxed else prog.integral.astype(float)
    started = time.perf_counter()
    result = milp(
        prog.cost,
        integrality=integral,
        bounds=Bounds(lower, upper),
        constraints=LinearConstraint(prog.matrix, prog.lower, prog.upper),
        options={"time_limit": max(time_limit_s, 0.01), "mip_rel_gap": gap},
    )
    seconds = time.perf_counter() - started
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    return Solution(result.x, int(result.status), gap, str(result.message), seconds)


class Rows:
    """A constraint matrix built row by row: ``add(coefficients, lower, upper)``
    with coefficients as ``{column: value}``; :meth:`programme` assembles it. A
    row added with a ``soft`` tag (a coverage row) may fall short in the elastic
    programme, at a penalty per unit short."""

    def __init__(self) -> None:
        self._rows: list[int] = []
        self._cols: list[int] = []
        self._vals: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.soft: list[tuple[int, object]] = []  # (row, tag)

    def __len__(self) -> int:
        return len(self.lower)

    def add(
        self, coefficients: dict[int, float], lower: float, upper: float, soft: object = None
    ) -> int:
        """Add ``lower <= sum(value * x[column]) <= upper``; returns the row's index."""
        row = len(self.lower)
        for col, val in coefficients.items():
            if val:
                self._rows.append(row)
                self._cols.append(col)
                self._vals.append(val)
        self.lower.append(lower)
        self.upper.append(upper)
        if soft is not None:
            self.soft.append((row, soft))
        return row

    def programme(
        self,
        cost: np.ndarray,
        x_upper: np.ndarray,
        integral: np.ndarray,
        penalty: float | None = None,
    ) -> Programme:
        """The programme over ``len(cost)`` variables with these rows; with a
        ``penalty``, one more continuous variable per soft row (its shortfall,
        in the order of :attr:`soft`) costing ``penalty`` a unit."""
        from scipy import sparse

        rows, cols, vals = list(self._rows), list(self._cols), list(self._vals)
        n = len(cost)
        if penalty is not None:
            for i, (row, _) in enumerate(self.soft):
                rows.append(row)
                cols.append(n + i)
                vals.append(1.0)
            extra = len(self.soft)
            cost = np.concatenate([cost, np.full(extra, penalty)])
            x_upper = np.concatenate([x_upper, np.full(extra, np.inf)])
            integral = np.concatenate([integral, np.zeros(extra, dtype=bool)])
        matrix = sparse.csr_array((vals, (rows, cols)), shape=(len(self.lower), len(cost)))
        return Programme(
            cost, matrix, np.array(self.lower), np.array(self.upper), x_upper, integral
        )
