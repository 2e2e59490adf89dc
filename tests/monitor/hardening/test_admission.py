"""Issue 25, item 3: limits per client address, and room kept for tokens.

The rules of :class:`~monitor.server.admission.Admission` on their own (a
clock and connections made here), then a real ``hallmon serve`` under the
issue's flood: clients that reconnect as fast as they are dropped, holding
more sockets than the server serves, from one address (127.0.0.2) and from
twenty (127.0.0.10-29; all of 127.0.0.0/8 is this machine), while the ticket
system (127.0.0.1) posts a batch on a new connection every time. Before the
fix ingest got 503 for every probe as long as the flood ran."""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from monitor.server.admission import Admission, client_key
from tests.monitor.conftest import ENV, auth, write_config
from tests.monitor.hardening.conftest import issued, shared_server
from tests.monitor.server import Server, running_server

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Event as Stop

    Count = Synchronized[int]  # a shared int: connections the flood opened


class Conn:
    def __init__(self, key: str) -> None:
        self.client_key = key
        self.evicted = False

    def evict(self) -> None:
        self.evicted = True


def _admission(**kw: float) -> tuple[Admission, list[float]]:
    now = [0.0]
    options = {"connections": 10, "per_client": 4, "rate_per_s": 100.0, "reserve": 2} | kw
    admission = Admission(
        connections=int(options["connections"]),
        per_client=int(options["per_client"]),
        rate_per_s=options["rate_per_s"],
        reserve=int(options["reserve"]),
        clock=lambda: now[0],
    )
    return admission, now


def test_an_address_over_its_share_evicts_its_own_oldest_idle_connection() -> None:
    admission, _ = _admission()
    mine = [Conn("10.0.0.1") for _ in range(4)]
    assert [admission.admit(c) for c in mine] == ["admitted"] * 4
    for c in mine:
        admission.polled(c)  # each sent a byte and went quiet
    other = Conn("10.0.0.2")
    assert admission.admit(other) == "admitted"
    fifth = Conn("10.0.0.1")
    assert admission.admit(fifth) == "admitted"
    assert mine[0].evicted and not any(c.evicted for c in mine[1:]) and not other.evicted
    for c in mine[1:]:
        admission.busy(c, True)  # requests in progress: never evicted
    admission.busy(fifth, True)
    assert admission.admit(Conn("10.0.0.1")) == "client"  # all of its four are busy


def test_a_token_exempts_a_connection_from_its_address_limit() -> None:
    admission, _ = _admission()
    mine = [Conn("10.0.0.1") for _ in range(4)]
    for c in mine:
        admission.admit(c)
        admission.trust(c)
    assert admission.admit(Conn("10.0.0.1")) == "admitted"
    assert not any(c.evicted for c in mine)


def test_new_connections_per_address_are_rate_limited() -> None:
    admission, now = _admission(rate_per_s=5.0, per_client=100, connections=100, reserve=1)
    verdicts = [admission.admit(Conn("10.0.0.1")) for _ in range(12)]
    assert verdicts == ["admitted"] * 10 + ["rate"] * 2  # a burst of 2 s
    assert admission.admit(Conn("10.0.0.2")) == "admitted"  # another address is not held up
    now[0] += 0.2  # one more token
    assert admission.admit(Conn("10.0.0.1")) == "admitted"
    assert admission.admit(Conn("10.0.0.1")) == "rate"


def test_room_is_kept_for_tokens() -> None:
    admission, _ = _admission(per_client=100)
    flood = [Conn(f"10.0.1.{i}") for i in range(8)]  # 10 connections, 2 kept for tokens
    for c in flood:
        assert admission.admit(c) == "admitted"
        admission.busy(c, True)  # slow readers: nothing to evict
    first, second, third = Conn("10.0.2.1"), Conn("10.0.2.2"), Conn("10.0.2.3")
    assert admission.admit(first) == "probation"  # in the kept room, if it shows a token
    assert admission.on_probation(first)
    admission.trust(first)
    assert not admission.on_probation(first)
    assert admission.admit(second) == "probation"
    admission.polled(second)  # it sent something, but no request with a token yet
    assert admission.admit(third) == "probation" and second.evicted
    admission.busy(third, True)  # its request is in progress
    fourth = Conn("10.0.2.4")
    assert admission.admit(fourth) == "full"  # nothing left, nothing idle to evict
    admission.polled(flood[0])
    admission.busy(flood[0], False)
    assert admission.admit(fourth) == "probation" and flood[0].evicted
    assert admission.open == 10


