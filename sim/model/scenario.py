"""The scenario: a hall's demand, staffing and rules, validated once when loaded.

A scenario is a tree of frozen pydantic models. Every duration is held in
seconds and every time of day in seconds after local midnight; the loader
(:func:`load_scenario`) accepts people's units (``90s``, ``15m``, ``09:30``) and
turns any mistake into a :class:`ScenarioError` that names the YAML path and the
bad value. Code past the loader trusts its input.
"""

from __future__ import annotations

import difflib
import math
import re
import zoneinfo
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.model.errors import InputError
from sim.model.fields import (
    ClockS,
    CountSteps,
    DurationS,
    FrozenModel,
    Probability,
    RateSteps,
    SpanS,
)
from sim.model.week import HolidayEntry, Week, Workforce, week_problems


class Distribution(FrozenModel):
    """A non-negative random duration: exponential, lognormal, gamma or Weibull
    given by ``mean`` (and ``cv`` for the last three), ``fixed`` at ``mean``, or
    ``empirical`` (resampled from ``samples``)."""

    dist: Literal["exponential", "lognormal", "gamma", "weibull", "fixed", "empirical"]
    """The family: ``exponential`` (by ``mean``), ``lognormal``, ``gamma`` or ``weibull`` (by
    ``mean`` and ``cv``), ``fixed`` (always ``mean``), or ``empirical`` (resampled from
    ``samples``)."""
    mean: DurationS | None = None
    """The mean duration (every family but ``empirical``)."""
    cv: Annotated[float, Field(gt=0.0)] | None = None
    """Coefficient of variation, standard deviation over mean: ``lognormal``, ``gamma`` and
    ``weibull`` need it; ``exponential`` has 1."""
    samples: tuple[DurationS, ...] | None = None
    """For ``empirical``: observed durations, drawn from with replacement."""

    @model_validator(mode="after")
    def _fields_fit_the_family(self) -> Distribution:
        if self.dist == "empirical":
            if not self.samples:
                raise ValueError("empirical needs a non-empty list of samples")
            if self.mean is not None or self.cv is not None:
                raise ValueError("empirical takes samples only, not mean or cv")
            return self
        if self.samples is not None:
            raise ValueError(f"{self.dist} takes mean (and cv), not samples")
        if self.mean is None or self.mean <= 0:
            raise ValueError(f"{self.dist} needs a positive mean")
        if self.dist in ("lognormal", "gamma", "weibull") and self.cv is None:
            raise ValueError(f"{self.dist} needs cv (coefficient of variation)")
        if self.dist == "exponential" and self.cv not in (None, 1.0):
            raise ValueError("exponential has cv 1; use gamma, lognormal or weibull for another cv")
        if self.dist == "fixed" and self.cv is not None:
            raise ValueError("fixed takes no cv")
        return self

    @property
    def mean_s(self) -> float:
        """Mean in seconds."""
        if self.samples is not None:
            return math.fsum(self.samples) / len(self.samples)
        assert self.mean is not None
        return self.mean


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


class Service(FrozenModel):
    name: str | None = None
    """Display name (咨询, 业务办理, ...); the key of the mapping is the service's id."""
    service_time: Distribution
    """How long a counter at speed 1 takes to serve one customer of this service."""


class Segment(FrozenModel):
    name: str | None = None
    """Display name (全球通VIP, 动感地带, ...); the key of the mapping is the segment's id."""
    share: Probability
    """Share of arrivals in this segment; the shares of all segments sum to 1."""
    priority: Annotated[int, Field(ge=0)] = 0
    """Dispatch order: a lower number is called first (0 is the highest priority)."""
    patience: Distribution | None = None
    """How long a customer waits before giving up; absent: never gives up."""
    balk_if_queue_over: Annotated[int, Field(ge=0)] | None = None
    """A customer leaves at once, without waiting, when more tickets than this wait for their
    service; absent: never."""
    patience_known_until: DurationS | None = None
    """Written by ``hallsim fit``: the longest wait (95th percentile of waits to a call) the
    log saw this segment's patience over. Runs whose waits go well past it warn that
    patience there is a guess."""


class Appointments(FrozenModel):
    """Booked customers: a share of each interval's arrivals holds a slot, comes
    around it (normal punctuality spread) and is called with ``priority``."""

    share: RateSteps
    """Share of each interval's arrivals that hold a booked slot: one number, or a schedule
    over the day."""
    slot: Annotated[DurationS, Field(gt=0.0)] = 900.0
    """Length of a booking slot; a booked customer's slot is the one their arrival falls in."""
    punctuality: DurationS = 300.0
    """Standard deviation of a booked customer's arrival around the slot's start (normal); 0:
    exactly on time."""
    priority: Annotated[int, Field(ge=0)] = 0
    """Priority booked customers are called with (lower first, as for segments)."""

    @field_validator("share")
    @classmethod
    def _shares_are_probabilities(
        cls, steps: tuple[tuple[float, float], ...]
    ) -> tuple[tuple[float, float], ...]:
        if any(share > 1.0 for _, share in steps):
            raise ValueError("shares must be at most 1")
        return steps


