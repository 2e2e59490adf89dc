"""The field types every configuration tree read from YAML is built of: people's
units turned into seconds when loaded (``DurationS``: ``90s``, ``15m``;
``ClockS``: ``09:30``; ``SpanS``: ``09:00-17:30``), piecewise schedules over the
day (``RateSteps``, ``CountSteps``), and :class:`FrozenModel`, the base of every
model: immutable once validated, unknown keys refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sim.model.units import parse_clock_s, parse_duration_s, parse_span_s, parse_steps

DurationS = Annotated[float, BeforeValidator(parse_duration_s)]
ClockS = Annotated[float, BeforeValidator(parse_clock_s)]
SpanS = Annotated[tuple[float, float], BeforeValidator(parse_span_s)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


RateSteps = Annotated[
    tuple[tuple[float, float], ...], BeforeValidator(lambda v: parse_steps(v, float))
]
CountSteps = Annotated[
    tuple[tuple[float, float], ...], BeforeValidator(lambda v: parse_steps(v, int))
]


class FrozenModel(BaseModel):
    """Base of every configuration tree read from YAML: immutable once
    validated, and an unknown key is an error (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
