"""How a log records customers who give up, as a command-line choice. Kept
apart from the event format so that ``hallsim --help`` does not load it."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

AbandonEvents = Literal["exact", "no_show"]


class AbandonMode(StrEnum):
    """When a give-up is logged: as it happens (``exact``, as the simulation
    knows it), or when the ticket is called and nobody comes (``no_show``, as a
    real ticket system sees it)."""

    exact = "exact"
    no_show = "no_show"
