"""Writing scenarios back to YAML in people's units (``15m``, ``09:30``), so a
plan or roster that hallsim writes reads like one a planner wrote and loads
back to an equal scenario. The writer follows the schema's type hints, so a
new field needs no code here."""

from __future__ import annotations

import types
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import yaml
from pydantic import BaseModel, BeforeValidator

from sim.model.fields import CountSteps, RateSteps
from sim.model.scenario import Scenario
from sim.model.units import format_duration, parse_clock_s, parse_duration_s, parse_span_s

_STEP_PARSERS = {id(get_args(a)[1].func) for a in (RateSteps, CountSteps)}


def clock_text(seconds: float) -> str:
    """``HH:MM`` (or ``HH:MM:SS`` when needed) for seconds after midnight."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def span_text(start_s: float, end_s: float) -> str:
    """``HH:MM-HH:MM`` for a span of the day."""
    return f"{clock_text(start_s)}-{clock_text(end_s)}"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def _steps_text(steps: Sequence[tuple[float, float]]) -> int | float | dict[str, int | float]:
    if len(steps) == 1 and steps[0][0] == 0.0:
        return _number(steps[0][1])
    return {clock_text(start): _number(value) for start, value in steps}


def _people_units(value: Any, hint: Any) -> Any:
    """``value`` of a field typed ``hint``, as it would be written in YAML."""
    if get_origin(hint) is Annotated:
        base, *meta = get_args(hint)
        for item in meta:
            if isinstance(item, BeforeValidator):
                if item.func is parse_duration_s:
                    return format_duration(value)
                if item.func is parse_clock_s:
                    return clock_text(value)
                if item.func is parse_span_s:
                    return span_text(*value)
                if id(item.func) in _STEP_PARSERS:
                    return _steps_text(value)
        return _people_units(value, base)
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return _model_dict(value)
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        (arm,) = (a for a in args if a is not type(None))
        return _people_units(value, arm)
    if origin is tuple:
        arms = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else args
        return [_people_units(v, a) for v, a in zip(value, arms, strict=True)]
    if origin is dict:
        return {k: _people_units(v, args[1]) for k, v in value.items()}
    return value


def _model_dict(model: BaseModel) -> dict[str, object]:
    hints = get_type_hints(type(model), include_extras=True)
    out: dict[str, object] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if name not in model.model_fields_set and value == field.get_default(
            call_default_factory=True
        ):
            continue  # a default the source left out
        out[name] = _people_units(value, hints[name])
    return out


# open: callers edit the tree (planners' what-ifs, fits) and validate it again
def scenario_to_dict(scn: Scenario) -> dict[str, Any]:
    """``scn`` as a YAML-ready tree in people's units (``15m``, ``09:30``), leaving
    out defaults its source left out; ``scenario_from_dict(scenario_to_dict(scn)) == scn``."""
    return _model_dict(scn)


def scenario_yaml(scn: Scenario, comment: str | None = None) -> str:
    """The scenario as YAML text that :func:`sim.model.scenario.load_scenario` reads
    back, optionally headed by a comment line."""
    head = f"# {comment}\n" if comment else ""
    return head + yaml.safe_dump(
        scenario_to_dict(scn),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,  # innermost lists and mappings on one line
        width=100,
    )


def write_scenario(scn: Scenario, path: Path, comment: str | None = None) -> None:
    """Write ``scn`` as a YAML scenario file at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scenario_yaml(scn, comment), encoding="utf-8")
