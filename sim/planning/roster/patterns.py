"""Shift patterns: every shift the rules allow inside a day's opening hours, by
start, length and meal break, and the slot matrices the integer programmes
are built from. Patterns count grid steps from the day's opening."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.planning.roster.rules import RosterRules

_EPS_S = 1e-6


@dataclass(frozen=True, order=True)
class Pattern:
    """A shift: its first slot, its length and its meal break ``(first slot,
    slots)`` or None, in grid steps from opening."""

    start: int
    length: int
    meal: tuple[int, int] | None

    @property
    def kind(self) -> tuple[int, int, int]:
        """Start, length and break length: what a person's week depends on (the
        break's place within the shift does not change hours or rest)."""
        return (self.start, self.length, 0 if self.meal is None else self.meal[1])

    def at_work(self, k: int) -> bool:
        """On shift and not on break in slot ``k``."""
        on_break = self.meal is not None and self.meal[0] <= k < self.meal[0] + self.meal[1]
        return self.start <= k < self.start + self.length and not on_break


def patterns(
    n_slots: int, lengths_s: Sequence[float], rules: RosterRules, open_s: float, close_s: float
) -> list[Pattern]:
    """Every shift of the given lengths the rules allow inside opening hours."""
    out: list[Pattern] = []
    mb, grid = rules.meal_break, rules.grid
    for length_s in sorted(lengths_s):
        n = round(length_s / grid)
        for i in range(n_slots):
            if open_s + (i + n) * grid > close_s + _EPS_S:
                break
            if mb is None or length_s <= mb.over + _EPS_S:
                out.append(Pattern(i, n, None))
                continue
            work = round(mb.work_around(grid) / grid)  # grid steps before and after
            for nb in range(round(mb.min / grid), round(mb.max / grid) + 1):
                for j in range(i + work, i + n - nb - work + 1):
                    b0 = open_s + j * grid
                    if mb.fits(b0, b0 + nb * grid):
                        out.append(Pattern(i, n, (j, nb)))
    return sorted(out, key=lambda p: (p.start, p.length, p.meal or (0, 0)))


def matrices(pats: Sequence[Pattern], n_slots: int) -> tuple[np.ndarray, np.ndarray]:
    """(working, present): patterns x slots, 1 where at work / on shift."""
    present = np.zeros((len(pats), n_slots))
    for p, pat in enumerate(pats):
        present[p, pat.start : pat.start + pat.length] = 1.0
    working = present.copy()
    for p, pat in enumerate(pats):
        if pat.meal is not None:
            working[p, pat.meal[0] : pat.meal[0] + pat.meal[1]] = 0.0
    return working, present


def paid_h(pat: Pattern, rules: RosterRules) -> float:
    """Paid hours of a pattern: its length less an unpaid meal break."""
    meal_s = 0.0 if pat.meal is None else pat.meal[1] * rules.grid
    return rules.paid_s(pat.length * rules.grid, meal_s) / 3600.0


def paid_hours(pats: Sequence[Pattern], rules: RosterRules) -> np.ndarray:
    """:func:`paid_h` of each pattern."""
    return np.array([paid_h(p, rules) for p in pats])
