"""The response bodies of the HTTP API, as pydantic models: what the handlers
return and what ``/openapi.json`` documents. Times are RFC 3339 in the hall's
time zone; durations are seconds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class Problem(_Body):
    """One bad event of a refused batch (``index`` among the array's items or
    the non-blank lines; null when the body as a whole is bad)."""

    index: int | None
    field: str | None
    reason: str


class ErrorBody(_Body):
    """Every refusal: a reason, or the list of bad events (403, 422)."""

    detail: str | list[Problem]


class IngestResult(_Body):
    """A stored batch: events new to the store, and events it already held."""

    accepted: int
    duplicates: int


class HallSummary(_Body):
    """One hall of ``GET /v1/halls`` with its queue now."""

    id: str
    name: str
    district: str
    city: str
    timezone: str
    open: bool
    queue_length: int
    oldest_wait_s: float
    counters_open: int
    counters_busy: int
    target_wait_s: float
    objective: float
    last_event: str | None


class ServiceQueue(_Body):
    service: str
    waiting: int
    oldest_wait_s: float


class PairCount(_Body):
    service: str
    segment: str
    count: int


class CounterState(_Body):
    counter: str
    open: bool
    busy: bool
    called_today: int


class Bucket(_Body):
    le_s: float
    count: int  # cumulative: observations <= le_s


class HistogramBody(_Body):
    count: int
    sum_s: float
    buckets: list[Bucket]


class HallStateBody(_Body):
    """``GET /v1/halls/{hall}/state``: the live state of the hall's current day."""

    hall: str
    now: str | None
    day: str
    open: bool
    queue: list[ServiceQueue]
    queue_by_segment: list[PairCount]
    counters: list[CounterState]
    counters_open: int
    counters_busy: int
    issued: list[PairCount]
    served: list[PairCount]
    abandoned: list[PairCount]
    wait: dict[str, HistogramBody]
    service_time: dict[str, HistogramBody]
    last_event: str | None
    ingested: dict[str, int] = Field(description="events since start, by result")


class NowcastService(_Body):
    service: str
    expected_wait_s: float | None = Field(description="of a ticket taken now")
    by_horizon: dict[str, float | None] = Field(description="horizon (0m, 15m, 30m, 60m) -> wait")
    waiting: int
    expected_present: float | None


class NowcastBody(_Body):
    """``GET /v1/halls/{hall}/nowcast``; ``breach_probability`` is absent until
    the hall's first nowcast of the day."""

    hall: str
    open: bool
    target_wait_s: float
    computed_at: str | None
    services: list[NowcastService]
    breach_probability: dict[str, float | None] | None = Field(
        default=None, description="horizon -> probability of a wait past the target"
    )


class Estimate(_Body):
    mean: float | None
    ci95_half_width: float | None


class WaitEstimate(Estimate):
    n: int = Field(description="replications with a called ticket")


class ForecastCell(_Body):
    queue_length: Estimate
    wait_s: WaitEstimate
    arrivals_per_hour: Estimate


class ForecastInterval(_Body):
    start: str
    end: str
    start_s: float
    end_s: float
    services: dict[str, ForecastCell]


class ForecastBody(_Body):
    """``GET /v1/halls/{hall}/forecast``: the day per interval and service."""

    hall: str
    day: str
    seed: int
    replications: int
    services: list[str]
    intervals: list[ForecastInterval]


class Health(_Body):
    status: Literal["ok"]


class Readiness(_Body):
    """Ready once the store is open and every hall's day rebuilt (503 before)."""

    ready: bool
    halls: int
    forecasts: int = Field(description="halls with a forecast")
    nowcasts: int = Field(description="halls with a nowcast")
