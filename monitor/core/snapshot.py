"""What the collector and the JSON API read: plain, immutable pictures of a
hall taken under its lock, so that a scrape never races an ingest.

Every mapping is keyed by label value and already holds an entry (often 0) for
every configured service, segment and counter, so the collector emits explicit
zeros without knowing the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from monitor.core.plan import PlanNow

# of an ingested event: applied, already stored, refused (4xx), stored but dated too far
# ahead (quarantined), not stored because the store failed (503), an id stored with other
# content (not applied), stored but running time backwards in its ticket (quarantined)
INGEST_RESULTS: tuple[str, ...] = (
    "accepted", "duplicate", "rejected", "future", "error", "conflict", "backwards",
)  # fmt: skip
# the per-hall limits a batch can be refused by (429; monitor.core.intake)
HALL_LIMITS: tuple[str, ...] = ("events_per_s", "stored_bytes_per_day")
LABEL_DIMENSIONS: tuple[str, ...] = ("service", "segment", "counter")  # capped label names
BACKGROUND_JOBS: tuple[str, ...] = ("forecast", "nowcast", "learn", "drift")
# what the pool of simulation processes runs (monitor.background.usage)
POOL_JOBS: tuple[str, ...] = ("forecast", "nowcast", "call_in", "drift", "eta", "learn")
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
    # what people read beside the ids: the scenario's names (咨询, 全球通VIP), opening
    # hours in seconds after local midnight (None: a stationary scenario) and the clock
    service_names: tuple[tuple[str, str], ...] = ()  # (service, name)
    segment_names: tuple[tuple[str, str], ...] = ()  # (segment, name)
    opens_s: float | None = None
    closes_s: float | None = None
    clock: str = "wall"  # "wall", or "events": the hall's now is its latest event
    counter_groups: tuple[tuple[str, str], ...] = ()  # (counter, its group)
    location: tuple[float, float] | None = None  # (lat, lon) in degrees; None: not configured
    offered: tuple[str, ...] = ()  # the services it offers, which the city map ranks it for
    remote: tuple[str, ...] = ()  # the services whose tickets can be taken from home


class AtCounter(NamedTuple):
    """The ticket a counter called last and is still serving (or calling)."""

    ticket: str
    service: str
    segment: str
    called_s: float  # Unix seconds of the call


class TicketSpan(NamedTuple):
    """One of today's tickets as the queue saw it (Unix seconds): issued, first
    called (None: not yet), given up while waiting (None: not logged)."""

    service: str
    issued_s: float
    called_s: float | None
    left_s: float | None


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
    # served above counts every call (a no-show too, as the ticket system sees it at
    # the call); these split the outcome: came to the counter, or a no-show
    came: dict[tuple[str, str], int] = field(default_factory=dict)  # called, not a no-show
    no_show: dict[tuple[str, str], int] = field(default_factory=dict)  # called, nobody came
    oldest_ticket: dict[str, str] = field(default_factory=dict)  # service -> oldest waiting
    # service -> waiting tickets issued remotely whose holder has not checked in (in
    # ``queue`` too: in the queue, not in the hall)
    away: dict[str, int] = field(default_factory=dict)
    at_counter: dict[str, AtCounter] = field(default_factory=dict)  # busy counter -> its ticket
    # the local date's opening hours by its weekday and holidays (seconds after
    # midnight): (0, 0) on a day the hall does not open, None if always open
    hours: tuple[float, float] | None = None
    # wall clock (Unix s) when an event was last applied: when it came, not what it
    # says, so two states of the same events still compare equal
    received_s: float | None = field(default=None, compare=False)
    tickets: tuple[TicketSpan, ...] = ()  # only from ``snapshot(tickets=True)``


@dataclass(frozen=True, slots=True)
class ForecastNow:
    """The day forecast read at the current time (per service), ``None`` until
    the first forecast of the day is ready; each mean with the half-width of
    its 95% confidence interval over the forecast's replications (absent when
    not finite)."""

    queue_length: dict[str, float]
    wait_s: dict[str, float]
    arrivals_per_hour: dict[str, float]
    queue_length_half: dict[str, float] = field(default_factory=dict)
    wait_half_s: dict[str, float] = field(default_factory=dict)
    arrivals_per_hour_half: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NowcastNow:
    """The latest nowcast: expected (mean), median and 90th-percentile wait of a
    ticket taken ``horizon`` from its run (per service), the probability such a
    ticket waits past the target (hall-wide and per service), and the expected
    number of waiting customers who have not given up. ``computed_s`` is the as-of time
    (the hall's clock at the state it started from: with ``clock: events`` its
    latest event), ``computed_at_s`` the wall clock when it was computed."""

    computed_s: float  # Unix seconds of the state it started from (the as-of time)
    wait_s: dict[tuple[str, str], float]  # (service, horizon) -> expected wait
    breach_probability: dict[str, float]  # horizon -> probability
    present_queue: dict[str, float]  # service -> expected customers still waiting
    computed_at_s: float | None = None  # wall clock (Unix s) when it was computed
    wait_median_s: dict[tuple[str, str], float] = field(default_factory=dict)
    wait_p90_s: dict[tuple[str, str], float] = field(default_factory=dict)
    # (service, horizon) -> probability that a ticket of the service waits past the target
    service_breach_probability: dict[tuple[str, str], float] = field(default_factory=dict)
    replications: int | None = None  # simulated futures it rests on (fewer once precise enough)
    call_in: CallInNow | None = None  # None: not computed (an older nowcast, or turned off)


@dataclass(frozen=True, slots=True)
class CallInNow:
    """The nowcast's call-in advice for ``horizon``: open ``counters`` more of
    ``group`` to bring a ticket taken then back within target (0: the hall is
    within target as it is; None: more than ``max_extra`` would be needed), and
    the breach probability then with them (None: none needed, or not enough)."""

    horizon: str
    counters: int | None
    group: str | None
    breach_probability: float | None
    max_extra: int


@dataclass(frozen=True, slots=True)
class Ingested:
    accepted: int  # stored and applied
    duplicates: int  # stored before
    quarantined: int = 0  # stored, never applied: dated too far ahead, or running backwards
    conflicts: int = 0  # ids stored before with other content: not stored, not applied


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the exporter can take events, and what it has published."""

    ready: bool  # the store is open, every hall rebuilt, and writes succeed
    halls: int
    forecasts: int  # halls with today's forecast
    nowcasts: int  # halls with a nowcast
    store_error: str | None  # why the last write failed, until one succeeds


