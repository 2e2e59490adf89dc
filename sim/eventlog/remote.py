"""A replayed log's remote tickets as the records' remote columns
(:func:`sim.eventlog.convert.replay`): what the log tells of each holder's
journey and of the calls that came before it ended."""

from __future__ import annotations

import math
from typing import TypedDict

import numpy as np


class RemoteColumns(TypedDict, total=False):
    """:class:`sim.model.records.Records`' remote fields (absent: no remote ticket)."""

    travel_s: np.ndarray
    early_called_s: np.ndarray
    early_counter: np.ndarray


def remote_columns(
    remote: list[bool],
    hall_us: list[int | None],
    arrival_s: np.ndarray,
    called_s: np.ndarray,
    counter: np.ndarray,
) -> RemoteColumns:
    """Per ticket (in the records' order): issued remotely, its check-in
    (microseconds after midnight, None: none), issue and call (seconds) and
    counter index. The travel runs to the check-in (infinite: never checked in
    while the ticket lived); an early call is the call of a ticket whose holder
    had not checked in by then. Empty when no ticket was taken remotely."""
    if not any(remote):
        return {}
    hall_s = np.array(
        [
            (math.inf if at_us is None else at_us / 1e6) if is_remote else math.nan
            for is_remote, at_us in zip(remote, hall_us, strict=True)
        ]
    )
    early = ~np.isnan(hall_s) & (hall_s > called_s)
    return {
        "travel_s": hall_s - arrival_s,
        "early_called_s": np.where(early, called_s, math.nan),
        "early_counter": np.where(early, counter, -1),
    }
