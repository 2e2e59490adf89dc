"""The halls and days the nowcast accuracy test scores (see
``test_nowcast_accuracy.py``): the made-up halls, one replayed day with its
truth, the nowcast and the naive predictors at every point.

Halls. One hall (:func:`hall`: three services, a VIP segment called first,
impatient young customers who balk at long queues, a repair desk with a
break, fewer general counters over lunch, a day-to-day demand factor), at
three offered loads (customers x mean service / staffed counter time over the
day, :func:`offered_load`: quiet 0.55, moderate 0.85, overloaded 1.05), each
with ``no_show_delay`` 0 (a counter calling a customer who has gone moves on
at once) and 45 s (it keeps calling for 45 s). The nowcast was not tuned on
them.

A day (:func:`replay_day`). Day ``d`` of a hall is replication ``d`` of
``DAY_SEED``, logged as a real hall's ticket system logs it (``no_show``
mode) and fed event by event to the monitor's :class:`HallState`; every
``STEP_S`` from 09:30 to 17:00 its ``picture(T)`` goes through
:func:`monitor.background.loops.hall_start` into :func:`sim.live.nowcast.nowcast`
(30 replications, seed ``NOWCAST_SEED + d``), as the exporter computes it
from the log.

Truth: the wait a customer taking a ticket at ``T`` would actually have had
that day. The truth day carries zero-work, endlessly patient probe tickets of
every service and segment taken at each ``T`` (they change nobody's day:
``tests/sim/live/test_warmstart.py``); a probe's wait is when that day's
counters would have called such a ticket. Kept beside it, not scored on: the
wait of the next real walk-in ticket of the service issued after ``T``.

Naive predictors, from what the ticket system knows at ``T``: (a) the wait of
the ticket of that service called last (0 before any); (b) tickets waiting for
the service x its mean service time / open counters serving it; (b2) the same
pooled: all tickets waiting x the mean service time of the mix / all open
counters; (c) the day forecast's mean wait for the interval holding ``T``
(:func:`sim.live.forecast.forecast_day`, 20 replications).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from monitor.background.loops import hall_start
from monitor.core.batches import to_rows
from monitor.core.config import Hall, load_settings
from monitor.core.state import HallState
from sim.eventlog.convert import day_events
from sim.live.forecast import DayForecast, counter_services
from sim.live.nowcast import counter_service_shares, nowcast
from sim.live.warmstart import HallStart, Probe, called_no_show_probability, simulate_from
from sim.model.calendar import counter_instances
from sim.model.records import BALKED, Records
from sim.model.scenario import Scenario, scenario_from_dict
from tests.monitor.conftest import DAY, ENV, write_config

STEP_S = 1800.0
REPLICATIONS = 30
DAY_SEED = 2027
NOWCAST_SEED = 101
FORECAST_SEED = 7
FORECAST_REPLICATIONS = 20
LOADS = {"quiet": 0.55, "moderate": 0.85, "overloaded": 1.05}
NO_SHOW_DELAYS_S = (0.0, 45.0)
SUSPECT = 0.1  # a call this likely a no-show is compared with the nowcast that ignores it
PREDICTORS = ("a", "b", "b2", "c")
NAMES = {
    "a": "(a) last ticket called",
    "b": "(b) waiting x service / counters",
    "b2": "(b2) the same, pooled",
    "c": "(c) day forecast",
}


# -- the halls ---------------------------------------------------------------------------


def hall(name: str, load: float, no_show_delay_s: float) -> Scenario:
    """The test hall at offered ``load`` (see :func:`offered_load`)."""
    tree: dict[str, Any] = {
        "hall": name,
        "open": "09:00",
        "close": "17:30",
        "interval": "30m",
        "target": {"wait": "10m", "service_level": 0.8},
        "closing": "serve_all",
        "no_show_delay": no_show_delay_s,
        "services": {
            "account": {"service_time": {"dist": "gamma", "mean": "8m", "cv": 0.6}},
            "enquiry": {"service_time": {"dist": "lognormal", "mean": "3m", "cv": 0.9}},
            "repair": {"service_time": {"dist": "lognormal", "mean": "11m", "cv": 0.7}},
        },
        "segments": {
            "vip": {
                "share": 0.1,
                "priority": 0,
                "patience": {"dist": "lognormal", "mean": "25m", "cv": 0.7},
            },
            "regular": {
                "share": 0.6,
                "priority": 1,
                "patience": {"dist": "exponential", "mean": "30m"},
            },
            "young": {
                "share": 0.3,
                "priority": 1,
                "patience": {"dist": "exponential", "mean": "15m"},
                "balk_if_queue_over": 25,
            },
        },
        "arrivals": {
            "mix": {"account": 0.4, "enquiry": 0.4, "repair": 0.2},
            "rate_per_hour": {"09:00": 20, "10:30": 32, "12:00": 24, "13:30": 30, "16:00": 36},
            "day_noise_cv": 0.1,
        },
        "counters": [
            {
                "id": "G",
                "count": {"09:00": 4, "12:00": 3, "13:30": 4},
                "services": ["account", "enquiry", "repair"],
            },
            {"id": "R", "count": 1, "services": ["repair", "enquiry"], "breaks": ["12:30-13:00"]},
        ],
    }
    base = offered_load(scenario_from_dict(tree))
    tree["arrivals"]["scale"] = load / base
    return scenario_from_dict(tree)


def offered_load(scn: Scenario) -> float:
    """Expected customers of the day x mean service time / staffed counter time."""
    steps = [*scn.arrivals.rate_per_hour, (scn.close, 0.0)]
    customers = scn.arrivals.scale * math.fsum(
        rate * (min(end, scn.close) - start) / 3600.0 for (start, rate), (end, _) in pairwise(steps)
    )
    work_s = math.fsum(
        share * scn.services[name].service_time.mean_s for name, share in scn.arrivals.mix.items()
    )
    staffed_s = math.fsum(
        end - start
        for inst in counter_instances(scn)
        if not inst.kiosk
        for start, end in inst.windows
    )
    return customers * work_s / staffed_s


CONFIGS = [(name, delay) for name in LOADS for delay in NO_SHOW_DELAYS_S]


def config_id(config: tuple[str, float]) -> str:
    return f"{config[0]}, no-show delay {config[1]:g} s"


# -- one day -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One (day, time, service): the truth per segment and the predictions (seconds)."""

    day: int
    at_s: float
    service: str
    truth_s: np.ndarray  # per segment, the wait of a ticket taken at ``at_s``
    next_ticket_s: float  # the wait of the next real walk-in ticket (NaN: none called)
    mean_s: float
    median_s: float
    p90_s: float
    breach: float  # the nowcast's probability of a wait past the target
    naive: dict[str, float]  # PREDICTORS -> prediction
    suspect_call: bool  # a counter was calling a ticket that may be a no-show
    blind_mean_s: float = math.nan  # then: the mean without the waits before the calls
    blind_median_s: float = math.nan


