"""A model for a new hall with no history: its sketch (opening hours, counters
and target) completed from a cold-start model, until the hall's own events
can be fitted.

A *sketch* is a scenario file without ``arrivals``: what the hall's operator
knows before it opens (``hall``, ``target``, ``open``/``close``, ``counters``
with their skills and staffing, optionally ``services`` and ``segments`` with
their names, a ``week``, ``holidays``, kiosks and the closing rule).
:func:`cold_start` fills in the rest from a *template* scenario (say, a
neighbouring hall's fitted model, ``hallmon model show --hall H --scenario``)
or, without one, from the stated default :data:`DEFAULT`:

* service times: the template's for the services it has, else its mean
  service time, exponential (default: every service exponential, 5 minutes);
* segments: the sketch's, else the template's, else one segment ``all``;
  each segment's patience is the template's for its id, else the template's
  first one (default: exponential, 20 minutes); shares as the sketch gives
  them, else the template's, else equal;
* mix: the template's shares of the hall's services (a service it lacks gets
  the mean share), else equal;
* demand: the counters busy ``load`` of their staffed time (the template's
  offered load over its staffed counter-hours; default 0.7): per interval of
  the day, ``load × counters staffed × 3600 / mean service time`` customers
  per hour, with day noise of ``cv`` 0.2 at least (a new hall's level is
  uncertain, so the nowcast's demand level follows the day's tickets from
  the first hour, and the drift test allows for it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from sim.model.calendar import counter_instances, intervals, step_value
from sim.model.scenario import Scenario, ScenarioError, scenario_from_dict
from sim.model.scenario_io import clock_text, scenario_to_dict


@dataclass(frozen=True)
class ColdStart:
    """The stated default of a hall without history (see the module docstring)."""

    service_mean_s: float = 300.0
    patience_mean_s: float = 1200.0
    load: float = 0.7
    day_noise_cv: float = 0.2


DEFAULT = ColdStart()
SKETCH_ONLY = ("arrivals",)  # a scenario file without these keys is a sketch


def is_sketch(tree: object) -> bool:
    """Whether a parsed scenario file is a new hall's sketch (no ``arrivals``)."""
    return isinstance(tree, Mapping) and not any(k in tree for k in SKETCH_ONLY)


def offered_load(scn: Scenario) -> float:
    """The share of staffed counter time a scenario's customers need: its
    offered load (customers per hour × mean service time) over the counters
    staffed, over the opening day."""
    mean_s = math.fsum(
        share * scn.services[s].service_time.mean_s for s, share in scn.arrivals.mix.items()
    )
    spans = intervals(scn)
    staffed_s = customers = 0.0
    for inst in counter_instances(scn):
        if not inst.kiosk:
            staffed_s += sum(min(hi, scn.close) - max(lo, scn.open) for lo, hi in inst.windows)
    for lo, hi in spans:
        customers += step_value(scn.arrivals.rate_per_hour, lo) * (hi - lo) / 3600.0
    if staffed_s <= 0:
        return DEFAULT.load
    return customers * scn.arrivals.scale * mean_s / staffed_s


def _services(sketch: Mapping[str, object]) -> list[str]:
    own = sketch.get("services")
    names = [str(k) for k in own] if isinstance(own, Mapping) else []
    groups = sketch["counters"]
    for group in groups if isinstance(groups, list) else ():
        skills = group.get("services") if isinstance(group, Mapping) else None
        names += [s for s in skills or () if isinstance(s, str) and s not in names]
    return names


def cold_start(sketch: Mapping[str, object], template: Scenario | None = None) -> Scenario:
    """The sketch (a parsed scenario file without ``arrivals``) completed from
    ``template`` or the default (see the module docstring); a
    :class:`ScenarioError` names what the sketch lacks or gets wrong."""
    data = dict(sketch)
    if "counters" not in data or not data["counters"]:
        raise ScenarioError("counters: a new hall's sketch needs its counters")
    default = DEFAULT
    services = _services(data)
    own = _mapping(data.get("services"))
    known = template.services if template is not None else {}
    mean_s = (
        math.fsum(s.service_time.mean_s for s in known.values()) / len(known)
        if known
        else default.service_mean_s
    )
    completed: dict[str, object] = {}
    for name in services:
        given = own.get(name)
        if given is not None and not isinstance(given, Mapping):
            completed[name] = given  # not a service: the scenario's check names it
            continue
        service = dict(given or {})
        if "service_time" not in service:
            if name in known:
                service["service_time"] = known[name].service_time.model_dump(exclude_none=True)
            else:
                service["service_time"] = {"dist": "exponential", "mean": mean_s}
        completed[name] = service
    data["services"] = completed
    data["segments"] = _segments(data, template, default)
    mix = _mix(services, template)
    arrivals: dict[str, object] = {
        "mix": mix,
        "rate_per_hour": {"00:00": 0.0},
        "day_noise_cv": max(
            default.day_noise_cv, template.arrivals.day_noise_cv if template else 0.0
        ),
    }
    data["arrivals"] = arrivals
    if template is not None and "no_show_delay" not in data:
        data["no_show_delay"] = template.no_show_delay
    provisional = scenario_from_dict(data, source="the new hall's sketch")
    load = offered_load(template) if template is not None else default.load
    arrivals["rate_per_hour"] = _demand(provisional, load)
    return scenario_from_dict(data, source="the new hall's sketch")


