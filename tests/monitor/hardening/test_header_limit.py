"""Issue 25, item 1: the header size limit holds however the bytes arrive.

Against a real ``hallmon serve`` (``max_header_bytes: 8192``) with raw
sockets: headers over the limit get 431 when they come in one write (the
round-one bug: the parser finished the head within the read and the check
came too late), in many small writes, and split across the limit in two
writes; a head just under the limit passes in each of those shapes, and so
does a large body sent in the same write as a small head (the body's bytes
are not head bytes). A second request pipelined behind a first one is held to
the limit too."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.monitor.conftest import TOKENS
from tests.monitor.hardening.conftest import issued, shared_server
from tests.monitor.server import Server

LIMIT = 8192
_LIMITS = f"limits: {{max_header_bytes: {LIMIT}, header_timeout: 5s}}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with shared_server(tmp_path_factory, "headers", _LIMITS) as running:
        yield running


def _head(total: int) -> bytes:
    """A GET of /healthz whose request line and headers are ``total`` bytes long."""
    start = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    filler = total - len(start) - len(b"X-Filler: \r\n\r\n")
    return start + b"X-Filler: " + b"a" * filler + b"\r\n\r\n"


def _exchange(server: Server, writes: list[bytes]) -> bytes:
    """Send ``writes`` one by one (each its own ``send``) and read the answer
    until the server closes or 2 s pass without more."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for chunk in writes:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break  # refused before all of it went out
        sock.settimeout(2.0)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            received += chunk
    return received


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0


def _one(head: bytes) -> list[bytes]:
    return [head]


def _many(head: bytes) -> list[bytes]:
    return [head[i : i + 500] for i in range(0, len(head), 500)]


def _split_at_the_limit(head: bytes) -> list[bytes]:
    """The first write ends just before the limit; the second crosses it."""
    return [head[: LIMIT - 100], head[LIMIT - 100 :]]


SHAPES = [_one, _many, _split_at_the_limit]


@pytest.mark.integration
@pytest.mark.parametrize("shape", SHAPES, ids=lambda f: f.__name__.strip("_"))
def test_headers_over_the_limit_are_431_however_they_arrive(server: Server, shape: object) -> None:
    assert callable(shape)
    for total in (LIMIT + 200, 100_000):  # just over, and the 100 KB
        reply = _exchange(server, shape(_head(total)))
        assert _status(reply) == 431, (total, reply[:200])
        assert b'"detail"' in reply  # the API's error shape
        assert server.alive()


@pytest.mark.integration
@pytest.mark.parametrize("shape", SHAPES, ids=lambda f: f.__name__.strip("_"))
def test_headers_under_the_limit_pass_however_they_arrive(server: Server, shape: object) -> None:
    assert callable(shape)
    reply = _exchange(server, shape(_head(LIMIT - 300)))
    assert _status(reply) == 200, reply[:300]


@pytest.mark.integration
def test_a_large_body_in_the_same_write_as_the_head_is_no_header(server: Server) -> None:
    events = [issued(i) for i in range(1500)]  # about 200 KB, far over the header limit
    body = json.dumps(events).encode()
    head = (
        f"POST /v1/halls/county/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKENS['county']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    reply = _exchange(server, [head + body])
    assert _status(reply) == 200, reply[:300]
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["accepted"] + json.loads(
        reply.split(b"\r\n\r\n", 1)[1]
    )["duplicates"] == len(events)


@pytest.mark.integration
def test_a_pipelined_request_is_held_to_the_limit_too(server: Server) -> None:
    first = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    reply = _exchange(server, [first + _head(LIMIT + 200)])
    statuses = [_status(b"HTTP/1.1 " + part) for part in reply.split(b"HTTP/1.1 ")[1:]]
    # the first answer may be lost: the connection closes as soon as the second
    # head is known too large, before the first request's answer is written
    assert statuses in ([200, 431], [431]), reply[:400]
