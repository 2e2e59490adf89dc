"""The exporter's background rounds: a job run again and again for as long as
its task lives, which one failure never stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn


async def every(
    interval_s: float, round_: Callable[[], Awaitable[object]], failed: str, log: logging.Logger
) -> NoReturn:
    """Run ``round_`` now and again ``interval_s`` seconds after each round
    ends; a round that raises is logged on ``log`` (``failed``, with the
    traceback) and the next one runs: a failed round must not stop the
    exporter."""
    while True:
        try:
            await round_()
        except Exception:
            log.exception(failed)
        await asyncio.sleep(interval_s)
