"""The people a roster puts on shifts: named staff from a staff file, or the
anonymous people of each contract a roster hires (``FT01``, ``PT03``), all
seen the same way by the solver: a contract, the counter groups they can
work, and per roster day the span they can work in (None: not that day)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WHOLE_DAY = (0.0, 86400.0)


@dataclass(frozen=True)
class Person:
    """Someone to roster: ``windows[d]`` is the span of roster day ``d`` they
    can work in (seconds after midnight) or None; ``source`` says where they
    were read (``staff.csv row 4``), empty for anonymous people."""

    id: str
    name: str
    contract: str
    skills: frozenset[str]
    windows: tuple[tuple[float, float] | None, ...]
    source: str = ""

    def can_work(self, day: int, group: str, start_s: float, end_s: float) -> bool:
        """True if this person may work ``group`` from ``start_s`` to ``end_s`` on day ``day``."""
        window = self.windows[day]
        return (
            group in self.skills
            and window is not None
            and window[0] <= start_s + 1e-6
            and end_s <= window[1] + 1e-6
        )

    def days_available(self) -> int:
        """Roster days this person can work at all."""
        return sum(w is not None for w in self.windows)


def id_prefix(contract: str, contracts: Sequence[str]) -> str:
    """``FT`` for ``full_time``, ``PT`` for ``part_time``: the initials of the
    contract's words, or its whole name when two contracts share initials."""

    def initials(name: str) -> str:
        return "".join(w[0] for w in name.replace("-", "_").split("_") if w).upper()

    mine = initials(contract)
    clash = sum(initials(c) == mine for c in contracts) > 1
    return contract if clash or not mine else mine


def anonymous(
    contract: str, count: int, contracts: Sequence[str], groups: Sequence[str], n_days: int
) -> list[Person]:
    """``count`` people on ``contract`` who can work every group all day every day."""
    prefix = id_prefix(contract, contracts)
    return [
        Person(f"{prefix}{i:02d}", "", contract, frozenset(groups), (WHOLE_DAY,) * n_days)
        for i in range(1, count + 1)
    ]
