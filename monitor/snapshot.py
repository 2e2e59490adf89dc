"""What the collector and the JSON API read: plain, immutable pictures of a
hall taken under its lock, so that a scrape never races an ingest.

Every mapping is keyed by label value and already holds an entry (often 0) for
every configured service, segment and counter, so the collector emits explicit
zeros without knowing the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

INGEST_RESULTS: tuple[str, ...] = ("accepted", "duplicate", "rejected")  # of an ingested event
BACKGROUND_JOBS: tuple[str, ...] = ("forecast", "nowcast")
HORIZONS: tuple[str, ...] = ("0m", "15m", "30m", "60m")
HORIZON_S: dict[str, float] = {"0m": 0.0, "15m": 900.0, "30m": 1800.0, "60m": 3600.0}


@dataclass(frozen=True, slots=True)
class Histogram:
    """A Prometheus histogram: ``buckets[i]`` counts observations ``<= bounds_s[i]``
    (cumulative, ascending); ``count`` is the +Inf bucket."""

    bounds_s: tuple[float, ...]
    buckets: tuple[int, ...]
    count: int
    sum_s: float


@dataclass(frozen=True, slots=True)
class HallInfo:
    """A configured hall: identity, labels and its objective."""

    id: str
    name: str
    district: str
    city: str
    services: tuple[str, ...]
    segments: tuple[str, ...]
    counters: tuple[str, ...]  # counter positions of the scenario (not kiosks)
    target_wait_s: float
    objective: float  # share of tickets that must be called within the target


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    """The hall's live state at ``now_s`` (Unix seconds) for the day ``day``
    (local date, ISO). Counts are since the hall's local midnight."""

    now_s: float
    day: str
    open: bool
    queue: dict[str, int]  # service -> tickets waiting
    queue_by_segment: dict[tuple[str, str], int]  # (service, segment) -> tickets waiting
    oldest_wait_s: dict[str, float]  # service -> wait of the oldest waiting ticket (0 if none)
    counters_open: int
    counters_busy: int
    issued: dict[tuple[str, str], int]  # (service, segment) -> tickets issued today
    served: dict[tuple[str, str], int]  # ... called to a counter today
    abandoned: dict[tuple[str, str], int]  # ... abandoned or no-show today
    counter_busy: dict[str, bool]  # counter -> serving or calling a ticket now
    counter_open: dict[str, bool]
    counter_served: dict[str, int]  # counter -> tickets it called today
    wait: dict[str, Histogram]  # service -> time from issue to first call
    service_time: dict[str, Histogram]  # service -> time from call to service end
    last_event_s: float | None  # Unix seconds of the latest event's ts


@dataclass(frozen=True, slots=True)
class ForecastNow:
    """The day forecast read at the current time (per service), ``None`` until
    the first forecast of the day is ready."""

    queue_length: dict[str, float]
    wait_s: dict[str, float]
    arrivals_per_hour: dict[str, float]


@dataclass(frozen=True, slots=True)
class NowcastNow:
    """The latest nowcast: expected wait of a ticket taken ``horizon`` from its
    run (per service), the probability such a ticket waits past the target, and
    the expected number of waiting customers still present."""

    computed_s: float  # Unix seconds of the state it started from
    wait_s: dict[tuple[str, str], float]  # (service, horizon) -> expected wait
    breach_probability: dict[str, float]  # horizon -> probability
    present_queue: dict[str, float]  # service -> expected customers still waiting


@dataclass(frozen=True, slots=True)
class HallView:
    """Everything published for one hall in one scrape."""

    info: HallInfo
    live: LiveSnapshot
    forecast: ForecastNow | None
    nowcast: NowcastNow | None
    ingested: dict[str, int]  # result (INGEST_RESULTS) -> events since start
    failures: dict[str, int] = field(default_factory=dict)  # job (BACKGROUND_JOBS) -> since start
