"""What one hall may send: events a second and bytes stored a day.

Without a bound, one hall's token (a broken ticket system replaying a day in
a loop, or a stolen token) can fill the disk and take the server's time from
every other hall. Each hall has a bucket of ``events_burst`` events refilled at
``events_per_s`` (a batch needs as many tokens as it holds events, or the whole
bucket when it holds more), and a budget of ``stored_bytes_per_day`` bytes a
local day (by the wall clock: what arrives today, whatever its events' dates),
counted as the request bodies of the events that add to the store (new events
and conflicting versions; a JSON body is larger than what its events take in
the store, so the store grows by less) and kept in the store, so a restart
does not give a hall a new day's budget. Over either,
the batch is refused before anything is stored
(:class:`~monitor.core.errors.RateLimited`, 429) with the seconds until it
would pass; a hall that keeps sending while refused is refused before its body
is read (:meth:`HallIntake.refuse_early`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from monitor.core.errors import RateLimited
from monitor.core.limitsconfig import HallLimitsConfig
from monitor.core.snapshot import HALL_LIMITS

EVENTS, BYTES = HALL_LIMITS


class HallIntake:
    """One hall's event bucket and day budget; thread-safe."""

    def __init__(
        self,
        hall: str,
        limits: HallLimitsConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hall = hall
        self.limits = limits
        self._clock = clock
        self._tokens = float(limits.events_burst)
        self._filled_at = clock()
        self._wanted = 1.0  # tokens the last refused batch needed
        self._day: str | None = None
        self._day_bytes = 0
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        burst = self.limits.events_burst
        self._tokens = min(burst, self._tokens + (now - self._filled_at) * self.limits.events_per_s)
        self._filled_at = now

    def refuse_early(self, day: str, seconds_to_midnight: float) -> RateLimited | None:
        """The refusal for a batch of this hall before its body is read: while its
        bucket holds fewer tokens than its last refused batch needed, or its day
        budget is spent; else None."""
        with self._lock:
            self._refill(self._clock())
            if self._tokens < self._wanted:
                return self._too_fast(self._wanted)
            if self._day == day and self._day_bytes >= self.limits.stored_bytes_per_day:
                return self._too_much(seconds_to_midnight)
        return None

    def take(self, events: int) -> None:
        """Take ``events`` tokens for a batch, or :class:`RateLimited`."""
        needed = float(min(events, self.limits.events_burst))
        with self._lock:
            self._refill(self._clock())
            if self._tokens < needed:
                self._wanted = needed
                raise self._too_fast(needed)
            self._wanted = 1.0
            self._tokens -= events  # a batch over the burst leaves the bucket in debt

    def _too_fast(self, needed: float) -> RateLimited:
        wait_s = math.ceil((needed - self._tokens) / self.limits.events_per_s)
        return RateLimited(
            f"hall {self.hall!r} sends more than {self.limits.events_per_s:g} events a second "
            f"(bursts of {self.limits.events_burst}); nothing was stored, send it again "
            f"in {wait_s} s",
            limit=EVENTS,
            retry_after_s=max(1, wait_s),
        )

    def check_room(self, day: str, added_bytes: int, seconds_to_midnight: float) -> None:
        """:class:`RateLimited` when storing ``added_bytes`` more today would pass
        the day's budget."""
        with self._lock:
            used = self._day_bytes if self._day == day else 0
            if used + added_bytes > self.limits.stored_bytes_per_day:
                raise self._too_much(seconds_to_midnight)

    def _too_much(self, seconds_to_midnight: float) -> RateLimited:
        wait_s = max(1, math.ceil(seconds_to_midnight))
        return RateLimited(
            f"hall {self.hall!r} stored its {self.limits.stored_bytes_per_day} bytes for today "
            f"(limits.hall.stored_bytes_per_day); nothing was stored, send it again after "
            f"local midnight, in {wait_s} s",
            limit=BYTES,
            retry_after_s=wait_s,
        )

    def stored(self, day: str, added_bytes: int) -> None:
        """Count ``added_bytes`` stored on local ``day`` (after the commit)."""
        with self._lock:
            if self._day != day:
                self._day, self._day_bytes = day, 0
            self._day_bytes += added_bytes

    def used(self, day: str) -> int:
        """Bytes stored on local ``day`` as counted here."""
        with self._lock:
            return self._day_bytes if self._day == day else 0
