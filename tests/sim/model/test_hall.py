"""The hall model: invariants on random days, agreement with the textbook SimPy
queue, direction under common random numbers, and seed stability.

The invariants (:func:`assert_day_invariants`) are read off the records only,
plus the scenario and the pre-drawn demand; a test breaks records on purpose to
show that the check bites."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.model.calendar import CounterInstance, counter_instances
from sim.model.demand import Demand, draw_demand
from sim.model.hall import simulate
from sim.model.records import ABANDONED, BALKED, OUTCOMES, SERVED, UNSERVED, Records
from sim.model.scenario import Distribution, Scenario, load_scenario, scenario_from_dict
from tests.sim.model.textbook import run_textbook

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
TOL_S = 1e-9

# -- random days --------------------------------------------------------------

# the day runs 09:00-12:00; schedules change on a quarter-hour grid
QUARTERS = [f"{h:02d}:{m:02d}" for h in range(8, 13) for m in (0, 15, 30, 45)][2:-3]  # 08:30-12:00
IN_DAY = [q for q in QUARTERS if "09:00" <= q < "12:00"]


def minutes(lo: float, hi: float) -> st.SearchStrategy[str]:
    return st.floats(lo, hi).map(lambda m: f"{m:.2f}m")


def distributions(lo_min: float, hi_min: float) -> st.SearchStrategy[dict[str, Any]]:
    mean = minutes(lo_min, hi_min)
    cv = st.floats(0.2, 1.5)
    return st.one_of(
        st.builds(lambda m: {"dist": "exponential", "mean": m}, mean),
        st.builds(lambda m, c: {"dist": "lognormal", "mean": m, "cv": c}, mean, cv),
        st.builds(lambda m, c: {"dist": "gamma", "mean": m, "cv": c}, mean, cv),
        st.builds(lambda m, c: {"dist": "weibull", "mean": m, "cv": c}, mean, cv),
        st.builds(lambda m: {"dist": "fixed", "mean": m}, mean),
        st.lists(st.integers(int(lo_min * 60), int(hi_min * 60)), min_size=1, max_size=5).map(
            lambda xs: {"dist": "empirical", "samples": [f"{x}s" for x in xs]}
        ),
    )


def shares(draw: st.DrawFn, names: list[str]) -> dict[str, float]:
    weights = [draw(st.floats(0.05, 1.0)) for _ in names]
    return {name: w / math.fsum(weights) for name, w in zip(names, weights, strict=True)}


def span(draw: st.DrawFn, grid: list[str]) -> tuple[str, str]:
    start, end = sorted(draw(st.lists(st.sampled_from(grid), min_size=2, max_size=2, unique=True)))
    return start, end


@st.composite
def counter_group(
    draw: st.DrawFn, gid: str, services: list[str], segments: list[str]
) -> dict[str, Any]:
    group: dict[str, Any] = {
        "id": gid,
        "services": draw(st.lists(st.sampled_from(services), min_size=1, unique=True)),
        "speed": draw(st.sampled_from([0.5, 0.8, 1.0, 1.0, 1.3, 2.0])),
    }
    if draw(st.booleans()):
        group["count"] = draw(st.integers(0, 3))
    else:
        keys = draw(st.lists(st.sampled_from(IN_DAY), min_size=1, max_size=4, unique=True))
        group["count"] = {k: draw(st.integers(0, 3)) for k in sorted(keys)}
    if draw(st.booleans()):
        group["segments"] = draw(st.lists(st.sampled_from(segments), min_size=1, unique=True))
    shift = None
    if draw(st.booleans()):
        shift = span(draw, QUARTERS)
        group["shift"] = "-".join(shift)
    breaks = []
    for _ in range(draw(st.integers(0, 2))):
        inside = [q for q in QUARTERS if shift is None or shift[0] <= q <= shift[1]]
        if len(inside) >= 2:
            breaks.append("-".join(span(draw, inside)))
    if breaks:
        group["breaks"] = breaks
    return group


@st.composite
def days(draw: st.DrawFn) -> dict[str, Any]:
    """A small random hall open 09:00-12:00 with low demand, as a scenario dict."""
    services = [f"s{i}" for i in range(draw(st.integers(1, 3)))]
    segments = [f"g{i}" for i in range(draw(st.integers(1, 3)))]
    segment_specs: dict[str, Any] = {}
    for name, share in shares(draw, segments).items():
        spec: dict[str, Any] = {"share": share, "priority": draw(st.integers(0, 2))}
        if draw(st.booleans()):
            spec["patience"] = draw(distributions(2, 25))
        if draw(st.integers(0, 3)) == 0:
            spec["balk_if_queue_over"] = draw(st.integers(0, 5))
        segment_specs[name] = spec
    n_groups = draw(st.integers(1, 3))
    groups = [draw(counter_group(gid, services, segments)) for gid in "ABC"[:n_groups]]
    # every service must be served for every segment, or validation rejects the hall
    uncovered = [
        svc
        for svc in services
        for seg in segments
        if not any(svc in g["services"] and seg in g.get("segments", segments) for g in groups)
    ]
    if uncovered:
        last = groups[-1]
        last.pop("segments", None)
        last["services"] = list(dict.fromkeys([*last["services"], *uncovered]))
    rate: object = draw(st.floats(10, 50))
    if draw(st.booleans()):
        rate = {"09:00": rate, draw(st.sampled_from(IN_DAY[1:])): draw(st.floats(0, 60))}
    arrivals: dict[str, Any] = {"mix": shares(draw, services), "rate_per_hour": rate}
    if draw(st.booleans()):
        arrivals["appointments"] = {
            "share": draw(st.floats(0.05, 0.5)),
            "slot": draw(st.sampled_from(["15m", "30m"])),
            "punctuality": draw(st.sampled_from(["0s", "3m"])),
            "priority": draw(st.integers(0, 2)),
        }
    scn: dict[str, Any] = {
        "hall": "random",
        "open": "09:00",
        "close": "12:00",
        "target": {"wait": "10m"},
        "services": {s: {"service_time": draw(distributions(1, 12))} for s in services},
        "segments": segment_specs,
        "arrivals": arrivals,
        "counters": groups,
        "closing": draw(st.sampled_from(["serve_all", "turn_away"])),
        "no_show_delay": draw(st.sampled_from(["0s", "20s", "2m"])),
    }
    if draw(st.booleans()):
        scn["kiosks"] = [
            {
                "id": "K",
                "count": draw(st.integers(1, 2)),
                "services": draw(st.lists(st.sampled_from(services), min_size=1, unique=True)),
                "share": draw(st.floats(0.1, 1.0)),
                "speed": draw(st.sampled_from([0.7, 1.0, 1.5])),
            }
        ]
    return scn


# -- invariants -----------------------------------------------------------------


def _eligible(scn: Scenario, inst: CounterInstance, demand: Demand) -> np.ndarray:
    """Which customers counter ``inst`` may serve (channel, skill, segment)."""
    names = list(scn.services)
    if inst.kiosk:
        kiosk = scn.kiosks[inst.group]
        return demand.kiosk & np.isin(demand.service, [names.index(s) for s in kiosk.services])
    group = scn.counters[inst.group]
    ok = ~demand.kiosk & np.isin(demand.service, [names.index(s) for s in group.services])
    if group.segments is not None:
        segments = list(scn.segments)
        ok &= np.isin(demand.segment, [segments.index(s) for s in group.segments])
    return ok


def _tier(scn: Scenario, inst: CounterInstance, demand: Demand) -> tuple[np.ndarray, np.ndarray]:
    """Per customer, the (priority, rank of the service in the skill order) by
    which ``inst`` picks its next ticket, ties going to the earliest arrival; a
    kiosk has a single FIFO queue."""
    n = len(demand)
    if inst.kiosk:
        return np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    priority = np.array([seg.priority for seg in scn.segments.values()])[demand.segment]
    appts = scn.arrivals.appointments
    if appts is not None:
        priority = np.where(demand.appointment, appts.priority, priority)
    skills = scn.counters[inst.group].services
    order = [skills.index(s) if s in skills else len(skills) for s in scn.services]
    return priority, np.asarray(order, dtype=int)[demand.service]


Spans = list[tuple[float, float]]


def _gaps(lo: float, hi: float, windows: tuple[tuple[float, float], ...]) -> Spans:
    """Parts of ``[lo, hi]`` outside the half-open ``windows``."""
    out, t = [], lo
    for ws, we in windows:
        if ws > t:
            out.append((t, min(ws, hi)))
        t = max(t, we)
    if hi > t:
        out.append((t, hi))
    return [(a, b) for a, b in out if b > a]


def assert_day_invariants(scn: Scenario, demand: Demand, rec: Records) -> None:
    """Every rule one opening day's records must obey: counts balance, times are
    ordered, service lasts work / speed, patience and balking are honoured, a
    counter serves one customer at a time, only customers it may serve, only
    while open, never idles while such a customer waits, calls the best ticket,
    and closing follows ``scn.closing``."""
    instances = counter_instances(scn)
    serve_all = scn.closing == "serve_all"
    n = len(demand)

    # the records are the demand's customers, in the same order
    assert len(rec) == n
    for column in ("arrival_s", "service", "segment", "kiosk", "appointment"):
        np.testing.assert_array_equal(getattr(rec, column), getattr(demand, column), column)
    assert rec.counters == tuple(inst.name for inst in instances)
    np.testing.assert_array_equal(rec.counter_is_kiosk, [inst.kiosk for inst in instances])

    # one outcome each; arrivals = served + abandoned + balked + unserved, per segment
    assert np.isin(rec.outcome, [SERVED, ABANDONED, BALKED, UNSERVED]).all()
    tally = Counter((r.segment, r.outcome) for r in rec)
    for s, name in enumerate(scn.segments):
        assert sum(tally[name, o] for o in OUTCOMES) == int(np.sum(demand.segment == s))

    arr, called, ended, left = rec.arrival_s, rec.called_s, rec.ended_s, rec.left_s
    ctr = rec.counter
    served, abandoned = rec.outcome == SERVED, rec.outcome == ABANDONED
    balked, unserved = rec.outcome == BALKED, rec.outcome == UNSERVED
    is_called = ~np.isnan(called)
    no_show = abandoned & is_called
    deadline = np.where(demand.kiosk, np.inf, arr + demand.patience_s)
    speed = np.array([inst.speed for inst in instances])

    # a call has a counter and an end; nobody is called before arriving
    np.testing.assert_array_equal(is_called, ctr >= 0)
    np.testing.assert_array_equal(is_called, ~np.isnan(ended))
    assert is_called[served].all()
    bad = np.flatnonzero(is_called & ~(called >= arr))
    assert not bad.size, f"ticket {bad[:1]} called before arriving"
    assert (ended[is_called] >= called[is_called]).all()
    np.testing.assert_array_equal(np.isnan(left), served)

    # service lasts work / speed, and starts before the customer's patience runs out
    k = ctr[served]
    np.testing.assert_allclose(
        ended[served] - called[served], demand.work_s[served] / speed[k], rtol=1e-12, atol=TOL_S
    )
    bad = np.flatnonzero(served & ~(called < deadline))
    assert not bad.size, f"ticket {bad[:1]} served after its patience ran out"

    # abandoned at arrival + patience; a no-show is called later and holds the counter
    np.testing.assert_allclose(left[abandoned], deadline[abandoned], rtol=0, atol=TOL_S)
    assert not (abandoned & demand.kiosk).any()
    # at zero delay a gone customer reached by a counter is still called (and
    # logged as a no-show at that instant); the call takes no time
    assert (called[no_show] >= left[no_show]).all()
    np.testing.assert_allclose(
        ended[no_show] - called[no_show], scn.no_show_delay, rtol=0, atol=TOL_S
    )

    # balked at once, never called; unserved never called
    np.testing.assert_array_equal(left[balked], arr[balked])
    assert not (is_called & (balked | unserved)).any()
    assert (left[unserved] >= arr[unserved]).all()

    # each call honours channel, skill and the VIP restriction
    eligible = np.zeros((len(instances), n), dtype=bool)
    for k, inst in enumerate(instances):
        eligible[k] = _eligible(scn, inst, demand)
    who = np.flatnonzero(is_called)
    bad = who[~eligible[ctr[who], who]]
    assert not bad.size, f"ticket {bad[:1]} called by counter {ctr[bad[:1]]} that may not serve it"

    # when a customer stops waiting: called, gave up, balked, turned away or the run ended
    wait_end = np.fmin(called, left)
    spans: dict[int, list[tuple[float, float]]] = {k: [] for k in range(len(instances))}
    index = {name: k for k, name in enumerate(rec.counters)}
    for sp in rec.spans():
        spans[index[sp.counter]].append((sp.opened_s, sp.closed_s))

    idle_of: list[Spans] = []
    rank_of: list[np.ndarray] = []
    for k, inst in enumerate(instances):
        jobs = sorted(zip(called[ctr == k], ended[ctr == k], np.flatnonzero(ctr == k), strict=True))
        # one customer at a time (no-show calls included)
        for (_, e0, i0), (c1, _, i1) in itertools.pairwise(jobs):
            assert c1 >= e0, f"{inst.name} calls ticket {i1} at {c1} while serving {i0} to {e0}"
        # spans open at the start of a staffed window and never overlap
        opened = sorted(spans[k])
        starts = {ws for ws, _ in inst.windows}
        for o, cl in opened:
            assert o in starts, f"{inst.name} opens at {o}, not at a window start {inst.windows}"
            assert cl >= o
        for (_, cl0), (o1, _) in itertools.pairwise(opened):
            assert o1 >= cl0
        # every call happens while the counter is open ...
        for c, e, i in jobs:
            assert any(o <= c and e <= cl for o, cl in opened), f"{i} outside {inst.name}'s spans"
            in_window = any(ws <= c < we for ws, we in inst.windows)
            assert in_window or (serve_all and c >= scn.close), (
                f"{inst.name} calls ticket {i} at {c}, outside its windows {inst.windows}"
            )
        # ... and outside its windows it only finishes (or, draining at closing, keeps calling)
        for o, cl in opened:
            for g0, g1 in _gaps(o, cl, inst.windows):
                inside = [(c, e) for c, e, _ in jobs if e > g0 and c < g1]
                assert inside and inside[0][0] <= g0 and inside[-1][1] >= g1, (
                    f"{inst.name} open but idle outside its windows in [{g0}, {g1}]"
                )
                for (_, e0), (c1, _) in itertools.pairwise(inside):
                    assert c1 <= e0 + TOL_S, f"{inst.name} idle outside its windows at {e0}"
                if not (serve_all and g0 >= scn.close):
                    assert len(inside) == 1, f"{inst.name} calls after its window ended at {g0}"
        # an open counter is never idle while a customer it may serve waits
        idle: list[tuple[float, float]] = []
        for o, cl in opened:
            t = o
            for c, e, _ in jobs:
                if o <= c <= cl:
                    if c > t:
                        idle.append((t, c))
                    t = max(t, e)
            if cl > t:
                idle.append((t, cl))
        idle_of.append(idle)
        for a, b in idle:
            overlap = np.minimum(b, wait_end) - np.maximum(a, arr)
            bad = np.flatnonzero(eligible[k] & (overlap > TOL_S))
            assert not bad.size, f"{inst.name} idle in [{a}, {b}] while ticket {bad[:1]} waits"
        # dispatch: the call goes to the best waiting (priority, skill rank, arrival)
        priority, rank = _tier(scn, inst, demand)
        rank_of.append(rank)
        for c, _, i in jobs:
            waiting = eligible[k] & (arr < c) & (wait_end > c)
            waiting[i] = False
            better = (priority < priority[i]) | (
                (priority == priority[i])
                & ((rank < rank[i]) | ((rank == rank[i]) & (arr < arr[i])))
            )
            bad = np.flatnonzero(waiting & better)
            assert not bad.size, f"{inst.name} calls ticket {i} at {c} before better {bad[:1]}"

    # an arriving customer takes an idle counter of the group where their service
    # ranks highest, the longest idle first
    for i in np.flatnonzero(is_called & (called == arr)):
        t, k = arr[i], ctr[i]
        mine = (rank_of[k][i], instances[k].group)
        since = next((a for a, b in idle_of[k] if b == t), t)
        for k2 in np.flatnonzero(eligible[:, i]):
            other = (rank_of[k2][i], instances[k2].group)
            for a, _ in (ab for ab in idle_of[k2] if ab[0] < t < ab[1]):
                assert mine < other or (mine == other and since <= a), (
                    f"ticket {i} went to {instances[k].name}, not to idle {instances[k2].name}"
                )

    # balking: more than the limit of the service's tickets waited (tickets whose
    # customer already gave up may still count); one who joined the queue saw at most
    # the limit
    limits = [seg.balk_if_queue_over for seg in scn.segments.values()]
    limit = np.array([-1 if x is None else x for x in limits])[demand.segment]
    counter_channel = ~demand.kiosk & ~balked
    for i in np.flatnonzero((limit >= 0) & ~demand.kiosk):
        t = arr[i]
        before = counter_channel & (np.arange(n) < i) & (demand.service == demand.service[i])
        # on the display until called; at zero no-show delay a gone customer leaves it
        # (as a ghost called later, in turn) no later than the counter reaching them,
        # so only until their patience ran out is it surely there
        shown_until = called if scn.no_show_delay > 0 else np.fmin(called, left)
        surely = before & ((shown_until > t) | (~is_called & (left > t)))
        maybe = before & ((called >= t) | ~is_called)
        if balked[i]:
            assert maybe.sum() > limit[i], f"ticket {i} balked at a queue of {maybe.sum()}"
        elif called[i] != t:  # joined the queue (NaN: never called)
            assert surely.sum() <= limit[i], f"ticket {i} stayed in a queue of {surely.sum()}"
    assert not (balked & (limit < 0)).any()

    if serve_all:
        # at closing, counters still open serve every ticket they may serve
        at_close = np.array(
            [any(we == scn.close for _, we in inst.windows) for inst in instances], dtype=bool
        )
        drained = eligible[at_close].any(axis=0)
        bad = np.flatnonzero(unserved & (drained | np.isfinite(deadline)))
        assert not bad.size, f"ticket {bad[:1]} unserved although a counter drains its queue"
        if unserved.any():
            assert np.unique(left[unserved]).size == 1
            assert left[unserved][0] >= np.nanmax(np.append(ended, arr.max()))
    else:
        # turn away: no call after closing; whoever still waits leaves at closing
        assert (called[is_called] < scn.close).all()
        np.testing.assert_array_equal(left[unserved], scn.close)
        assert (left[abandoned] <= scn.close).all()


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=days(), seed=st.integers(0, 2**32 - 1), replication=st.integers(0, 3))
def test_random_days_keep_the_invariants(spec: dict[str, Any], seed: int, replication: int) -> None:
    """Random halls: 1-3 services, segments and counter groups; shifts, breaks, VIP
    counters, kiosks, appointments, patience, balking, no-shows, both closings."""
    scn = scenario_from_dict(spec)
    demand = draw_demand(scn, seed, replication)
    rec = simulate(scn, seed, replication)
    for code in np.unique(rec.outcome):  # shown by --hypothesis-show-statistics
        event(OUTCOMES[code])
    if ((rec.outcome == ABANDONED) & ~np.isnan(rec.called_s)).any():
        event("no-show")
    if (rec.called_s >= scn.close).any():
        event("called after closing")
    assert_day_invariants(scn, demand, rec)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("hall", ["flagship", "county"])
def test_bundled_days_keep_the_invariants(hall: str, seed: int) -> None:
    scn = load_scenario(SCENARIOS / f"{hall}.yaml")
    assert_day_invariants(scn, draw_demand(scn, seed, 0), simulate(scn, seed, 0))


def test_nobody_balks_while_a_counter_for_them_is_idle() -> None:
    """A VIP with the VIP counter free is called at once, whatever the general queue."""
    scn = scenario_from_dict(
        {
            "hall": "vip",
            "open": "09:00",
            "close": "12:00",
            "target": {"wait": "10m"},
            "services": {"s": {"service_time": {"dist": "exponential", "mean": "10m"}}},
            "segments": {
                "vip": {"share": 0.2, "priority": 0, "balk_if_queue_over": 2},
                "rest": {"share": 0.8, "priority": 1},
            },
            "arrivals": {"mix": {"s": 1.0}, "rate_per_hour": 30},
            "counters": [
                {"id": "V", "count": 1, "services": ["s"], "segments": ["vip"]},
                {"id": "B", "count": 1, "services": ["s"]},
            ],
        }
    )
    rec = simulate(scn, 0, 0)
    at_vip = rec.counter == rec.counters.index("V1")
    busy = list(zip(rec.called_s[at_vip], rec.ended_s[at_vip], strict=True))
    for i in np.flatnonzero(rec.outcome == BALKED):
        t = rec.arrival_s[i]
        if rec.segments[rec.segment[i]] == "vip":
            assert any(c <= t < e for c, e in busy), f"VIP ticket {i} balked while V1 was idle"


def test_the_invariant_check_catches_broken_records() -> None:
    scn = scenario_from_dict(
        {
            "hall": "busy",
            "open": "09:00",
            "close": "12:00",
            "target": {"wait": "10m"},
            "services": {"s": {"service_time": {"dist": "exponential", "mean": "5m"}}},
            "segments": {"g": {"share": 1.0}},
            "arrivals": {"mix": {"s": 1.0}, "rate_per_hour": 40},
            "counters": [{"id": "C", "count": 3, "services": ["s"]}],
        }
    )
    demand = draw_demand(scn, 3, 0)
    rec = simulate(scn, 3, 0)
    assert_day_invariants(scn, demand, rec)
    waited = int(np.flatnonzero(rec.called_s > rec.arrival_s + 60)[0])
    early = rec.called_s.copy()
    early[waited] = rec.arrival_s[waited] - 1.0
    late = rec.ended_s.copy()
    late[waited] += 1.0
    moved = rec.counter.copy()
    moved[waited] = (moved[waited] + 1) % 3
    for broken in (
        dataclasses.replace(rec, called_s=early),
        dataclasses.replace(rec, ended_s=late),
        dataclasses.replace(rec, counter=moved),
        dataclasses.replace(rec, span_opened_s=rec.span_opened_s + 60.0),
    ):
        with pytest.raises(AssertionError):
            assert_day_invariants(scn, demand, broken)


# -- the textbook renege ----------------------------------------------------------


def textbook_case(servers: int, load: float, segments: dict[str, Any]) -> Scenario:
    mean_min = 4.0
    return scenario_from_dict(
        {
            "hall": "textbook",
            "target": {"wait": "10m"},
            "horizon": {"duration": "40h"},
            "services": {"s": {"service_time": {"dist": "exponential", "mean": f"{mean_min}m"}}},
            "segments": segments,
            "arrivals": {"mix": {"s": 1.0}, "rate_per_hour": load * servers * 60 / mean_min},
            "counters": [{"id": "C", "count": servers, "services": ["s"]}],
        }
    )


def patient(mean: str) -> dict[str, str]:
    return {"dist": "exponential", "mean": mean}


TEXTBOOK_CASES = {
    "light": textbook_case(3, 0.6, {"all": {"share": 1.0, "patience": patient("15m")}}),
    "priorities": textbook_case(
        4,
        0.95,
        {
            "vip": {"share": 0.2, "priority": 0, "patience": patient("10m")},
            "mid": {"share": 0.3, "priority": 1},
            "low": {"share": 0.5, "priority": 2, "patience": patient("20m")},
        },
    ),
    "overloaded": textbook_case(
        2,
        1.8,
        {
            "vip": {"share": 0.3, "priority": 0, "patience": patient("6m")},
            "rest": {"share": 0.7, "priority": 1, "patience": patient("5m")},
        },
    ),
}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("case", list(TEXTBOOK_CASES))
def test_lazy_renege_matches_textbook_simpy(case: str, seed: int) -> None:
    """Same customers, same outcome, call and end time, customer by customer."""
    scn = TEXTBOOK_CASES[case]
    demand = draw_demand(scn, seed, 0)
    rec = simulate(scn, seed, 0, demand=demand)
    ref = run_textbook(scn, demand)
    np.testing.assert_array_equal(rec.outcome, ref.outcome)
    # the textbook renege has no call for a customer gone before their turn; the
    # model records the (zero-delay) call at which the counter found them gone
    kept = rec.outcome != ABANDONED
    np.testing.assert_allclose(rec.called_s[kept], ref.called_s[kept], rtol=0, atol=TOL_S)
    np.testing.assert_allclose(rec.ended_s[kept], ref.ended_s[kept], rtol=0, atol=TOL_S)
    assert np.isnan(ref.called_s[~kept]).all()
    abandoned = float(np.mean(rec.outcome == ABANDONED))
    assert abandoned > (0.3 if case == "overloaded" else 0.0)


# -- direction under common random numbers ------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    servers=st.integers(1, 4),
    load=st.floats(0.3, 1.4),
    service_time=distributions(1, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_one_more_counter_never_delays_a_call(
    servers: int, load: float, service_time: dict[str, Any], seed: int
) -> None:
    """Single-class FCFS without patience: the (c+1)-counter hall calls every
    customer no later than the c-counter hall (Kiefer-Wolfowitz monotonicity)."""
    rate = load * servers * 3600 / Distribution.model_validate(service_time).mean_s

    def hall(count: int) -> Scenario:
        return scenario_from_dict(
            {
                "hall": "fcfs",
                "target": {"wait": "10m"},
                "horizon": {"duration": "6h"},
                "services": {"s": {"service_time": service_time}},
                "segments": {"all": {"share": 1.0}},
                "arrivals": {"mix": {"s": 1.0}, "rate_per_hour": rate},
                "counters": [{"id": "C", "count": count, "services": ["s"]}],
            }
        )

    fewer, more = simulate(hall(servers), seed), simulate(hall(servers + 1), seed)
    assert (fewer.outcome == SERVED).all() and (more.outcome == SERVED).all()
    np.testing.assert_array_equal(fewer.arrival_s, more.arrival_s)
    late = np.flatnonzero(more.called_s > fewer.called_s)
    assert not late.size, f"ticket {late[:1]} called later with {servers + 1} counters"


def mean_wait_s(rec: Records) -> float:
    served = rec.outcome == SERVED
    return float(np.mean(rec.called_s[served] - rec.arrival_s[served]))


def mmc_pair() -> tuple[Scenario, Scenario]:
    scn = load_scenario(SCENARIOS / "mmc-validation.yaml")
    assert scn.horizon is not None
    short = scn.horizon.model_copy(update={"duration": 50 * 3600.0})
    scn = scn.model_copy(update={"horizon": short})
    c = scn.counters[0]
    more = c.model_copy(update={"count": tuple((t, n + 1) for t, n in c.count)})
    return scn, scn.model_copy(update={"counters": (more, *scn.counters[1:])})


def flagship_pair() -> tuple[Scenario, Scenario]:
    scn = load_scenario(SCENARIOS / "flagship.yaml")
    groups = tuple(
        g.model_copy(update={"count": tuple((t, n + 1) for t, n in g.count)}) if g.id == "B" else g
        for g in scn.counters
    )
    assert groups != scn.counters
    return scn, scn.model_copy(update={"counters": groups})


@pytest.mark.parametrize("pair", [mmc_pair, flagship_pair], ids=["mmc", "flagship"])
def test_one_more_counter_never_raises_the_mean_wait(pair: Any) -> None:
    fewer, more = pair()
    for replication in range(5):
        before, after = simulate(fewer, 11, replication), simulate(more, 11, replication)
        np.testing.assert_array_equal(before.arrival_s, after.arrival_s)
        assert mean_wait_s(after) <= mean_wait_s(before), f"replication {replication}"


# -- seed stability ----------------------------------------------------------------


def test_same_seed_same_records_other_seed_other_customers() -> None:
    scn = load_scenario(SCENARIOS / "flagship.yaml")
    first, again = simulate(scn, 5, 2), simulate(scn, 5, 2)
    for field in dataclasses.fields(Records):
        a, b = getattr(first, field.name), getattr(again, field.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, field.name)
        else:
            assert a == b, field.name
    for other in (simulate(scn, 6, 2), simulate(scn, 5, 3)):
        assert len(other) != len(first) or not np.array_equal(other.arrival_s, first.arrival_s)
