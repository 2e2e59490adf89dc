"""What a scenario says of its customers: who comes (the arrival rate and mix,
booked slots, remote tickets), in which segment with what patience, for which
service, and the random durations (:class:`Distribution`) all of these use.
Part of the scenario's schema (:mod:`sim.model.scenario`), validated with it."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sim.model.fields import (
    DurationS,
    FrozenModel,
    Probability,
    RateSteps,
)


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
