"""Who may hold a connection: limits per client address, and room kept for
requests that carry a valid token.

A server has only so many connections (``limits.connections``). Without more
rules, one address that opens them as fast as they are closed holds every
slot, and ingest gets 503 for as long as it runs. :class:`Admission` decides
for each new connection, before a byte of it is read:

- an address (IPv6: its /64) may open ``new_connections_per_s`` connections a
  second (bursts of twice that); beyond, the connection is refused at once
  (429, ``Retry-After``);
- an address may hold ``connections_per_client`` connections that have not
  shown a valid token; a new one beyond that takes the place of its oldest
  idle one (connected, or between requests, no request in progress), or is
  refused (429) when all of them are busy;
- all connections without a token together may hold
  ``connections - reserved_for_tokens``; a new one beyond that takes the place
  of the oldest idle one of the address holding the most of them (so a flood
  from many addresses evicts itself before a ticket system's one connection
  that has not sent its request yet), or, when none is idle, is let in on
  *probation* into the reserved room: its first request must carry a valid
  token (a hall's ingest token, or the read token), or it is answered 503;
- nothing is let in beyond ``connections``, unless an idle connection without
  a token can make room.

A connection that presents a valid token is trusted from then on: it counts
against no per-address limit and is never evicted (its own deadlines still
apply). So a flood of connections that show no token, from one address or
many, cannot keep a ticket system with a token out: each new connection
evicts an idle flooder, and its token keeps it.

A connection the server has not yet had a chance to read is not idle but
unheard: the server accepts a whole burst of connections before it reads any
of them, so under a flood a ticket system's connection would otherwise be
evicted by the flooders accepted after it before its request (and token) was
read. It may be evicted once the server has :meth:`~Admission.polled` it.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Literal, Protocol

Verdict = Literal["admitted", "probation", "rate", "client", "full"]
_PRUNE_AT = 4096  # addresses remembered before the idle ones are forgotten


class Connection(Protocol):
    """What admission needs of a connection."""

    client_key: str

    def evict(self) -> None:
        """Close the connection at once (admission has already forgotten it)."""


def client_key(peer: object) -> str:
    """The address a connection counts against: the IPv4 address, the /64 of
    an IPv6 one (one host usually holds a whole /64), ``local`` otherwise."""
    if not isinstance(peer, tuple) or not peer or not isinstance(peer[0], str):
        return "local"
    try:
        address = ipaddress.ip_address(peer[0].split("%", 1)[0])
    except ValueError:
        return peer[0]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


class Admission:
    """The connections of one server (see the module docstring). Called from
    the event loop only, so it needs no lock."""

    def __init__(
        self,
        *,
        connections: int,
        per_client: int,
        rate_per_s: float,
        reserve: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connections = connections
        self.per_client = per_client
        self.rate_per_s = rate_per_s
        self.burst = max(1.0, 2 * rate_per_s)
        self.untrusted_cap = max(1, connections - reserve)
        self._clock = clock
        self._all: set[Connection] = set()
        self._untrusted: dict[Connection, None] = {}  # oldest first
        self._by_client: dict[str, dict[Connection, None]] = {}  # untrusted, oldest first
        self._busy: set[Connection] = set()
        self._probation: set[Connection] = set()
        self._unpolled: set[Connection] = set()  # not yet read: not to be evicted
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, at)

    @property
    def open(self) -> int:
        return len(self._all)

    def admit(self, conn: Connection) -> Verdict:
        """Let ``conn`` in (perhaps evicting idle connections), on probation, or
        refuse it (``rate``, ``client``: 429; ``full``: 503)."""
        key = conn.client_key
        if not self._take(key):
            return "rate"
        mine = self._by_client.get(key)
        if mine is not None and len(mine) >= self.per_client and not self._evict_from(mine):
            return "client"
        if len(self._untrusted) >= self.untrusted_cap or len(self._all) >= self.connections:
            self._evict_from_largest()
        if len(self._all) >= self.connections:
            return "full"
        verdict: Verdict = "admitted"
        if len(self._untrusted) >= self.untrusted_cap:
            verdict = "probation"
        self._all.add(conn)
        self._unpolled.add(conn)
        self._untrusted[conn] = None
        self._by_client.setdefault(key, {})[conn] = None
        if verdict == "probation":
            self._probation.add(conn)
        return verdict

    def on_probation(self, conn: Connection) -> bool:
        """Whether ``conn`` must show a valid token in its next request."""
        return conn in self._probation

    def polled(self, conn: Connection) -> None:
        """The server has had a chance to read ``conn`` (what had come of its
        request is read): it may be judged idle from now on."""
        self._unpolled.discard(conn)

    def trust(self, conn: Connection) -> None:
        """``conn`` presented a valid token: it is kept from now on."""
        if conn in self._untrusted:
            del self._untrusted[conn]
            self._forget_client(conn)
        self._probation.discard(conn)

    def busy(self, conn: Connection, busy: bool) -> None:
        """A request of ``conn`` is in progress (it may not be evicted) or done."""
        if busy:
            self._busy.add(conn)
        else:
            self._busy.discard(conn)

    def gone(self, conn: Connection) -> None:
        """``conn`` is closed (idempotent)."""
        self._all.discard(conn)
        self._busy.discard(conn)
        self._probation.discard(conn)
        self._unpolled.discard(conn)
        if conn in self._untrusted:
            del self._untrusted[conn]
            self._forget_client(conn)

    def _forget_client(self, conn: Connection) -> None:
        mine = self._by_client.get(conn.client_key)
        if mine is not None:
            mine.pop(conn, None)
            if not mine:
                del self._by_client[conn.client_key]

    def _evict_from_largest(self) -> bool:
        """Close the oldest idle connection of the address holding the most
        connections without a token (the next largest if none of its own is
        idle): a flood from many addresses is evicted from itself, and a
        ticket system's one connection, about to send its request, is taken
        only when every address holds one."""
        holders = sorted(self._by_client.values(), key=len, reverse=True)
        return any(self._evict_from(mine) for mine in holders)

    def _evict_from(self, candidates: dict[Connection, None]) -> bool:
        """Close the oldest idle connection of ``candidates`` (not one the
        server has not yet read); whether there was one."""
        for conn in candidates:
            if conn not in self._busy and conn not in self._unpolled:
                self.gone(conn)
                conn.evict()
                return True
        return False

    def _take(self, key: str) -> bool:
        """Take one new-connection token of address ``key``, if it has one."""
        now = self._clock()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate_per_s)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > _PRUNE_AT:
            self._prune(now)
        return True

    def _prune(self, now: float) -> None:
        """Forget addresses whose bucket is full again and that hold nothing."""
        for key, (tokens, at) in list(self._buckets.items()):
            full = tokens + (now - at) * self.rate_per_s >= self.burst
            if full and key not in self._by_client:
                del self._buckets[key]

    def retry_after_s(self) -> int:
        """Seconds a refused address should wait: one new-connection token."""
        return max(1, round(1.0 / self.rate_per_s))
