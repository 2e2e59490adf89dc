"""The response bodies of a hall's future, as pydantic models: the nowcast
(with the call-in advice of :class:`~monitor.api.models.CallInBody`) and the
day forecast; the rest of the API's bodies are in :mod:`monitor.api.models`.
Times are RFC 3339 in the hall's time zone; durations are seconds."""

from __future__ import annotations

from pydantic import Field

from monitor.api.models import Body, CallInBody


class NowcastWait(Body):
    """The wait of a ticket of the service taken at one horizon (null: not known)."""

    mean_s: float | None = Field(description="expected wait: the average over customers")
    median_s: float | None = Field(description="half of the customers wait less")
    p90_s: float | None = Field(description="nine customers in ten wait less")
    breach_probability: float | None = Field(description="probability of a wait past the target")


class NowcastService(Body):
    service: str
    expected_wait_s: float | None = Field(description="of a ticket taken now (the mean)")
    by_horizon: dict[str, float | None] = Field(description="horizon (0m, 15m, 30m, 60m) -> wait")
    waiting: int
    expected_present: float | None
    median_wait_s: float | None = Field(
        default=None, description="median wait of a ticket taken now ('about ...')"
    )
    p90_wait_s: float | None = Field(
        default=None, description="90th percentile of the wait of a ticket taken now ('at most')"
    )
    breach_probability: float | None = Field(
        default=None, description="probability that a ticket taken now waits past the target"
    )
    horizons: dict[str, NowcastWait] = Field(
        default_factory=dict, description="horizon (0m, 15m, 30m, 60m) -> wait of a ticket then"
    )


class NowcastBody(Body):
    """``GET /v1/halls/{hall}/nowcast``; ``breach_probability`` is absent until
    the hall's first nowcast of the day. ``as_of`` is the hall's clock at the
    state the nowcast started from (with ``clock: events``, its latest event),
    ``computed_at`` the wall clock when it was computed."""

    hall: str
    open: bool
    target_wait_s: float
    computed_at: str | None = Field(description="wall-clock time the nowcast was computed")
    services: list[NowcastService]
    as_of: str | None = Field(
        default=None, description="time of the hall state the nowcast started from"
    )
    breach_probability: dict[str, float | None] | None = Field(
        default=None, description="horizon -> probability of a wait past the target"
    )
    call_in: CallInBody | None = Field(
        default=None, description="how many more counters bring the hall back within target"
    )


class Estimate(Body):
    mean: float | None
    ci95_half_width: float | None


class WaitEstimate(Estimate):
    n: int = Field(description="replications with a called ticket")


class ForecastCell(Body):
    queue_length: Estimate
    wait_s: WaitEstimate
    arrivals_per_hour: Estimate


class ForecastInterval(Body):
    start: str
    end: str
    start_s: float
    end_s: float
    services: dict[str, ForecastCell]


class ForecastBody(Body):
    """``GET /v1/halls/{hall}/forecast``: the day per interval and service."""

    hall: str
    day: str
    seed: int
    replications: int
    services: list[str]
    intervals: list[ForecastInterval]
