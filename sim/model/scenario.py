"""The scenario: a hall's demand, staffing and rules, validated once when loaded.

A scenario is a tree of frozen pydantic models. Every duration is held in
seconds and every time of day in seconds after local midnight; the loader
(:func:`load_scenario`) accepts people's units (``90s``, ``15m``, ``09:30``) and
turns any mistake into a :class:`ScenarioError` that names the YAML path and the
bad value. Code past the loader trusts its input.
"""

from __future__ import annotations

import math
import zoneinfo
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sim.model.customers import (  # re-exported: the schema is imported from here
    Appointments as Appointments,
)
from sim.model.customers import (
    Arrivals as Arrivals,
)
from sim.model.customers import (
    Distribution as Distribution,
)
from sim.model.customers import (
    RemoteTickets as RemoteTickets,
)
from sim.model.customers import (
    Segment as Segment,
)
from sim.model.customers import (
    Service as Service,
)
from sim.model.fields import (
    ClockS,
    CountSteps,
    DurationS,
    FrozenModel,
    SpanS,
)
from sim.model.week import HolidayEntry, Week, Workforce, week_problems
from sim.model.yamltree import (  # re-exported: the loader is imported from here
    ScenarioError as ScenarioError,
)
from sim.model.yamltree import (
    describe_error as describe_error,
)
from sim.model.yamltree import (
    field_names as field_names,
)
from sim.model.yamltree import (
    parse_yaml as parse_yaml,
)
from sim.model.yamltree import (
    read_text_file as read_text_file,
)
from sim.model.yamltree import (
    read_yaml_file as read_yaml_file,
)
from sim.model.yamltree import (
    validate_tree as validate_tree,
)


class Target(FrozenModel):
    """The wait customers accept and the share that must get it."""

    wait: DurationS
    """The wait customers accept: a customer called to a counter within it was served in time."""
    service_level: Annotated[float, Field(gt=0.0, le=1.0)] = 0.8
    """The share of arrivals that must be called within ``wait``; customers who balk or give up
    count as misses."""


class Horizon(FrozenModel):
    """A stationary run: no opening hours, statistics after ``warmup``."""

    warmup: DurationS = 0.0
    """Simulated time before statistics start (the hall fills up)."""
    duration: Annotated[DurationS, Field(gt=0.0)]
    """Simulated time after the warm-up over which statistics are kept."""


class Resize(FrozenModel):
    """Bounds for a counter group that staffing may resize per interval."""

    min: Annotated[int, Field(ge=0)] = 1
    """The fewest counters of the group a plan may open in an interval."""
    max: Annotated[int, Field(ge=1)] = 50
    """The most counters of the group a plan may open in an interval."""

    @model_validator(mode="after")
    def _ordered(self) -> Resize:
        if self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self


class CounterGroup(FrozenModel):
    """``count`` identical counters with skills in preference order; ``resize``
    marks a group whose count ``hallsim staff`` may set per interval."""

    id: Annotated[str, Field(min_length=1)]
    """Group id; its counters are named by it and a number (``B1``, ``B2``, ...)."""
    count: CountSteps = ((0.0, 1.0),)
    """Counters of the group open: one number, or a schedule of counts over the day. A counter
    that closes finishes its customer first."""
    services: Annotated[tuple[str, ...], Field(min_length=1)]
    """The services the counters serve (their skills), in order of preference: a free counter
    calls the first service's tickets first, at equal priority."""
    segments: tuple[str, ...] | None = None
    """Only these segments are served here (a VIP counter); absent: every segment."""
    speed: Annotated[float, Field(gt=0.0)] = 1.0
    """Service-time divisor: 1.15 serves in 1/1.15 of the time (a five-star clerk)."""
    shift: SpanS | None = None
    """When the group is staffed; absent: opening hours. A counter whose shift ends finishes
    its customer first."""
    breaks: tuple[SpanS, ...] = ()
    """Spans within the shift when the group's counters are closed."""
    resize: Resize | None = None
    """Marks the group whose count ``hallsim staff`` sets per interval, within these bounds."""

    @field_validator("services")
    @classmethod
    def _no_repeated_skill(cls, services: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(services)) != len(services):
            raise ValueError("names a service twice")
        return services


class KioskGroup(FrozenModel):
    """Self-service machines taking ``share`` of the customers of ``services``."""

    id: Annotated[str, Field(min_length=1)]
    """Group id."""
    count: Annotated[int, Field(ge=1)]
    """Machines in the group; their users queue first come, first served (no priority, no
    giving up)."""
    services: Annotated[tuple[str, ...], Field(min_length=1)]
    """The services the machines can do (each service at most one kiosk group)."""
    share: Annotated[float, Field(gt=0.0, le=1.0)]
    """Share of those services' customers who use a machine instead of taking a counter ticket."""
    speed: Annotated[float, Field(gt=0.0)] = 1.0
    """Service-time divisor at a machine."""