def _mapping(node: object) -> dict[str, object]:
    """A YAML mapping as a dict (an absent or empty one: empty)."""
    return {str(k): v for k, v in node.items()} if isinstance(node, Mapping) else {}


def _segments(
    data: Mapping[str, object], template: Scenario | None, default: ColdStart
) -> dict[str, dict[str, object]]:
    own: dict[str, dict[str, object]] = {}
    for k, v in _mapping(data.get("segments")).items():
        if v is not None and not isinstance(v, Mapping):
            raise ScenarioError(f"segments.{k}: {v!r} is not a mapping")
        own[k] = _mapping(v)
    theirs = {
        k: _mapping(v)
        for k, v in _mapping(scenario_to_dict(template)["segments"] if template else {}).items()
    }
    if not own:
        own = {k: {} for k in theirs} if theirs else {"all": {}}
    first_patience = next((v["patience"] for v in theirs.values() if "patience" in v), None)
    fallback = first_patience or {"dist": "exponential", "mean": default.patience_mean_s}
    given = {k: v.get("share", theirs.get(k, {}).get("share")) for k, v in own.items()}
    shares: dict[str, float] = {}
    for k, share in given.items():
        if share is not None and not isinstance(share, int | float):
            raise ScenarioError(f"segments.{k}.share: {share!r} is not a number")
        shares[k] = float(share) if share is not None else math.nan
    if any(math.isnan(s) for s in shares.values()):
        shares = {k: 1.0 / len(own) for k in own}
    total = math.fsum(shares.values())
    shares = {
        k: round(share / total, 6) if total > 0 else 1.0 / len(own) for k, share in shares.items()
    }
    biggest = max(shares, key=lambda k: shares[k])
    shares[biggest] = round(1.0 - math.fsum(v for k, v in shares.items() if k != biggest), 9)
    for k, seg in own.items():
        seg["share"] = shares[k]
        if "patience" not in seg:
            seg["patience"] = theirs.get(k, {}).get("patience", fallback)
    return own


def _mix(services: list[str], template: Scenario | None) -> dict[str, float]:
    theirs = template.arrivals.mix if template is not None else {}
    known = [theirs[s] for s in services if s in theirs]
    fill = math.fsum(known) / len(known) if known else 1.0
    raw = {s: theirs.get(s, fill) for s in services}
    total = math.fsum(raw.values())
    if total <= 0:
        raw, total = dict.fromkeys(services, 1.0), float(len(services))
    mix = {s: round(v / total, 6) for s, v in raw.items()}
    biggest = max(mix, key=lambda s: mix[s])
    mix[biggest] = round(1.0 - math.fsum(v for s, v in mix.items() if s != biggest), 9)
    return mix


def _demand(scn: Scenario, load: float) -> dict[str, float]:
    """Customers per hour per interval: ``load`` of the counters staffed at the
    interval's start, over the mean service time (at each group's speed)."""
    instances = [i for i in counter_instances(scn) if not i.kiosk]
    mean_s = math.fsum(
        share * scn.services[s].service_time.mean_s for s, share in scn.arrivals.mix.items()
    )
    rates: dict[str, float] = {}
    for lo, _ in intervals(scn):
        capacity = math.fsum(
            inst.speed for inst in instances if any(a <= lo < b for a, b in inst.windows)
        )
        rate = round(load * capacity * 3600.0 / mean_s, 2)
        if not rates or rate != list(rates.values())[-1]:
            rates[clock_text(lo)] = rate
    return rates or {"00:00": 0.0}