def test_a_connection_not_read_yet_is_not_evicted() -> None:
    """The server accepts a burst of connections before it reads any: a ticket
    system's connection accepted first in a burst of flooders must not be
    evicted by them before its request (and token) has been read."""
    admission, _ = _admission(per_client=100)  # 8 without a token, 2 kept for tokens
    old = [Conn(f"10.0.1.{i}") for i in range(7)]
    for c in old:
        admission.admit(c)
        admission.polled(c)  # flooders that were read and went quiet
    ticket_system = Conn("127.0.0.1")
    assert admission.admit(ticket_system) == "admitted"
    burst = [Conn(f"10.0.2.{i}") for i in range(12)]  # accepted with it, none read yet
    verdicts = [admission.admit(c) for c in burst]
    assert all(c.evicted for c in old)  # the quiet ones made room
    assert not ticket_system.evicted
    assert verdicts == ["admitted"] * 7 + ["probation"] * 2 + ["full"] * 3
    for c in [ticket_system, *burst]:
        admission.polled(c)  # the server has read them
    admission.trust(ticket_system)  # its request came, with a token
    assert admission.admit(Conn("10.0.3.1")) == "probation"  # room from a flooder
    assert burst[0].evicted and not ticket_system.evicted


def test_a_flood_evicts_itself_before_a_lone_connection() -> None:
    """A ticket system's one connection, read and not yet sending (its process
    descheduled between connect and send), is older than the flood's newest:
    oldest first anywhere, twenty addresses churning the pool evicted it. The
    address holding the most connections without a token gives one up first;
    among addresses holding as many, the oldest connection goes."""
    admission, _ = _admission(connections=10, per_client=100, reserve=2)
    ticket_system = Conn("10.0.4.1")
    flood = [Conn(f"10.0.5.{i % 3}") for i in range(7)]  # three addresses: 3, 2 and 2
    for c in [ticket_system, *flood]:  # the ticket system's is the oldest of all
        assert admission.admit(c) == "admitted"
        admission.polled(c)
    for i in range(4):  # the flood's next connections, each from a new address
        newer = Conn(f"10.0.6.{i}")
        assert admission.admit(newer) == "admitted"
        admission.polled(newer)
    assert not ticket_system.evicted
    assert sum(c.evicted for c in flood) == 4  # now every address holds one
    admission.admit(Conn("10.0.6.9"))
    assert ticket_system.evicted  # the oldest of equals


def test_closed_connections_are_forgotten_and_addresses_are_pruned() -> None:
    admission, now = _admission(connections=5000, per_client=5000, reserve=1)
    conns = [Conn(f"10.1.{i // 250}.{i % 250}") for i in range(4200)]
    for c in conns:
        admission.admit(c)
    for c in conns:
        admission.gone(c)
        admission.gone(c)  # twice is harmless
    assert admission.open == 0
    now[0] += 10.0
    admission.admit(Conn("10.9.9.9"))
    assert len(admission._buckets) < 100  # the idle addresses were forgotten


def test_client_keys() -> None:
    assert client_key(("127.0.0.2", 5000)) == "127.0.0.2"
    assert client_key(("::ffff:10.1.2.3", 5000, 0, 0)) == "10.1.2.3"
    assert client_key(("2001:db8:1:2:3:4:5:6", 5000, 0, 0)) == "2001:db8:1:2::/64"
    assert client_key(None) == "local"


# -- a real server under the flood ----------------------------------------

LIMITS = (
    "limits: {connections: 120, connections_per_client: 30, new_connections_per_s: 2000, "
    "reserved_for_tokens: 20, header_timeout: 5s}"
)


