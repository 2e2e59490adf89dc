"""The generated parts a page can ask for, by marker name. Each imports what
it documents only when asked, and documents it through its public names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from manualgen.schema import Renderer, Unit


def _validator(alias: Any) -> Any:
    """The validator object of an annotated type (``Annotated[float, BeforeValidator(f)]``)."""
    return get_args(alias)[1]


def _steps(value: tuple[tuple[float, float], ...]) -> str:
    from sim.model.units import format_clock

    if len(value) == 1 and value[0][0] == 0.0:
        return f"{value[0][1]:g}"
    return "{" + ", ".join(f'"{format_clock(t)}": {v:g}' for t, v in value) + "}"


UNIT_LEGEND = """\
Types in people's units: a **duration** is `90s`, `15m`, `1.5h` or a number of
seconds; a **time of day** is `09:30` (`24:00` ends the day); a **span** is
`09:00-18:00`; a **date** is `2027-01-01` (the hall's local calendar); a
**schedule** is one number for the whole day or a mapping
`{"09:00": 40, "12:00": 60}` whose values hold from their time until the next.
"""


def people_units() -> Renderer:
    from sim.model import fields as s
    from sim.model.units import format_clock, format_duration

    def span(value: tuple[float, float]) -> str:
        return f"{format_clock(value[0])}-{format_clock(value[1])}"

    return Renderer(
        {
            id(_validator(s.DurationS)): Unit("duration", format_duration),
            id(_validator(s.ClockS)): Unit("time of day", format_clock),
            id(_validator(s.SpanS)): Unit("span", span),
            id(_validator(s.RateSteps)): Unit("schedule of numbers", _steps),
            id(_validator(s.CountSteps)): Unit("schedule of whole numbers", _steps),
        }
    )


def scenario(_: str | None) -> str:
    from sim.model.scenario import Scenario

    return UNIT_LEGEND + "\n" + people_units().render(Scenario)


def monitor_config(_: str | None) -> str:
    from monitor.core.config import FileConfig

    return UNIT_LEGEND + "\n" + people_units().render(FileConfig)


def event_fields(_: str | None) -> str:
    from sim.eventlog.events import Event

    return Renderer({}).render(Event, heading="###", docstrings=False)


def event_kinds(_: str | None) -> str:
    from sim.eventlog.events import FIELDS, FIELDS_BY_KIND, KIND_ORDER, KINDS

    rows = ["| kind | needs | may also carry | order at one instant |", "|---|---|---|---|"]
    for kind in sorted(KINDS, key=KIND_ORDER.__getitem__):
        needed, allowed = FIELDS_BY_KIND[kind]
        in_order = [f for f in FIELDS if f in needed]
        also = [f for f in FIELDS if f in allowed]
        rows.append(
            f"| `{kind}` | {', '.join(f'`{f}`' for f in in_order)} "
            f"| {', '.join(f'`{f}`' for f in also) or '—'} | {KIND_ORDER[kind] + 1} |"
        )
    return "\n".join(rows) + "\n"


def cli(program: str | None) -> str:
    from manualgen.cli import reference

    if program == "hallsim":
        from sim.cli import app
    elif program == "hallmon":
        from monitor.cli.app import app
    else:
        raise ValueError(f"cli needs a program, hallsim or hallmon, not {program!r}")
    return reference(app, program)


def openapi(_: str | None) -> str:
    from manualgen.openapi import reference, served_document

    return reference(served_document(), elsewhere={"Event": "events.md#fields"})


PARTS: dict[str, Callable[[str | None], str]] = {
    "scenario": scenario,
    "monitor-config": monitor_config,
    "event-fields": event_fields,
    "event-kinds": event_kinds,
    "cli": cli,
    "openapi": openapi,
}
