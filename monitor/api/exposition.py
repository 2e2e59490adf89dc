"""``/metrics`` rendered at most once a second, whoever asks.

Rendering the exposition costs time in proportion to the series (a few
microseconds each); Prometheus servers, their replicas and curious people may
scrape at once. :class:`Exposition` keeps the last body: a scrape within
``min_interval_s`` of the last render gets it, and scrapers arriving while a
render runs wait for it and share it, so at most one render runs at a time and
at most one starts per interval. A new forecast or nowcast (``version()``
changes) is shown at the next scrape; the live counts in a body are at most
``min_interval_s`` old."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable


class Exposition:
    """The cached output of ``render()``; :meth:`body` is thread-safe."""

    def __init__(
        self,
        render: Callable[[], bytes],
        *,
        min_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        version: Callable[[], Hashable] = lambda: None,
    ) -> None:
        self._render = render
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._version = version
        self._lock = threading.Lock()
        self._body: bytes | None = None
        self._rendered_at = 0.0
        self._rendered_version: Hashable = None
        self.renders = 0  # since start, for tests and the curious

    def body(self) -> bytes:
        """The exposition, rendered now unless the last render is younger than
        the interval and of the same version."""
        with self._lock:  # a scraper arriving mid-render waits here, then shares it
            version = self._version()
            fresh = (
                self._body is not None
                and self._clock() - self._rendered_at < self._min_interval_s
                and version == self._rendered_version
            )
            if not fresh:
                self._body = self._render()
                self._rendered_at = self._clock()
                self._rendered_version = version
                self.renders += 1
            assert self._body is not None
            return self._body