def _flood(port: int, sources: list[str], sockets_each: int, stop: Stop, opened: Count) -> None:
    """Hold ``sockets_each`` sockets from each source address, each sending one
    byte, and open a new one whenever one is closed, until ``stop``; counts
    the connections opened in ``opened``. Runs in a process of its own (see
    :func:`_flooded`)."""

    def hold(source: str) -> None:
        held: list[socket.socket] = []
        while not stop.is_set():
            alive = []
            for sock in held:
                try:
                    sock.setblocking(False)
                    closed = sock.recv(1) == b""
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                if closed:
                    sock.close()
                else:
                    alive.append(sock)
            held = alive
            while len(held) < sockets_each and not stop.is_set():
                try:
                    sock = socket.create_connection(
                        ("127.0.0.1", port), timeout=2, source_address=(source, 0)
                    )
                    sock.sendall(b"G")
                except OSError:
                    break
                held.append(sock)
                with opened.get_lock():
                    opened.value += 1
            time.sleep(0.01)
        for sock in held:
            sock.close()

    threads = [threading.Thread(target=hold, args=(s,), daemon=True) for s in sources]
    for t in threads:
        t.start()
    stop.wait()
    for t in threads:
        t.join(10)


@contextmanager
def _flooded(server: Server, sources: list[str], sockets_each: int) -> Iterator[Count]:
    """The flood in a process of its own: its threads must not hold the GIL the
    probes of this process need to send their requests (with them in one
    process, a probe's request could wait behind twenty flooding threads long
    enough for a burst to evict its connection, which measured the test's
    client, not the server)."""
    context = multiprocessing.get_context("spawn")
    stop, opened = context.Event(), context.Value("i", 0)
    runner = context.Process(
        target=_flood, args=(server.port, sources, sockets_each, stop, opened), daemon=True
    )
    runner.start()
    try:
        time.sleep(1.5)  # let the flood fill the server
        yield opened
    finally:
        stop.set()
        runner.join(30)
        if runner.is_alive():
            runner.kill()


def _probes(server: Server, n: int) -> list[int]:
    """Ingest on a new connection each time, as a ticket system does after an error."""
    statuses = []
    for i in range(n):
        with httpx.Client(base_url=server.url, timeout=10) as client:
            try:
                reply = client.post(
                    "/v1/halls/county/events", json=[issued(i)], headers=auth("county")
                )
                statuses.append(reply.status_code)
            except httpx.TransportError:
                statuses.append(0)
        time.sleep(0.05)
    return statuses


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with shared_server(tmp_path_factory, "admission", LIMITS) as running:
        yield running


@pytest.mark.integration
def test_one_address_reconnecting_as_fast_as_it_is_dropped_cannot_shut_ingest_out(
    server: Server,
) -> None:
    with _flooded(server, ["127.0.0.2"], sockets_each=1100):
        statuses = _probes(server, 30)
        # a reader from a third address gets in too: one address holds 30 of 120
        other = httpx.get(server.url + "/healthz", timeout=10)
    assert statuses == [200] * 30, statuses
    assert other.status_code == 200


@pytest.mark.integration
def test_a_flood_from_many_addresses_cannot_shut_ingest_out(server: Server) -> None:
    sources = [f"127.0.0.{i}" for i in range(10, 30)]  # 20 x 10 sockets: over the 120
    with _flooded(server, sources, sockets_each=10):
        statuses = _probes(server, 30)
    assert statuses == [200] * 30, statuses
    assert server.alive()


@pytest.mark.integration
def test_an_address_opening_connections_too_fast_gets_429(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, extra="limits: {new_connections_per_s: 5, connections_per_client: 100}"
    )
    with running_server(config, ENV, log=tmp_path / "hallmon.log") as running:
        socks = [  # 30 at once: a burst of two seconds' worth (10) gets in
            socket.create_connection(("127.0.0.1", running.port), source_address=("127.0.0.3", 0))
            for _ in range(30)
        ]
        replies = []
        for sock in socks:
            with sock:
                with contextlib.suppress(OSError):  # refused and closed before it went out
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                sock.settimeout(10)
                received = b""
                try:
                    while chunk := sock.recv(65536):
                        received += chunk
                except OSError:
                    pass
                replies.append(received)
        statuses = [int(r.split(b" ", 2)[1]) if r else 0 for r in replies]
        assert statuses.count(200) <= 12, statuses  # the burst, and what refilled meanwhile
        refused = [r for r in replies if r.startswith(b"HTTP/1.1 429 ")]
        assert len(refused) >= 15, statuses
        assert all(b"retry-after: 1\r\n" in r and b"too many new connections" in r for r in refused)
        # another address is not held up by this one
        assert httpx.get(running.url + "/healthz", timeout=10).status_code == 200
