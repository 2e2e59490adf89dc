"""The config of what clients may hold of the exporter (:mod:`monitor.core.config`
holds the rest): the server's connections, deadlines and readers (``limits:``)
and what each hall's ticket system may send (``limits.hall``, or a hall's own
``halls[i].limits``). See "Running it safely" in the manual
(docs/ops/hardening.md) for what each limit protects."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.model.fields import DurationS, FrozenModel


class HallLimitsConfig(FrozenModel):
    """What one hall's token may send: events a second (a bucket of
    ``events_burst`` events, refilled at ``events_per_s``) and bytes stored a
    local day (wall clock). Beyond either: 429 with Retry-After."""

    events_per_s: Annotated[float, Field(gt=0.0)] = 2000.0
    """Events a second the hall's batches may carry, on average."""
    events_burst: Annotated[int, Field(ge=1)] = 100_000
    """Events the hall may send at once beyond the average (a day's backlog after an outage); a
    larger batch passes when the bucket is full and leaves it in debt."""
    stored_bytes_per_day: Annotated[int, Field(ge=1024)] = 256 * 1024 * 1024
    """Bytes of request bodies whose events the store kept, a local day (wall clock); beyond,
    429 until local midnight."""


class HallLimitsOverride(FrozenModel):
    """A hall's own limits, each key replacing the file-wide one."""

    events_per_s: Annotated[float, Field(gt=0.0)] | None = None
    """The hall's ``events_per_s``."""
    events_burst: Annotated[int, Field(ge=1)] | None = None
    """The hall's ``events_burst``."""
    stored_bytes_per_day: Annotated[int, Field(ge=1024)] | None = None
    """The hall's ``stored_bytes_per_day``."""

    def over(self, base: HallLimitsConfig) -> HallLimitsConfig:
        """``base`` with the keys this override sets."""
        return base.model_copy(update=self.model_dump(exclude_none=True))


class LimitsConfig(FrozenModel):
    """What one client may hold of the server (see "Running it safely" in the
    manual, docs/ops/hardening.md): connections, in all and per client address,
    how fast one address may open them and how many only requests with a valid
    token may use; how long it may take to send a request; how many read
    requests run at once and how much of the server they may take from ingest;
    how often ``/metrics`` is rendered; and what each hall may send (``hall``)."""

    connections: Annotated[int, Field(ge=1)] = 1000
    """Open connections at once (never more than the open-file limit less 64); beyond, an idle
    connection without a token makes room, or the new one is answered 503."""
    connections_per_client: Annotated[int, Field(ge=1)] = 64
    """Connections one client address (IPv6: its /64) may hold without having shown a valid
    token; beyond, its oldest idle one makes room, or the new one is answered 429."""
    new_connections_per_s: Annotated[float, Field(gt=0.0)] = 50.0
    """New connections a second one client address may open (bursts of twice as many); beyond,
    429 with ``Retry-After``."""
    reserved_for_tokens: Annotated[int, Field(ge=0)] | None = None
    """Connections only requests with a valid token (a hall's or the read token) may use;
    default: a tenth of ``connections``."""
    header_timeout: Annotated[DurationS, Field(gt=0.0)] = 10.0
    """Time to send the request line and headers; beyond, the connection is closed (408 if part
    of a request came)."""
    body_timeout: Annotated[DurationS, Field(gt=0.0)] = 30.0
    """Time to send the whole body, after the headers; beyond, 408 and nothing of the batch is
    stored."""
    keep_alive: Annotated[DurationS, Field(gt=0.0)] = 5.0
    """How long an idle kept-alive connection stays open between requests."""
    max_header_bytes: Annotated[int, Field(ge=1024)] = 64 * 1024
    """Size of the request line and headers, however they arrive; beyond, 431."""
    readers: Annotated[int, Field(ge=1)] = 2
    """Read requests (``/metrics``, the ``/v1`` reads, pages, API docs) served at once; the
    others wait."""
    reader_wait: Annotated[DurationS, Field(gt=0.0)] = 10.0
    """How long a waiting reader waits for its turn; beyond, 503 with ``Retry-After: 1``."""
    ingest_share: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.5
    """While ingest is busy, readers together get at most ``1 - ingest_share`` of the time;
    0 leaves readers unmetered."""
    metrics_every: Annotated[DurationS, Field(ge=0.0)] = 1.0
    """``/metrics`` is rendered at most this often; scrapers in between get the cached body."""
    hall: HallLimitsConfig = HallLimitsConfig()
    """What each hall's ticket system may send (a hall may set its own, ``halls[i].limits``)."""

    @model_validator(mode="after")
    def _room_for_anyone(self) -> LimitsConfig:
        if self.reserved_for_tokens is not None and self.reserved_for_tokens >= self.connections:
            raise ValueError(
                f"reserved_for_tokens ({self.reserved_for_tokens}) must be below "
                f"connections ({self.connections})"
            )
        return self

    @property
    def token_reserve(self) -> int:
        """Connections kept for requests with a valid token."""
        if self.reserved_for_tokens is not None:
            return self.reserved_for_tokens
        return self.connections // 10
