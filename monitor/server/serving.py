"""How ``hallmon serve`` runs uvicorn so that no client can hold the server.

uvicorn alone times out an idle keep-alive connection but not one that never
sends a request, sends half a request line or headers, or declares a body it
never sends; it bounds neither the size of the headers (with httptools) nor
what one client address may hold. :func:`protocol_class` adds to uvicorn's
httptools protocol:

- a header deadline (``limits.header_timeout`` from the connection, or from
  the first byte of the next request, to the end of the headers) and a body
  deadline (``limits.body_timeout`` from the end of the headers to the end of
  the body): a connection past one is closed, with a 408 if part of a request
  came;
- a header size limit (``limits.max_header_bytes``, the request line and the
  headers as sent): 431, however the bytes arrive (in one read with the body,
  or a byte at a time), checked as the parser reads each header and, while a
  header is still coming, on the bytes received;
- admission (:mod:`monitor.server.admission`): connections per client address,
  new connections per second per address, and room kept for requests with a
  valid token.

Every refusal it answers is JSON in the API's error shape (``{"detail":
...}``), with ``Retry-After`` where waiting helps. :func:`serve` binds the
socket first (a port in use is a one-line error), raises the open-file soft
limit to the hard limit, caps the connections at what the open files allow and
keeps query strings (a token someone put in ``?token=``) out of the access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import resource
import socket
from collections.abc import Callable
from typing import Any

import httptools
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from monitor.api.deps import presented_token
from monitor.core.limitsconfig import LimitsConfig
from monitor.server.admission import Admission, client_key
from sim.model.errors import InputError

RESERVED_FILES = 64  # descriptors kept for the store, the pool, logs and the listener
GRACEFUL_S = 10  # in-flight requests get this long at shutdown
_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


class ServeError(InputError):
    """The server cannot start (the port is taken, the address is not this
    machine's); the message says why."""


def refusal(status: int, detail: str, retry_after_s: int | None = None) -> bytes:
    """A whole HTTP/1.1 response that closes the connection, with a JSON body."""
    body = json.dumps({"detail": detail}).encode()
    head = [
        f"HTTP/1.1 {status} {_REASONS[status]}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
    ]
    if retry_after_s is not None:
        head.append(f"retry-after: {retry_after_s}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class _Refused(Exception):
    """Raised from a parser callback to stop reading a request that is refused."""


def protocol_class(
    limits: LimitsConfig, admission: Admission, is_token: Callable[[str], bool]
) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the deadlines, header limit and
    admission of ``limits``; ``is_token`` says whether a presented token is
    one the exporter knows (a hall's, or the read token)."""

    class GuardedProtocol(HttpToolsProtocol):
        header_timeout_s = limits.header_timeout
        body_timeout_s = limits.body_timeout
        max_header_bytes = limits.max_header_bytes

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deadline: asyncio.TimerHandle | None = None
            # "new": nothing came yet; "head": in a request's line and headers;
            # "body": past them; "idle": between requests
            self._phase = "new"
            self._header_bytes = 0  # of the current request's complete head lines
            self._stream_bytes = 0  # received while in the current request's head
            self._started = False  # bytes of the current request have come
            self._trusted = False  # a request of this connection showed a valid token
            self._refusal: bytes | None = None
            self.client_key = "local"

        # -- deadlines --------------------------------------------------------
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
                self.transport.write(refusal(408, "the request took too long to arrive"))
            self.transport.close()  # the app, if reading the body, sees a disconnect

        # -- admission --------------------------------------------------------
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.client_key = client_key(transport.get_extra_info("peername"))
            verdict = admission.admit(self)
            if verdict == "rate":
                self._close_with(
                    refusal(429, "too many new connections from this address",
                            admission.retry_after_s())
                )  # fmt: skip
            elif verdict == "client":
                self._close_with(
                    refusal(429, "too many open connections from this address without a "
                            "token; close some", 1)
                )  # fmt: skip
            elif verdict == "full":
                self._close_with(refusal(503, "the server holds all the connections it may", 1))
            else:
                self._arm(self.header_timeout_s)
                # Its reader is added in this turn of the loop; the next turn reads
                # what has come, and the one after that may judge it idle.
                self.loop.call_soon(self.loop.call_soon, admission.polled, self)

        def evict(self) -> None:
            """Make room for a newer connection: this one is idle and showed no token."""
            self._disarm()
            if not self.transport.is_closing():
                self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            admission.gone(self)
            super().connection_lost(exc)

        def _close_with(self, response: bytes) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self.transport.write(response)
                self.transport.close()

        def _refuse(self, response: bytes) -> None:
            """Stop parsing; :meth:`data_received` answers ``response`` and closes."""
            self._refusal = response
            raise _Refused

        # -- reading ------------------------------------------------------------
        def data_received(self, data: bytes) -> None:
            # a chunk that starts outside a request's body holds nothing of an
            # earlier request: its bytes up to the end of the head are head bytes
            whole = self._phase != "body"
            if whole:
                self._started = True
            self._unset_keepalive_if_required()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserCallbackError:
                if self._refusal is None:
                    self.logger.warning("Invalid HTTP request received.", exc_info=True)
                    self._close_with(refusal(400, "invalid HTTP request"))
                else:
                    self._close_with(self._refusal)
                return
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
                return
            except httptools.HttpParserError:
                self._close_with(refusal(400, "invalid HTTP request"))
                return
            if whole and self._phase in ("new", "head"):  # the head is still coming
                self._stream_bytes += len(data)
                if self._stream_bytes > self.max_header_bytes:
                    self._close_with(self._too_large())

        def _too_large(self) -> bytes:
            return refusal(
                431, f"the request line and headers are over {self.max_header_bytes} bytes"
            )

        def _count_head(self, size: int) -> None:
            self._header_bytes += size
            if self._header_bytes > self.max_header_bytes:
                self._refuse(self._too_large())

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._phase == "idle":  # the next request on a kept-alive connection
                self._arm(self.header_timeout_s)
            self._phase = "head"
            self._header_bytes = self._stream_bytes = 0
            self._started = True

        def on_url(self, url: bytes) -> None:
            self._count_head(len(url) + 16)  # with the method and the version
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count_head(len(name) + len(value) + 4)  # ": " and the line's end
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._phase = "body"
            if not self._trusted:
                authorization = next((v for k, v in self.headers if k == b"authorization"), None)
                token = presented_token(authorization.decode("latin-1") if authorization else None)
                if token is not None and is_token(token):
                    self._trusted = True
                    admission.trust(self)
                elif admission.on_probation(self):
                    self._refuse(
                        refusal(503, "the connections left are kept for requests with a valid "
                                "token", 1)
                    )  # fmt: skip
            self._arm(self.body_timeout_s)
            super().on_headers_complete()
            admission.busy(self, True)

        def on_message_complete(self) -> None:
            self._disarm()
            self._phase = "idle"
            self._started = False
            super().on_message_complete()

        def on_response_complete(self) -> None:
            admission.busy(self, False)
            super().on_response_complete()

        def send_400_response(self, msg: str) -> None:
            self._close_with(refusal(400, msg))

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


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; :class:`ServeError` saying why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ServeError(f"cannot listen on {host}:{port}: {why}") from None


def admission_for(limits: LimitsConfig, connections: int) -> Admission:
    return Admission(
        connections=connections,
        per_client=limits.connections_per_client,
        rate_per_s=limits.new_connections_per_s,
        reserve=min(limits.token_reserve, connections - 1),
    )


def serve(
    app: FastAPI,
    limits: LimitsConfig,
    *,
    sock: socket.socket,
    log_level: str,
    is_token: Callable[[str], bool],
) -> None:
    """Run ``app`` on the listening socket ``sock`` (:func:`listen`) until
    SIGINT or SIGTERM, with ``limits``."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    open_files = raise_open_files()
    admission = admission_for(limits, connection_limit(limits, open_files))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=protocol_class(limits, admission, is_token),
        timeout_keep_alive=max(1, round(limits.keep_alive)),
        timeout_graceful_shutdown=GRACEFUL_S,
        server_header=False,
    )
    logging.getLogger("uvicorn.access").addFilter(ScrubQuery())
    with sock:
        uvicorn.Server(config).run(sockets=[sock])
