"""The response bodies of the HTTP API, as pydantic models: what the handlers
return and what ``/openapi.json`` documents. Times are RFC 3339 in the hall's
time zone; durations are seconds."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """The base of every response body: frozen, built once from the core's pictures."""

    model_config = ConfigDict(frozen=True)


class Problem(Body):
    """One bad event of a refused batch (``index`` among the array's items or
    the non-blank lines; null when the body as a whole is bad)."""

    index: int | None
    field: str | None
    reason: str


class ErrorBody(Body):
    """Every refusal: a reason, or the list of bad events (403, 422)."""

    detail: str | list[Problem]


class IngestResult(Body):
    """A stored batch: events new to the store (applied), events it already
    held, new events stored but quarantined (dated too far ahead, or running
    time backwards in their ticket; not applied) and events whose id the store
    holds with other content (not stored); the last two only when there are some."""

    accepted: int
    duplicates: int
    quarantined: int = Field(default=0, description="see GET /v1/halls/{hall}/quarantine")
    conflicts: int = Field(
        default=0,
        description="ids stored before with other content: not stored, not applied; "
        "see GET /v1/halls/{hall}/conflicts",
    )


Clock = Literal["wall", "events"]
_OPENS = (
    "opening time of the day (HH:MM), by its weekday and holidays;"
    " null: always open, or not opening that day (open is false)"
)
_CLOCK = "the hall's now: the wall clock, or its latest event (replays at speed)"
_SILENT = (
    "wall-clock seconds since the hall's latest event (clock: wall) or since the "
    "exporter last received one (clock: events); null before any"
)
_SILENT_LIMIT = (
    "seconds of silence that the hall's traffic explains now (the no-events alert's "
    "limit: 7 mean gaps between its tickets at the day forecast's rate, 600 to 7200; "
    "600 without a forecast): past it the pages call the ticket system silent"
)
_CALLED_IN_TIME = (
    "share of today's called tickets called within the target wait (the SLO ratio "
    "of the alert rules); null before the first call"
)


class CallInBody(Body):
    """The nowcast's call-in advice: how many more counters of which group
    bring a ticket taken ``horizon`` from now back within target (the
    predictive alert's measure: a breach probability at most ``budget``)."""

    horizon: str
    counters: int | None = Field(
        description="more counters of `group` needed; 0: none, the hall is within target; "
        "null: more than `max_extra` of any group"
    )
    group: str | None = Field(description="the counter group to open them in")
    max_extra: int = Field(description="the most extra counters of a group the nowcast tries")
    budget: float = Field(description="breach probability the objective allows (1 - objective)")
    breach_probability_now: float | None = Field(
        description="of a ticket taken at the horizon, with the counters open now"
    )
    breach_probability: float | None = Field(
        description="of a ticket taken at the horizon, with the advised counters"
    )


class GroupPlan(Body):
    """One counter group: counters the plan staffs now, open and busy ones."""

    group: str
    planned: int
    open: int
    busy: int


class PlanBody(Body):
    """The plan against the floor: counters the plan staffs now (the scenario's
    schedule for the day, or the hall's roster) and those open and busy."""

    source: Literal["scenario", "roster"]
    planned: int
    open: int
    busy: int
    by_group: list[GroupPlan]


class HallSummary(Body):
    """One hall of ``GET /v1/halls`` with its queue now and today's outcome so
    far. Every figure is as of ``now``, the hall's clock, except the nowcast's
    ``expected_wait_s`` (as of ``nowcast_at``)."""

    id: str
    name: str
    district: str
    city: str
    timezone: str
    clock: Clock = Field(description=_CLOCK)
    now: str = Field(description="the hall's clock (RFC 3339)")
    day: str = Field(description="the local day the counts are of")
    opens: str | None = Field(description=_OPENS)
    closes: str | None
    open: bool
    queue_length: int
    oldest_wait_s: float
    counters_open: int
    counters_busy: int
    target_wait_s: float
    objective: float
    issued_today: int
    served_today: int = Field(description="called and came (no-shows apart)")
    no_shows_today: int = Field(description="called, and nobody came")
    abandoned_today: int = Field(description="logged as given up while waiting")
    called_within_target_today: float | None = Field(description=_CALLED_IN_TIME)
    expected_wait_s: float | None = Field(
        description="longest expected wait, over services, of a ticket taken now "
        "(nowcast); null while closed or before the first nowcast"
    )
    nowcast_at: str | None = Field(description="the hall's time the nowcast started from")
    last_event: str | None
    silent_s: float | None = Field(description=_SILENT)
    silent_limit_s: float = Field(description=_SILENT_LIMIT)
    median_wait_s: float | None = Field(
        default=None,
        description="longest median wait, over services, of a ticket taken now (nowcast)",
    )
    counters_planned: int | None = Field(
        default=None, description="counters the plan staffs now (see /state's plan)"
    )
    call_in: CallInBody | None = Field(default=None, description="the nowcast's call-in advice")


class ServiceQueue(Body):
    service: str
    waiting: int
    oldest_wait_s: float
    oldest_ticket: str | None = Field(description="the ticket waiting longest")
    on_the_way: int = Field(
        0,
        description="of the waiting tickets, those issued remotely whose holder has not "
        "checked in yet: in the queue, not in the hall",
    )


class NamedItem(Body):
    """A service or segment: its id and the scenario's name (咨询, 全球通VIP)."""

    id: str
    name: str | None


class PairCount(Body):
    service: str
    segment: str
    count: int