class RemoteTickets(FrozenModel):
    """Tickets taken before coming (a WeChat mini-program, an app): a share of each
    service's counter customers take their ticket where they are and reach the hall
    ``travel`` later; their place in the queue runs meanwhile. A remote ticket called
    before its holder has arrived is handled as ``early_call`` says."""

    share: dict[str, Probability]
    """Share of each service's counter customers (by service id) who take their ticket
    remotely; a service not named: none. Kiosk users and booked customers never do."""
    travel: Distribution
    """How long after taking the ticket its holder reaches the hall and checks in."""
    early_call: Literal["hold", "requeue", "no_show"] = "hold"
    """The hall's rule for a remote ticket called before its holder has arrived: ``hold``
    skips it and keeps its place for ``hold`` (a holder checking in by then is called
    next, else the ticket is a no-show); ``requeue`` puts it at the back of the queue
    when its holder checks in; ``no_show`` gives it up at once."""
    hold: DurationS = 600.0
    """For ``early_call: hold``: how long after the call a skipped ticket keeps its place."""

    @model_validator(mode="after")
    def _hold_only_for_hold(self) -> RemoteTickets:
        if "hold" in self.model_fields_set and self.early_call != "hold":
            raise ValueError(f"hold applies to early_call: hold, not {self.early_call}")
        return self


class Arrivals(FrozenModel):
    mix: dict[str, Probability]
    """Share of arrivals per service id; the shares sum to 1."""
    rate_per_hour: RateSteps
    """Arrivals per hour (counter and kiosk customers together): one rate, or a schedule of
    rates over the day (non-homogeneous Poisson)."""
    scale: Annotated[float, Field(ge=0.0)] = 1.0
    """Multiplies every rate: a what-if on demand (1.2 is 20% more customers)."""
    day_noise_cv: Annotated[float, Field(ge=0.0)] = 0.0
    """Day-to-day variation of demand: each simulated day's rates are multiplied by one gamma
    draw with mean 1 and this coefficient of variation; 0: none."""
    appointments: Appointments | None = None
    """Customers with a booked slot; absent: none."""
    remote: RemoteTickets | None = None
    """Customers who take their ticket before coming; absent: none."""

    @field_validator("mix")
    @classmethod
    def _mix_sums_to_one(cls, mix: dict[str, float]) -> dict[str, float]:
        if not mix:
            raise ValueError("must name at least one service")
        if abs(math.fsum(mix.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1, not {math.fsum(mix.values()):g}")
        return mix


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


class ScenarioError(InputError):
    """A scenario that cannot be used; the message names the YAML path and value."""


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


_FRIENDLY = {
    "extra_forbidden": "unknown key",
    "missing": "is required",
}


def field_names(model: type[BaseModel]) -> set[str]:
    """Every key a YAML tree of ``model`` may use, at any depth (for "did you mean")."""
    names: set[str] = set()
    todo, seen = [model], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, field in current.model_fields.items():
            names.add(field.alias or name)
            todo.extend(_models_in(field.annotation))
    return names


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def describe_error(error: Mapping[str, Any], known: set[str] | None = None) -> str:
    """One pydantic error as ``path: value reason``; an unknown key is named with
    the closest key of ``known`` when one is close (a typo)."""
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    reason = _FRIENDLY.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
    if error["type"] == "missing":
        return f"{_path(loc)}: {reason}"
    if error["type"] == "extra_forbidden" and loc:
        key = str(loc[-1])
        close = difflib.get_close_matches(key, sorted(known or ()), n=1, cutoff=0.75)
        hint = f", did you mean `{close[0]}`?" if close else ""
        return f"{_path(loc)}: unknown key `{key}`{hint}"
    value = error["input"]
    if isinstance(value, Mapping | list | tuple) and len(repr(value)) > 40:
        return f"{_path(loc)}: {reason}"  # a whole table: the reason names the part
    return f"{_path(loc)}: {value!r} {reason}"


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


M = TypeVar("M", bound=BaseModel)


def validate_tree(model: type[M], data: object, source: str) -> M:
    """``data`` (a parsed YAML tree) validated as ``model``; every problem becomes
    a line of one :class:`ScenarioError` naming the YAML path and value."""
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{source}: the top level must be a mapping, not {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # a list whose only item failed also reports "too short": noise after the real error
        deeper = [tuple(e["loc"]) for e in errors]
        errors = [
            e
            for e in errors
            if not (
                e["type"] == "too_short"
                and any(
                    len(d) > len(e["loc"]) and d[: len(e["loc"])] == tuple(e["loc"]) for d in deeper
                )
            )
        ]
        known = field_names(model)
        raise ScenarioError("\n".join(describe_error(e, known) for e in errors)) from None


def scenario_from_dict(data: object, *, source: str = "scenario") -> Scenario:
    """Validate a parsed YAML tree; raise :class:`ScenarioError` naming each bad path."""
    scn = validate_tree(Scenario, data, source)
    _check_references(scn)
    return scn


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 integers, so ``12:30`` stays a string."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int",)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
    ),
    list("-+0123456789"),
)


def parse_yaml(text: str, *, source: str) -> object:
    """Parse YAML text; a syntax error becomes a :class:`ScenarioError` with the line."""
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{source}:{where}: {problem}") from None


def read_text_file(path: str | Path) -> str:
    """A file's text (UTF-8); an unreadable file becomes a :class:`ScenarioError`
    naming it."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None


def read_yaml_file(path: str | Path) -> object:
    """The parsed YAML tree of a file; an unreadable file or a syntax error
    becomes a :class:`ScenarioError` naming the file (and line)."""
    return parse_yaml(read_text_file(path), source=str(path))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    return scenario_from_dict(read_yaml_file(path), source=str(path))