@dataclass(frozen=True, slots=True)
class HallView:
    """Everything published for one hall in one scrape."""

    info: HallInfo
    live: LiveSnapshot
    forecast: ForecastNow | None
    nowcast: NowcastNow | None
    ingested: dict[str, int]  # result (INGEST_RESULTS) -> events since start
    failures: dict[str, int] = field(default_factory=dict)  # job (BACKGROUND_JOBS) -> since start
    overflow: dict[str, int] = field(default_factory=dict)  # LABEL_DIMENSIONS -> events as "other"
    limited: dict[str, int] = field(default_factory=dict)  # HALL_LIMITS -> refused batches
    planned: PlanNow | None = None  # counters the plan staffs now


@dataclass(frozen=True, slots=True)
class QueuePicture:
    """What the nowcast starts from: waiting tickets ``(service, segment,
    waited_s)``, busy counters ``(counter, service, segment, elapsed_s)``, open
    counters (``None`` when the ticket system logged no counter opening or
    closing today: then only the scenario's schedule can say). ``busy_waited``:
    per busy counter, how long its ticket had waited when called (``None``:
    its issue is not known), to tell how likely the call is a no-show.
    ``issued``: tickets issued today per service, to tell how busy the day is
    (``None``: not counted). ``waiting_ids``: the ticket of each of ``waiting``
    (for a ticket's ETA). ``waiting_travel``: per waiting ticket, NaN for one
    taken in the hall; one taken from afar, the seconds from taking it to its
    holder's check-in, or ``None`` while its holder is on the way."""

    now_s: float
    waiting: tuple[tuple[str, str, float], ...]
    busy: tuple[tuple[str, str, str, float], ...]
    open_counters: tuple[str, ...] | None
    busy_waited: tuple[float | None, ...] = ()
    issued: dict[str, int] | None = None
    waiting_ids: tuple[str, ...] = ()
    waiting_travel: tuple[float | None, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketNow:
    """What is known of one of today's tickets: ``state`` is ``waiting``
    (issued, not called, not given up), ``called`` (at a counter or called and
    not answered yet), ``served``, ``no_show`` or ``cancelled`` (given up before
    its call); ``issued_s`` and ``called_s`` (first call) in Unix seconds;
    ``remote``: taken from home, ``away``: its holder not checked in yet."""

    ticket: str
    service: str
    segment: str
    state: str
    issued_s: float
    called_s: float | None
    remote: bool
    away: bool
