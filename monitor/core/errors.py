"""What the live core refuses, as domain errors. The core never speaks HTTP: the
edge maps each kind to its status in one place (:mod:`monitor.api.errors`).
``detail`` says why, as a sentence or as the list of bad events; an error
that passes when retried says after how long (``retry_after_s``)."""

from __future__ import annotations

from typing import TypedDict


class Problem(TypedDict):
    """One bad event of a batch: its 0-based index (None: the whole body), the
    field at fault (None: the event as a whole) and why."""

    index: int | None
    field: str | None
    reason: str


class MonitorError(Exception):
    """A request the exporter refuses, and why."""

    retry_after_s: int | None = None

    def __init__(self, detail: str | list[Problem], *, retry_after_s: int | None = None) -> None:
        super().__init__(detail if isinstance(detail, str) else f"{len(detail)} problem(s)")
        self.detail = detail
        if retry_after_s is not None:
            self.retry_after_s = retry_after_s


class HallNotServed(MonitorError):
    """A hall this exporter (or shard) does not serve."""


class NotAuthenticated(MonitorError):
    """No token, or one no hall has (``read``: the read token was wanted)."""

    def __init__(self, detail: str, *, read: bool = False) -> None:
        super().__init__(detail)
        self.read = read


class Forbidden(MonitorError):
    """A hall's token used for another hall, or events naming another hall."""


class InvalidEvents(MonitorError):
    """A batch with bad events: ``detail`` lists each; nothing was stored."""


class BodyTooLarge(MonitorError):
    """A request body over the configured limit."""


class UnsupportedBody(MonitorError):
    """A body of a media type the ingest does not read."""


class StorageUnavailable(MonitorError):
    """The event store cannot take writes now; nothing was stored."""


class ForecastOff(MonitorError):
    """The configuration turns the forecast off."""


class ForecastPending(MonitorError):
    """The forecast asked for is being computed."""


class RateLimited(MonitorError):
    """A hall over one of its limits (``limit``: ``events_per_s`` or
    ``stored_bytes_per_day``); nothing was stored, send again after
    ``retry_after_s``."""

    def __init__(self, detail: str, *, limit: str, retry_after_s: int) -> None:
        super().__init__(detail, retry_after_s=retry_after_s)
        self.limit = limit


class ModelRefused(MonitorError):
    """A hall's model version that does not exist, or a change of models the
    registry refuses."""


class CityNotServed(MonitorError):
    """A city none of the halls served here is in."""


class BadQuery(MonitorError):
    """A query whose parameters do not fit together or name nothing served
    (``detail`` lists each problem, ``index`` null)."""


class TicketNotFound(MonitorError):
    """A ticket the hall has not issued today."""


class EtaPending(MonitorError):
    """A ticket's ETA is still being simulated."""


class EtaFailed(EtaPending):
    """The simulation of a hall's ETAs failed (logged); the next request tries again."""
