"""A background round that fails is logged with its traceback and the next
one runs, at the interval, for as long as the task lives; the longest delay
of a recent window, which the nowcast's schedule leaves room for."""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.background.rounds import LongestRecent, every


def test_a_failed_round_is_logged_and_the_next_runs(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    async def round_() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("broken on the first round")

    async def three_rounds() -> None:
        task = asyncio.create_task(every(0.01, round_, "test round failed", logging.getLogger("t")))
        while len(calls) < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.ERROR, logger="t"):
        asyncio.run(asyncio.wait_for(three_rounds(), 10))
    failed = [r for r in caplog.records if r.getMessage() == "test round failed"]
    assert len(failed) == 1 and failed[0].exc_info is not None
    assert calls[:3] == [0, 1, 2]


@given(
    st.lists(
        st.tuples(st.floats(0, 30), st.floats(0, 100), st.booleans()),
        max_size=60,
    )
)
def test_the_longest_recent_is_the_windows_maximum(steps: list[tuple[float, float, bool]]) -> None:
    """Against every value kept and scanned: values added, time moving on, asked
    at any point."""
    now = [0.0]
    recent = LongestRecent(60.0, clock=lambda: now[0])
    seen: list[tuple[float, float]] = []
    for advance_s, value, ask in steps:
        now[0] += advance_s
        recent.add(value)
        seen.append((now[0], value))
        if ask:
            window = [v for at, v in seen if at >= now[0] - 60.0]
            assert recent.longest() == max(window, default=0.0)
    now[0] += 61.0
    assert recent.longest() == 0.0  # all gone out of the window


def test_a_long_delay_counts_until_it_leaves_the_window() -> None:
    now = [100.0]
    recent = LongestRecent(60.0, clock=lambda: now[0])
    assert recent.longest() == 0.0
    recent.add(9.0)
    now[0] += 30.0
    recent.add(1.0)
    assert recent.longest() == 9.0
    now[0] += 30.0
    assert recent.longest() == 9.0  # 60 s old: still in
    now[0] += 0.5
    assert recent.longest() == 1.0
