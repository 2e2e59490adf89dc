"""A background round that fails is logged with its traceback and the next
one runs, at the interval, for as long as the task lives."""

from __future__ import annotations

import asyncio
import logging

import pytest

from monitor.background.rounds import every


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