def monitor_hall(directory: Path, scn: Scenario) -> Hall:
    """A configured hall (events clock) simulating ``scn``."""
    settings = load_settings(write_config(directory), environ=ENV)
    found = next(h for h in settings.halls if h.id == "flagship")
    return found.model_copy(update={"scenario": scn})


def next_ticket(r: Records, service: int, after_s: float) -> int | None:
    """The first walk-in counter ticket of ``service`` issued after ``after_s``."""
    mine = np.flatnonzero(
        ~r.kiosk & ~r.appointment & (r.service == service) & (r.arrival_s > after_s)
    )
    mine = mine[r.outcome[mine] != BALKED]
    return int(mine[np.argmin(r.arrival_s[mine])]) if mine.size else None


def last_called_wait_s(r: Records, service: int, at_s: float) -> float:
    """The wait of the ticket of ``service`` called last by ``at_s`` (0 if none)."""
    called = np.flatnonzero(~r.kiosk & (r.service == service) & (r.called_s <= at_s))
    if not called.size:
        return 0.0
    i = called[np.argmax(r.called_s[called])]
    return float(r.called_s[i] - r.arrival_s[i])


def replay_day(hall_: Hall, forecast: DayForecast, day: int) -> list[Point]:
    """Simulate day ``day`` with truth probes, feed its log to a :class:`HallState`
    and nowcast at every ``STEP_S``; one :class:`Point` per time and service."""
    scn = hall_.scenario
    services, segments = counter_services(scn), list(scn.segments)
    times = [float(t) for t in np.arange(scn.open + STEP_S, scn.close - STEP_S / 2, STEP_S)]
    probes = [Probe(t, svc, seg) for t in times for svc in services for seg in segments]
    truth_run = simulate_from(scn, HallStart(scn.open), DAY_SEED, day, probes, run_to_end=True)
    truth = truth_run.probe_wait_s.reshape(len(times), len(services), len(segments))
    assert np.isfinite(truth).all(), "serve_all: every probe is called"
    records = truth_run.records
    date = DAY + timedelta(days=day)
    state = HallState(hall_)
    rows = to_rows(day_events(records, scn, date, "no_show"), state.zone)
    midnight_s = datetime.combine(date, time(), state.zone).timestamp()
    instances = {i.name: scn.counters[i.group].services for i in counter_instances(scn)}
    shares = counter_service_shares(scn)
    pooled_service_s = math.fsum(s * scn.services[n].service_time.mean_s for n, s in shares.items())
    points: list[Point] = []
    fed = 0
    for k, at_s in enumerate(times):
        now_s = midnight_s + at_s
        upto = fed
        while upto < len(rows) and rows[upto].ts_us <= round(now_s * 1e6):
            upto += 1
        state.apply(rows[fed:upto])
        fed = upto
        picture = state.picture(now_s)
        start = hall_start(picture, scn, state.local_seconds(picture.now_s))
        result = nowcast(
            scn, start, horizons_s=(0.0,), replications=REPLICATIONS, seed=NOWCAST_SEED + day
        )
        opened = picture.open_counters or ()
        waiting = {svc: sum(w[0] == svc for w in picture.waiting) for svc in services}
        # observable: a counter calls a ticket that may well be a no-show
        suspect = any(
            b.waited_s is not None
            and b.segment is not None
            and called_no_show_probability(scn, b.segment, b.service, b.waited_s, b.elapsed_s)
            >= SUSPECT
            for b in start.busy
        )
        blind = None
        if suspect:  # what the nowcast says without weighing the calls
            unaware = tuple(dataclasses.replace(b, waited_s=None) for b in start.busy)
            blind = nowcast(
                scn,
                dataclasses.replace(start, busy=unaware),
                horizons_s=(0.0,),
                replications=REPLICATIONS,
                seed=NOWCAST_SEED + day,
            )
        for j, svc in enumerate(services):
            s = records.services.index(svc)
            serving = sum(svc in instances[c] for c in opened)
            mean_service_s = scn.services[svc].service_time.mean_s
            i = next_ticket(records, s, at_s)
            points.append(
                Point(
                    day=day,
                    at_s=at_s,
                    service=svc,
                    truth_s=truth[k, j].copy(),
                    next_ticket_s=math.nan
                    if i is None
                    else float(records.called_s[i] - records.arrival_s[i]),
                    mean_s=result.wait_s[(svc, 0.0)],
                    median_s=result.wait_median_s[(svc, 0.0)],
                    p90_s=result.wait_p90_s[(svc, 0.0)],
                    breach=result.service_breach_probability[(svc, 0.0)],
                    naive={
                        "a": last_called_wait_s(records, s, at_s),
                        "b": waiting[svc] * mean_service_s / max(serving, 1),
                        "b2": sum(waiting.values()) * pooled_service_s / max(len(opened), 1),
                        "c": forecast.at(at_s)[svc].wait_s,
                    },
                    suspect_call=suspect,
                    blind_mean_s=math.nan if blind is None else blind.wait_s[(svc, 0.0)],
                    blind_median_s=math.nan if blind is None else blind.wait_median_s[(svc, 0.0)],
                )
            )
    return points
