"""Drift: is today's live stream still what the hall's model says?

Between nightly re-fits, three quantities are tested against the model in use
as the day runs, each by a sequential likelihood-ratio test for a change at
an unknown time (a generalised likelihood ratio, the CUSUM's two-sided form):

* **arrivals**: counter tickets issued per 5-minute bin against the model's
  expected number (:func:`sim.live.demandlevel.expected_between`, the day's
  own scenario). The model's day-to-day noise is part of the null: a day's
  demand factor ``F`` is gamma with the model's ``day_noise_cv``, integrated
  out, so a day that is busy the way the model says days are busy is not a
  drift. The alternative: from a change time ``τ`` on, demand is ``ρ`` times
  the model's (ρ = 1.25 or 0.8). With ``N``, ``A`` the tickets seen and
  expected so far and ``N_a``, ``A_a`` those since ``τ``, the log-likelihood
  ratio is ``N_a log ρ − (k + N) [log(A − A_a + ρ A_a + k) − log(A + k)]``
  (``k = 1/cv²``; without day noise ``N_a log ρ − (ρ − 1) A_a``).
* **service** times: each completed service's duration, at its counter's
  speed, against the service's distribution in the model; the alternative
  scales it by ρ (1.25 or 0.8), with the family's exact log-density ratio.
* **no-show** share: each call whose outcome is known, a no-show with the
  model's probability that the customer's patience ran out during the wait
  the call ended (``1 − S(wait)``); the alternative multiplies the odds by 2
  or by 1/2.

The statistic at a moment is the largest log-likelihood ratio over the change
times (every 15 minutes from opening) and both directions; a drift is raised
while it is at or above the threshold. False alarms: the configured rate α
(``drift.false_alarm``, 1% of the days that match the model) is shared by the
three tests, α/3 each, so that a day that matches the model raises any drift
on at most α of days. The arrivals' threshold is the ``1 − α/3`` quantile of
the day's largest statistic over simulated days of the model
(:func:`drift_reference`, :data:`CALIBRATION_DAYS` days); the service and
no-show thresholds are ``log(2 × change times / (α/3))``, which bounds their
false-alarm rate by Ville's inequality (each likelihood ratio is a
martingale under the model), so theirs is at most α/3. The tests look at the
5-minute grid only, as the calibration did.

The nowcast takes the demand level from the same numbers
(:attr:`HallDrift.level`): while arrivals drift, the rest of the day comes at
the level seen since the change; otherwise at the day's level so far.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from sim.live.changes import (
    RATIOS,
    arrivals_statistic,
    largest_arrivals_statistic,
    odds_llrs,
    scale_llr,
    sequential,
)
from sim.live.conditional import survival
from sim.live.demandlevel import DemandLevel, demand_level, expected_between
from sim.model.calendar import counter_instances
from sim.model.records import ABANDONED, BALKED, SERVED, Records
from sim.model.scenario import Scenario

QUANTITIES = ("arrivals", "service", "no_show")
BIN_S = 300.0  # the grid the tests look at
CHANGE_S = 900.0  # change times tried, from opening
CALIBRATION_DAYS = 4000
LEVEL_PRIOR_CV = 0.25  # the demand factor after a change: a weak prior around the model
_P_FLOOR = 1e-3  # a no-show probability is never taken as 0 or 1


@dataclass(frozen=True)
class DriftReference:
    """What one day's drift tests compare with: the day's scenario, its
    5-minute bins from opening to closing with the tickets expected in each
    (at demand factor 1), and the thresholds for false-alarm rate ``alpha``."""

    scenario: Scenario
    alpha: float
    edges_s: tuple[float, ...]  # bin edges, seconds after local midnight
    expected: tuple[float, ...]  # counter tickets per bin at factor 1
    arrivals_threshold: float
    bound_threshold: float  # service and no-show
    speeds: dict[str, float] = field(default_factory=dict)  # counter -> speed

    @property
    def change_times_s(self) -> np.ndarray:
        lo, hi = self.edges_s[0], self.edges_s[-1]
        return np.arange(lo, hi, CHANGE_S)


@dataclass(frozen=True)
class DayObservations:
    """What the hall's ticket system logged today, in seconds after local
    midnight: tickets issued; services ended (end, service, counter,
    duration); calls whose outcome is known (when it became known, segment,
    wait before the call, whether it was a no-show)."""

    issued_s: np.ndarray
    served_end_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    served_service: tuple[str, ...] = ()
    served_counter: tuple[str, ...] = ()
    served_duration_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    call_known_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    call_segment: tuple[str, ...] = ()
    call_waited_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    call_no_show: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass(frozen=True)
class QuantityDrift:
    """One quantity's test now: ``score`` is the statistic over its threshold
    (a drift at 1 or more); ``ratio`` is what was seen over what the model
    expects (tickets, mean duration, no-shows), since ``since_s`` (seconds
    after local midnight: the change time while drifting, else opening); NaN
    with nothing seen."""

    quantity: str
    score: float
    drifting: bool
    ratio: float
    since_s: float
    observed: float
    expected: float

    def to_json(self) -> dict[str, float | bool | None]:
        def num(v: float) -> float | None:
            return round(v, 4) if math.isfinite(v) else None

        return {
            "score": num(self.score),
            "drifting": self.drifting,
            "ratio": num(self.ratio),
            "since_s": self.since_s,
            "observed": num(self.observed),
            "expected": num(self.expected),
        }


@dataclass(frozen=True)
class HallDrift:
    """The drift tests of a hall's day (``day``, ISO) at ``local_now_s``
    (seconds after local midnight; ``as_of_s`` in Unix seconds), and the demand
    level the nowcast should use for the rest of the day (None: the model's)."""

    day: str
    as_of_s: float
    local_now_s: float
    quantities: dict[str, QuantityDrift]
    level: DemandLevel | None
    alpha: float

    @property
    def drifting(self) -> bool:
        return any(q.drifting for q in self.quantities.values())


def _shape(scn: Scenario) -> float:
    cv = scn.arrivals.day_noise_cv
    return math.inf if cv <= 0 else 1.0 / cv**2


def drift_reference(scn: Scenario, alpha: float, *, seed: int = 1) -> DriftReference:
    """The reference of one day's scenario ``scn`` for false-alarm rate
    ``alpha`` (see the module docstring), its arrivals' threshold calibrated on
    :data:`CALIBRATION_DAYS` simulated days of the model."""
    lo, hi = scn.open, scn.close
    edges = np.append(np.arange(lo, hi, BIN_S), hi)
    expected = np.array([expected_between(scn, a, b) for a, b in itertools.pairwise(edges)])
    share = alpha / len(QUANTITIES)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xD21F7,)))
    k = _shape(scn)
    factor = (
        np.ones((CALIBRATION_DAYS, 1))
        if math.isinf(k)
        else rng.gamma(k, 1.0 / k, (CALIBRATION_DAYS, 1))
    )
    counts = rng.poisson(factor * expected[None, :]).astype(float)
    if len(expected):
        largest = largest_arrivals_statistic(counts, expected, k, int(CHANGE_S // BIN_S))
        threshold = float(np.quantile(largest, 1.0 - share))
    else:
        threshold = math.inf
    changes = max(1, math.ceil((hi - lo) / CHANGE_S))
    speeds = {inst.name: inst.speed for inst in counter_instances(scn) if not inst.kiosk}
    return DriftReference(
        scenario=scn,
        alpha=alpha,
        edges_s=tuple(float(e) for e in edges),
        expected=tuple(float(x) for x in expected),
        arrivals_threshold=max(threshold, 1e-9),
        bound_threshold=math.log(len(RATIOS) * changes / share),
        speeds=speeds,
    )


def _quantity(
    name: str,
    stat: float,
    threshold: float,
    tau: float,
    open_s: float,
    in_window: tuple[np.ndarray, np.ndarray, np.ndarray],
    now_s: float,
) -> QuantityDrift:
    """A test's result; ``in_window`` is (when each observation was known,
    what was seen, what the model expected of it), summed since the change
    while drifting, else since opening."""
    drifting = stat >= threshold
    since = tau if drifting else open_s
    known, seen, expected = in_window
    window = (known <= now_s) & (known >= since)
    observed, wanted = float(seen[window].sum()), float(expected[window].sum())
    ratio = observed / wanted if wanted > 0 else math.nan
    return QuantityDrift(name, stat / threshold, drifting, ratio, since, observed, wanted)


Observed = tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]


def _service_llrs(ref: DriftReference, obs: DayObservations) -> Observed:
    """Services by when they ended: their log-likelihood ratios, durations at
    speed 1 and the model's means (services with a fixed time are left out)."""
    services = ref.scenario.services
    usable = [
        i
        for i, s in enumerate(obs.served_service)
        if s in services and services[s].service_time.dist != "fixed"
    ]
    names = [obs.served_service[i] for i in usable]
    known = np.asarray(obs.served_end_s, dtype=float)[usable]
    speed = np.array([ref.speeds.get(obs.served_counter[i], 1.0) for i in usable])
    base = np.asarray(obs.served_duration_s, dtype=float)[usable] * speed
    mean = np.array([services[s].service_time.mean_s for s in names])
    llrs = []
    for rho in RATIOS:
        llr = np.zeros(len(names))
        for name in set(names):
            mine = np.array([s == name for s in names], dtype=bool)
            llr[mine] = scale_llr(services[name].service_time, base[mine], rho)
        llrs.append(llr)
    return known, llrs, base, mean


def _no_show_llrs(ref: DriftReference, obs: DayObservations) -> Observed:
    """Calls by when their outcome was known: log-likelihood ratios, whether
    each was a no-show, and the model's probability of one after that wait."""
    segments = ref.scenario.segments
    usable = [i for i, g in enumerate(obs.call_segment) if g in segments]
    known = np.asarray(obs.call_known_s, dtype=float)[usable]
    waited = np.asarray(obs.call_waited_s, dtype=float)[usable]
    gone = np.asarray(obs.call_no_show, dtype=bool)[usable]
    p0 = np.zeros(len(usable))
    for name in {obs.call_segment[i] for i in usable}:
        patience = segments[name].patience
        mine = np.array([obs.call_segment[i] == name for i in usable], dtype=bool)
        if patience is not None:
            p0[mine] = 1.0 - survival(patience, waited[mine])
    p0 = np.clip(p0, _P_FLOOR, 1.0 - _P_FLOOR)
    return known, odds_llrs(p0, gone), gone.astype(float), p0


def _tested(name: str, ref: DriftReference, seen: Observed, now_s: float) -> QuantityDrift:
    known, llrs, values, expected = seen
    stat, tau = sequential(known, llrs, ref.change_times_s, np.array([now_s]))
    return _quantity(
        name, float(stat[0]), ref.bound_threshold, float(tau[0]), ref.edges_s[0],
        (known, values, expected), now_s,
    )  # fmt: skip


def score_paths(ref: DriftReference, obs: DayObservations) -> dict[str, np.ndarray]:
    """Each test's score (statistic over threshold) at every 5-minute mark of
    the day (the bins' ends), as :func:`day_drift` would find it there, given
    everything the day showed: a day raises a drift of a quantity when its
    path reaches 1."""
    edges = np.array(ref.edges_s)
    counts = np.histogram(np.asarray(obs.issued_s, dtype=float), bins=edges)[0].astype(float)
    arrivals, _ = arrivals_statistic(
        counts, np.array(ref.expected), _shape(ref.scenario), int(CHANGE_S // BIN_S)
    )
    out = {"arrivals": arrivals / ref.arrivals_threshold}
    for name, seen in (
        ("service", _service_llrs(ref, obs)),
        ("no_show", _no_show_llrs(ref, obs)),
    ):
        stat, _ = sequential(seen[0], seen[1], ref.change_times_s, edges[1:])
        out[name] = stat / ref.bound_threshold
    return out


def _arrivals(
    ref: DriftReference, issued_s: np.ndarray, now_s: float
) -> tuple[QuantityDrift, DemandLevel | None]:
    scn = ref.scenario
    edges = np.array(ref.edges_s)
    done = int(np.searchsorted(edges[1:], now_s, side="right"))  # bins complete by now
    counts = np.histogram(issued_s, bins=edges)[0].astype(float)
    expected = np.array(ref.expected)
    k = _shape(scn)
    stat, tau_s = 0.0, float(edges[0])
    if done > 0:
        stats, where = arrivals_statistic(
            counts[:done], expected[:done], k, int(CHANGE_S // BIN_S), last_only=True
        )
        stat, tau_s = float(stats[-1]), float(edges[int(where[-1])])
    threshold = ref.arrivals_threshold
    centres = (edges[:-1] + edges[1:]) / 2.0  # a bin counts once it is complete
    result = _quantity(
        "arrivals", stat, threshold, tau_s, float(edges[0]),
        (np.where(np.arange(len(counts)) < done, centres, np.inf), counts, expected), now_s,
    )  # fmt: skip
    since = result.since_s
    seen = int(np.count_nonzero((issued_s >= since) & (issued_s < now_s)))
    wanted = expected_between(scn, since, now_s)
    cv = scn.arrivals.day_noise_cv
    level = None
    if result.drifting:
        level = demand_level(max(cv, LEVEL_PRIOR_CV), since, wanted, seen)
    elif cv > 0:
        level = demand_level(cv, since, wanted, seen)
    return result, level


def day_drift(
    ref: DriftReference, obs: DayObservations, local_now_s: float, *, day: str, as_of_s: float
) -> HallDrift:
    """The drift tests of a day so far (see the module docstring)."""
    arrivals, level = _arrivals(ref, np.asarray(obs.issued_s, dtype=float), local_now_s)
    return HallDrift(
        day=day,
        as_of_s=as_of_s,
        local_now_s=local_now_s,
        quantities={
            "arrivals": arrivals,
            "service": _tested("service", ref, _service_llrs(ref, obs), local_now_s),
            "no_show": _tested("no_show", ref, _no_show_llrs(ref, obs), local_now_s),
        },
        level=level,
        alpha=ref.alpha,
    )


def observations_at(records: Records, now_s: float) -> DayObservations:
    """What a hall's ticket system would have logged of a simulated day by
    ``now_s`` (seconds after local midnight), as the drift tests read it:
    tickets issued (not kiosk users, not those who balked), services ended,
    calls whose outcome (served or no-show) is known."""
    r = records
    ticket = ~r.kiosk & (r.outcome != BALKED)
    issued = r.arrival_s[ticket & (r.arrival_s < now_s)]
    ended = (r.ended_s <= now_s) & ~r.kiosk  # NaN compares False; kiosks log nothing
    served = (r.outcome == SERVED) & ended
    called = ((r.outcome == SERVED) | (r.outcome == ABANDONED)) & (r.called_s <= now_s) & ended
    return DayObservations(
        issued_s=issued,
        served_end_s=r.ended_s[served],
        served_service=tuple(r.services[i] for i in r.service[served]),
        served_counter=tuple(r.counters[i] for i in r.counter[served]),
        served_duration_s=(r.ended_s - r.called_s)[served],
        call_known_s=r.ended_s[called],
        call_segment=tuple(r.segments[i] for i in r.segment[called]),
        call_waited_s=(r.called_s - r.arrival_s)[called],
        call_no_show=(r.outcome == ABANDONED)[called],
    )
