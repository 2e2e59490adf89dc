"""How ``hallmon serve`` runs uvicorn so that no client can hold the server.

uvicorn alone times out an idle keep-alive connection but not one that never
sends a request, sends half a request line or headers, or declares a body it
never sends; it bounds neither the size of the headers (with httptools) nor,
by default, the connections. :func:`protocol_class` adds to uvicorn's httptools
protocol a header deadline (``limits.header_timeout`` from the connection, or
from the first byte of the next request, to the end of the headers), a body
deadline (``limits.body_timeout`` from the end of the headers to the end of
the body) and a header size limit (431); a connection past a deadline is closed,
with a 408 if part of a request came. :func:`serve` also caps the open
connections (``limits.connections``, beyond which uvicorn answers 503), raises
the open-file soft limit to the hard limit, and keeps query strings (a token
someone put in ``?token=``) out of the access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from monitor.core.config import LimitsConfig

RESERVED_FILES = 64  # descriptors kept for the store, the pool, logs and the listener
GRACEFUL_S = 10  # in-flight requests get this long at shutdown
_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_431 = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-length: 0\r\nconnection: close\r\n\r\n"
)


def protocol_class(limits: LimitsConfig) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the deadlines and header limit of ``limits``."""

    class GuardedProtocol(HttpToolsProtocol):
        header_timeout_s = limits.header_timeout
        body_timeout_s = limits.body_timeout
        max_header_bytes = limits.max_header_bytes

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deadline: asyncio.TimerHandle | None = None
            self._in_headers = False
            self._header_bytes = 0
            self._started = False  # bytes of the current request have come

        def _arm(self, delay_s: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(delay_s, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            if self._started and (self.cycle is None or not self.cycle.response_started):
                self.transport.write(_408)
            self.transport.close()  # the app, if reading the body, sees a disconnect

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._in_headers = True
            self._arm(self.header_timeout_s)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._in_headers:
                self._started = True
                self._header_bytes += len(data)
            super().data_received(data)
            too_long = self._in_headers and self._header_bytes > self.max_header_bytes
            if too_long and not self.transport.is_closing():
                self.transport.write(_431)
                self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if not self._in_headers:  # the next request on a kept-alive connection
                self._in_headers, self._header_bytes = True, 0
                self._arm(self.header_timeout_s)
            self._started = True

        def on_headers_complete(self) -> None:
            self._in_headers = False
            self._arm(self.body_timeout_s)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            self._started = False
            super().on_message_complete()

    return GuardedProtocol


class ScrubQuery(logging.Filter):
    """Access log lines without query strings: a token put in ``?token=`` must
    not reach the log (uvicorn logs the path with its query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, mark, _ = args[2].partition("?")
            if mark:
                record.args = (*args[:2], path + "?[query not logged]", *args[3:])
        return True


def raise_open_files() -> int:
    """Raise the soft limit of open files to the hard limit (a server holds a
    descriptor per connection; 1024 is a common soft default); returns the soft
    limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):  # above the kernel's nr_open: keep
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return soft


def connection_limit(limits: LimitsConfig, open_files: int) -> int:
    """The connections to serve at once: the configured limit, but never more
    than the open-file limit leaves after :data:`RESERVED_FILES`."""
    return max(1, min(limits.connections, open_files - RESERVED_FILES))


def serve(app: FastAPI, limits: LimitsConfig, *, host: str, port: int, log_level: str) -> None:
    """Run ``app`` on ``host:port`` until SIGINT or SIGTERM, with ``limits``."""
    import uvicorn

    open_files = raise_open_files()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=protocol_class(limits),
        limit_concurrency=connection_limit(limits, open_files),
        timeout_keep_alive=max(1, round(limits.keep_alive)),
        timeout_graceful_shutdown=GRACEFUL_S,
        server_header=False,
    )
    logging.getLogger("uvicorn.access").addFilter(ScrubQuery())
    uvicorn.Server(config).run()
