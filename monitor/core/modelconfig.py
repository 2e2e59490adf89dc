"""The config of the halls' models (:mod:`monitor.core.config` holds the
rest): how hard the day forecast (``forecast:``) and the nowcast (``nowcast:``)
simulate, the nightly learning (``learn:``, file-wide or per hall) and the drift
test (``drift:``). See :mod:`monitor.background.learn` and
:mod:`monitor.background.drift` for what they do."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from sim.model.fields import ClockS, DurationS, FrozenModel


class NowcastPrecision(FrozenModel):
    """When a nowcast has simulated enough futures: it stops before ``replications`` once
    every expected wait and breach probability is this precise (95% intervals)."""

    wait: DurationS = 120.0
    """Half-width of every expected wait's interval, at most (or ``wait_ratio`` of the wait,
    whichever is larger)."""
    wait_ratio: Annotated[float, Field(ge=0.0)] = 0.2
    """The same as a share of the wait."""
    probability: Annotated[float, Field(gt=0.0, le=0.5)] = 0.1
    """Half-width of every breach probability's interval, at most."""
    min_replications: Annotated[int, Field(ge=2)] = 12
    """Simulated futures before the first check (then every 4 more)."""


class NowcastConfig(FrozenModel):
    """How often and how hard the nowcast simulates forward; ``every: 0`` turns it off."""

    every: DurationS = 60.0
    """How old an open hall's nowcast may get: each is simulated forward again from the hall's
    live state before it is this old (a hall with ``clock: events`` and no event since keeps
    it: it would come out the same); 0 turns the nowcast off."""
    replications: Annotated[int, Field(ge=2)] = 30
    """Simulated futures per nowcast (the most, with a ``precision``)."""
    precision: NowcastPrecision | None = NowcastPrecision()
    """Stop a nowcast early once it is this precise (sequential stopping); null: always run
    ``replications``."""
    seed: int = 1
    """Seed of the nowcast's random streams."""


class ForecastConfig(FrozenModel):
    """The day forecast; ``replications: 0`` turns it off."""

    replications: Annotated[int, Field(ge=0)] = 20
    """Simulated days the day forecast averages; 0 turns the forecast off."""
    seed: int = 1
    """Seed of the forecast's random streams."""


class LearnConfig(FrozenModel):
    """The nightly learning of a hall's model: at the hall's local night, a
    candidate is fitted from its last ``days`` days in the store (at least
    ``min_days`` of them), the most recent ``holdout`` days (at most a quarter
    of those there are) held back to back-test it against the model in use,
    with ``replications`` forecast runs each; ``cold_start``: a scenario the
    model of a new hall (a sketch without ``arrivals``) is completed from
    (default: the stated default of :mod:`sim.model.coldstart`)."""

    enabled: bool = True
    """``false`` turns learning off (for one hall, when the file's ``learn`` is on)."""
    days: Annotated[int, Field(ge=7)] = 28
    """The store's last days (up to the night) a fit may use."""
    min_days: Annotated[int, Field(ge=3)] = 7
    """Days with events a hall needs before its first fit; until then it is *learning*."""
    holdout: Annotated[int, Field(ge=1)] = 7
    """The most recent days held back from the fit to back-test it (at most a quarter of the
    days there are)."""
    at: ClockS = 3 * 3600.0 + 600.0
    """The hall's local time after which its last day's night is due (with ``clock: events``:
    the first event after it)."""
    replications: Annotated[int, Field(ge=2)] = 10
    """Simulated days per forecast in the back-test."""
    seed: int = 1
    """Seed of the back-test's forecasts (the same for both models: common random numbers)."""
    cold_start: Path | None = None
    """A scenario (relative to the config file) that a new hall's sketch is completed from;
    absent: the stated default."""

    @model_validator(mode="after")
    def _fits_in_days(self) -> LearnConfig:
        if self.min_days > self.days:
            raise ValueError(f"min_days {self.min_days} is more than days {self.days}")
        return self


class DriftConfig(FrozenModel):
    """The drift test of the live stream against the model in use, run every
    ``every`` (0: off), raising a drift on at most ``false_alarm`` of the days
    that match the model."""

    every: DurationS = 60.0
    """How often each open hall's day so far is tested; 0 turns the drift test off."""
    false_alarm: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.01
    """Share of the days that match the model on which any drift is raised (at most)."""