class CounterState(Body):
    counter: str
    open: bool
    busy: bool
    called_today: int
    ticket: str | None = Field(description="the ticket it called and is serving now")
    service: str | None = Field(description="that ticket's service")
    called_at: str | None = Field(description="when it called that ticket")


class Bucket(Body):
    le_s: float
    count: int  # cumulative: observations <= le_s


class HistogramBody(Body):
    count: int
    sum_s: float
    buckets: list[Bucket]


class Totals(Body):
    """Today's tickets by outcome: ``issued`` = ``waiting`` + ``served`` +
    ``no_shows`` + ``abandoned``; ``called`` = ``served`` + ``no_shows`` (+ a
    called ticket later logged as given up, counted as abandoned)."""

    issued: int
    waiting: int
    called: int
    served: int
    no_shows: int
    abandoned: int


class WaitPercentiles(Body):
    """Waits (issue to first call, no-shows included) of today's called tickets."""

    n: int
    p50_s: float
    p90_s: float
    p95_s: float
    max_s: float


class HallStateBody(Body):
    """``GET /v1/halls/{hall}/state``: the live state of the hall's current day,
    as of ``now``. Counts per (service, segment): ``issued``; ``called`` to a
    counter (a no-show too: what ``hall_tickets_served_total`` counts);
    ``served``, called and came; ``no_shows``, called and nobody came;
    ``abandoned``, logged as given up while waiting (``ticket_abandoned``;
    ``hall_tickets_abandoned_total`` counts these and the no-shows)."""

    hall: str
    now: str | None
    day: str
    clock: Clock = Field(description=_CLOCK)
    opens: str | None = Field(description=_OPENS)
    closes: str | None
    open: bool
    target_wait_s: float
    objective: float
    services: list[NamedItem]
    segments: list[NamedItem]
    queue: list[ServiceQueue]
    queue_by_segment: list[PairCount]
    counters: list[CounterState]
    counters_open: int
    counters_busy: int
    totals: Totals
    called_within_target: float | None = Field(description=_CALLED_IN_TIME)
    issued: list[PairCount]
    called: list[PairCount] = Field(description="called to a counter, no-shows included")
    served: list[PairCount] = Field(description="called and came (no-shows apart)")
    no_shows: list[PairCount] = Field(description="called, and nobody came")
    abandoned: list[PairCount] = Field(description="logged as given up while waiting")
    wait_percentiles: dict[str, WaitPercentiles] = Field(
        description='per service, and "*" for all: nearest-rank percentiles'
    )
    wait: dict[str, HistogramBody]
    service_time: dict[str, HistogramBody]
    last_event: str | None
    silent_s: float | None = Field(description=_SILENT)
    silent_limit_s: float = Field(description=_SILENT_LIMIT)
    ingested: dict[str, int] = Field(description="events since start, by result")
    plan: PlanBody | None = Field(default=None, description="the plan against the floor")


class HistoryCell(Body):
    """One service in one interval, on the forecast's terms."""

    queue_length: float = Field(description="tickets waiting, time average over the interval")
    issued: int
    arrivals_per_hour: float
    called: int = Field(description="tickets issued in the interval and called")
    wait_mean_s: float | None = Field(description="their mean wait; null: none called")


class HistoryInterval(Body):
    start: str
    end: str
    start_s: float
    end_s: float
    elapsed_s: float = Field(description="of the interval by now (the last one may be partial)")
    services: dict[str, HistoryCell]


class HistoryBody(Body):
    """``GET /v1/halls/{hall}/history``: today so far, per statistics interval
    (the forecast's) and service, to set beside the forecast."""

    hall: str
    day: str
    now: str
    services: list[str]
    intervals: list[HistoryInterval]


class Health(Body):
    status: Literal["ok"]


class Readiness(Body):
    """Ready once the store is open and every hall's day rebuilt, and while the
    store takes writes (503 otherwise)."""

    ready: bool
    halls: int
    forecasts: int = Field(description="halls with a forecast")
    nowcasts: int = Field(description="halls with a nowcast")
    store_error: str | None = Field(
        default=None, description="why the last write failed, until a write succeeds again"
    )


class QuarantinedEvent(Body):
    """A stored event that was never applied, and why."""

    event: dict[str, str] = Field(description="the event as received (RFC 3339 ts)")
    reason: str = Field(
        description="future (dated more than future_slack ahead of the wall clock), or how it "
        "runs time backwards in its ticket: called_before_issued, ended_before_issued, "
        "ended_before_called, abandoned_before_issued, issued_after_called, issued_after_ended"
    )
    quarantined_at: str = Field(description="when it arrived, RFC 3339 in the hall's zone")
    ahead_s: float = Field(
        description="how far its ts was ahead of the wall clock then (negative: behind)"
    )


class QuarantineBody(Body):
    """``GET /v1/halls/{hall}/quarantine``: the latest quarantined events first."""

    hall: str
    total: int = Field(description="quarantined events of the hall in the store")
    future_slack_s: float = Field(description="events further ahead than this are quarantined")
    events: list[QuarantinedEvent]


class ConflictingEvent(Body):
    """Another version of a stored event: same hall and id, other content."""

    stored: dict[str, str] = Field(description="the event the store holds (and applied)")
    received: dict[str, str] = Field(description="the version sent later (never applied)")
    received_at: str = Field(description="when it first came, RFC 3339 in the hall's zone")


class ConflictsBody(Body):
    """``GET /v1/halls/{hall}/conflicts``: the latest conflicting versions first."""

    hall: str
    total: int = Field(description="distinct conflicting versions recorded for the hall")
    events: list[ConflictingEvent]