class Scenario(FrozenModel):
    """A hall: who comes, what they need, who serves them, and when."""

    hall: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    """The hall's id, in output, events and metrics."""
    name: str | None = None
    """Display name (市中心旗舰营业厅)."""
    target: Target
    """The wait target the service level is measured against."""
    horizon: Horizon | None = None
    """A stationary run instead of an opening day: no opening hours, statistics after the
    warm-up, no intervals."""
    open: ClockS = 9 * 3600.0
    """Opening time: arrivals start."""
    close: ClockS = 18 * 3600.0
    """Closing time: doors close; tickets taken before are handled as ``closing`` says."""
    interval: Annotated[DurationS, Field(gt=0.0)] = 900.0
    """Statistics interval: KPIs per interval of the day, and the grid staffing plans on."""
    timezone: str = "Asia/Shanghai"
    """IANA time zone of the hall's times of day and of its events."""
    services: dict[str, Service]
    """Service types by id (consult, business, payment, ...)."""
    segments: dict[str, Segment]
    """Customer segments by id (brands such as 全球通VIP), with their priority and patience."""
    arrivals: Arrivals
    """Demand: rate over the day, service mix, appointments."""
    counters: Annotated[tuple[CounterGroup, ...], Field(min_length=1)]
    """Counter groups: who serves what, when."""
    kiosks: tuple[KioskGroup, ...] = ()
    """Self-service machines; absent: none."""
    closing: Literal["serve_all", "turn_away"] = "serve_all"
    """At closing time, ``serve_all`` serves every ticket holder still waiting; ``turn_away``
    sends them home (outcome ``unserved``)."""
    no_show_delay: DurationS = 0.0
    """How long a counter calls a ticket whose customer has gone before calling the next; at 0s
    the call is logged when the customer's turn comes and costs nothing."""
    week: Week | None = None
    """How each weekday differs from the typical day the keys above describe; absent: every
    day is that day."""
    holidays: dict[date, HolidayEntry] = Field(default_factory=dict)
    """Dated exceptions (local dates): ``closed``, or keys over a weekday."""
    workforce: Workforce = Workforce()
    """Counter-hours into people and money, for staffing, rosters and what-ifs."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a known IANA time zone") from None
        return name

    @field_validator("services", "segments")
    @classmethod
    def _not_empty(cls, items: dict[str, object]) -> dict[str, object]:
        if not items:
            raise ValueError("must not be empty")
        return items

    @property
    def stationary(self) -> bool:
        """True for a steady-state run over ``horizon`` instead of one opening day."""
        return self.horizon is not None

    @property
    def start_s(self) -> float:
        """When arrivals start: opening time, or 0 for a stationary run."""
        return 0.0 if self.horizon is not None else self.open

    @property
    def end_s(self) -> float:
        """When arrivals stop: closing time, or the end of the stationary horizon."""
        if self.horizon is not None:
            return self.horizon.warmup + self.horizon.duration
        return self.close

    @property
    def stats_start_s(self) -> float:
        """Start of the window the statistics cover (after any warm-up)."""
        return self.horizon.warmup if self.horizon is not None else self.open


def _check_references(scn: Scenario) -> None:
    problems: list[str] = []
    if scn.horizon is None and scn.close <= scn.open:
        problems.append(f"close: {scn.close / 3600:g}h is not after open")
    share_sum = math.fsum(seg.share for seg in scn.segments.values())
    if abs(share_sum - 1.0) > 1e-6:
        problems.append(f"segments: shares sum to {share_sum:g}, not 1")
    for name in scn.arrivals.mix:
        if name not in scn.services:
            problems.append(f"arrivals.mix.{name}: {name!r} is not a service")
    remote = scn.arrivals.remote
    for name in remote.share if remote is not None else ():
        if name not in scn.services:
            problems.append(f"arrivals.remote.share.{name}: {name!r} is not a service")
    kiosk_share: dict[str, float] = {}
    for i, group in enumerate(scn.counters):
        for skill in group.services:
            if skill not in scn.services:
                problems.append(f"counters[{i}].services: {skill!r} is not a service")
        for seg in group.segments or ():
            if seg not in scn.segments:
                problems.append(f"counters[{i}].segments: {seg!r} is not a segment")
        if group.shift is not None and scn.horizon is not None:
            problems.append(f"counters[{i}].shift: shifts need opening hours, not a horizon")
        for j, (b_start, b_end) in enumerate(group.breaks):
            if group.shift is not None and not (
                group.shift[0] <= b_start < b_end <= group.shift[1]
            ):
                problems.append(f"counters[{i}].breaks[{j}]: break lies outside the shift")
    ids = [g.id for g in scn.counters] + [k.id for k in scn.kiosks]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"counters: id {dup!r} is used twice")
    for i, kiosk in enumerate(scn.kiosks):
        for skill in kiosk.services:
            if skill not in scn.services:
                problems.append(f"kiosks[{i}].services: {skill!r} is not a service")
            elif skill in kiosk_share:
                problems.append(f"kiosks[{i}].services: {skill!r} is already taken by a kiosk")
            kiosk_share[skill] = kiosk.share
    for service, share in scn.arrivals.mix.items():
        if share == 0 or kiosk_share.get(service, 0.0) >= 1.0 or service not in scn.services:
            continue
        for seg_name, segment in scn.segments.items():
            if segment.share > 0 and not any(
                service in g.services and (g.segments is None or seg_name in g.segments)
                for g in scn.counters
            ):
                problems.append(
                    f"counters: no counter serves {service!r} customers of segment {seg_name!r}"
                )
    problems += week_problems(
        scn.week,
        scn.holidays,
        (scn.open, scn.close),
        list(scn.services),
        [g.id for g in scn.counters],
        scn.stationary,
    )
    if problems:
        raise ScenarioError("\n".join(problems))


def scenario_from_dict(data: object, *, source: str = "scenario") -> Scenario:
    """Validate a parsed YAML tree; raise :class:`ScenarioError` naming each bad path."""
    scn = validate_tree(Scenario, data, source)
    _check_references(scn)
    return scn


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    return scenario_from_dict(read_yaml_file(path), source=str(path))
