"""The nowcast: how long will a customer taking a ticket now (or soon) wait?

From a hall's live state (:class:`~sim.live.warmstart.HallStart`) the scenario is
run forward ``replications`` times with a probe ticket of every counter service
and segment at each horizon (:func:`~sim.live.warmstart.simulate_from`); each run
stops when its last probe is called. Probes are weighted by segment share, and
for the breach probability also by the service's share of counter customers.

Besides the mean, the median and the 90th percentile of the wait of a ticket
taken then: quantiles of the probes' waits pooled over replications, each
segment weighted by its share (the wait of a random customer of that service,
what "about 5 minutes, at most 12" promises). The mean answers "how long on
average" and minimises the squared error; the median is what a customer will
probably wait and minimises the absolute error.

A horizon at or after closing time (of a day scenario) is skipped: nobody
takes a ticket then. Each replication draws the whole day's customers (so
that replication ``r`` draws the same ones in every nowcast of the day), but
simulates only up to the last probe's call
(:meth:`~sim.live.warmstart.WarmStart.probe_waits`), so a stationary scenario
with a long horizon is costly to draw, not to run.

Sequential stopping (``precision``): replications run in batches, and once
every published estimate is as precise as asked (:class:`Precision`) the
nowcast stops early; ``replications`` is then the most it runs. A quiet hall,
where every run agrees that nobody waits long, is settled after 16 runs
instead of 30; a busy hall, whose runs disagree, runs them all. Without
``precision`` (the default) the nowcast runs exactly ``replications``, as
before, and a stopped nowcast is the same as one asked for the replications it
ran (replication ``r`` always draws the same customers).

Cost: the flagship hall at 11:00 (4 services × 4 segments × 4 horizons, 64
probes, 48 run: the two segments of one priority share theirs; runs of about
an hour) takes 2-3 ms of CPU per replication, so the default 30 replications
(60-90 ms) fit the monitor's budget of about 0.3 s per hall and minute; the
first call of a process also imports scipy (~0.25 s).
``benchmarks/bench_ingest.py --only nowcast`` holds a round of such halls
against that budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.live.nowcasttables import Layout, mean_rows
from sim.live.warmstart import (
    BusyCounter,
    HallStart,
    Probe,
    WaitingTicket,
    WarmStart,
    presence_probabilities,
)
from sim.model.records import ABANDONED, BALKED, SERVED, UNSERVED, Records
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class Precision:
    """When a nowcast has run enough replications: after at least
    ``min_replications``, checked every ``batch`` more, once the 95% interval
    of every expected wait (Student t over replications) has a half-width of at
    most ``wait_s`` or ``wait_ratio`` of the wait, whichever is larger, and
    the 95% interval of every breach probability (Wilson's, with the largest
    variance a share in [0, 1] can have, so it is never too narrow) a
    half-width of at most ``probability``. A wait that no replication can
    estimate (its probes never called) is never settled.

    The defaults: a wait to within two minutes (a tenth of a 15-minute target
    and more is what the pages and alerts tell apart) or a fifth of itself,
    a probability to within 0.1; a breach probability of 0 is then settled at
    16 replications, when its interval [0, 0.19] excludes the usual alert
    budget of 0.2 (with fewer, no count of zeros could)."""

    wait_s: float = 120.0
    wait_ratio: float = 0.2
    probability: float = 0.1
    min_replications: int = 12
    batch: int = 4

    def __post_init__(self) -> None:
        if self.min_replications < 2 or self.batch < 1:
            raise ValueError("a precision needs min_replications >= 2 and batch >= 1")
        if self.wait_s < 0 or self.wait_ratio < 0 or not 0 < self.probability <= 0.5:
            raise ValueError("a precision needs wait_s, wait_ratio >= 0 and 0 < probability <= 0.5")

    def checkpoints(self, replications: int) -> list[int]:
        """The replication counts after which the nowcast checks, the last one
        ``replications``."""
        first = min(self.min_replications, replications)
        return [*range(first, replications, self.batch), replications]

    def met(self, nc: Nowcast) -> bool:
        """Whether the nowcast ``nc`` is as precise as this asks."""
        probabilities = (*nc.breach_probability.values(), *nc.service_breach_probability.values())
        return self.settled(nc.wait_s, nc.wait_ci_s, probabilities, nc.replications)

    def settled(
        self,
        wait_s: Mapping[Any, float],
        wait_ci_s: Mapping[Any, float],
        probabilities: Iterable[float],
        n: int,
    ) -> bool:
        """Whether expected waits with these 95% half-widths and these
        probabilities, estimated from ``n`` replications, are precise enough."""
        for key, half in wait_ci_s.items():
            if not half <= max(self.wait_s, self.wait_ratio * abs(wait_s[key])):
                return False  # NaN (too few calls) is never settled
        return all(wilson_half_width(p, n) <= self.probability for p in probabilities)


def wilson_half_width(p: float, n: int, z: float = 1.959964) -> float:
    """Half-width of Wilson's 95% score interval for a share ``p`` estimated
    from ``n`` observations (of a variable in [0, 1]: its variance is at most
    ``p (1 - p)``, so the interval is conservative)."""
    if n < 1 or math.isnan(p):
        return math.inf
    z2n = z * z / n
    return z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))


@dataclass(frozen=True)
class Nowcast:
    """Waits of tickets taken at ``now_s + h`` for each kept horizon ``h``
    (seconds; a horizon at or after closing time is left out of every table).

    ``wait_s[(service, h)]`` is the expected wait (segments weighted by share)
    and ``wait_ci_s`` the half-width of its 95 % Student-t interval over
    replications; ``wait_by_segment_s[(service, segment, h)]`` the same per
    segment. ``wait_median_s`` and ``wait_p90_s`` are the median and the 90th
    percentile of that wait (segments weighted by share, replications pooled).
    A probe never called (turned away at closing) is left out of the means,
    counts as an endless wait in the quantiles (NaN if a quantile falls on
    it) and as a breach. ``breach_probability[h]`` is the probability that a
    counter customer taking a ticket then waits longer than the target, and
    ``service_breach_probability[(service, h)]`` the same for a ticket of that
    service. ``queue[service]`` counts the tickets waiting now and
    ``present_queue`` the expected number of their customers who have not
    given up (a remote holder's patience runs from the check-in: one on the
    way has not).
    ``replications`` is how many were run (fewer than asked when a
    :class:`Precision` was met)."""

    now_s: float
    horizons_s: tuple[float, ...]
    replications: int
    wait_s: dict[tuple[str, float], float]
    wait_ci_s: dict[tuple[str, float], float]
    wait_by_segment_s: dict[tuple[str, str, float], float]
    breach_probability: dict[float, float]
    queue: dict[str, int]
    present_queue: dict[str, float]
    wait_median_s: dict[tuple[str, float], float] = field(default_factory=dict)
    wait_p90_s: dict[tuple[str, float], float] = field(default_factory=dict)
    service_breach_probability: dict[tuple[str, float], float] = field(default_factory=dict)


def counter_service_shares(scn: Scenario) -> dict[str, float]:
    """Services customers bring to a counter, with their share of counter customers."""
    kiosk_share = {name: k.share for k in scn.kiosks for name in k.services}
    served = {name for g in scn.counters for name in g.services}
    raw = {
        name: share * (1.0 - kiosk_share.get(name, 0.0))
        for name, share in scn.arrivals.mix.items()
        if name in served
    }
    total = math.fsum(raw.values())
    return {name: w / total for name, w in raw.items() if w > 0}


def _mean(values: np.ndarray) -> float:
    """Mean over the non-NaN ``values`` (NaN when there are none)."""
    x = values[~np.isnan(values)]
    return float(x.mean()) if x.size else math.nan


def _column_means(values: np.ndarray) -> list[float]:
    """:func:`_mean` of each column, to the bit: the columns without NaN (a
    probe called in every replication, nearly all of them) as the rows of one
    C-ordered copy, each summed as the vector ``_mean`` sums; the others one
    at a time."""
    means: list[float] = mean_rows(np.ascontiguousarray(values.T)).tolist()
    for i in np.flatnonzero(np.isnan(means)):  # a probe never called in some run
        means[i] = _mean(values[:, i])
    return means


def nowcast(
    scn: Scenario,
    start: HallStart,
    *,
    horizons_s: Sequence[float] = (0.0, 900.0, 1800.0, 3600.0),
    replications: int = 30,
    seed: int = 1,
    precision: Precision | None = None,
) -> Nowcast:
    """The nowcast of ``scn`` from ``start`` (see :class:`Nowcast`), from
    ``replications`` runs with probes at ``start.now_s + h``, or fewer once
    ``precision`` is met."""
    if replications < 1:
        raise ValueError(f"replications must be at least 1, not {replications}")
    now = start.now_s
    horizons = tuple(float(h) for h in horizons_s if scn.stationary or now + float(h) < scn.close)
    services = counter_service_shares(scn)
    segments = {name: s.share for name, s in scn.segments.items() if s.share > 0}
    keys = [(svc, seg, h) for h in horizons for svc in services for seg in segments]
    probes = [Probe(now + h, svc, seg) for svc, seg, h in keys]
    waits = np.full((replications, len(keys)), math.nan)
    layout = Layout.of(horizons, services, segments, scn.target.wait)

    runs = WarmStart(scn, start, probes)
    checkpoints = [replications] if precision is None else precision.checkpoints(replications)
    done, tables = 0, None
    for n in checkpoints if probes else [replications]:
        for r in range(done, n if probes else 0):
            waits[r] = runs.probe_waits(seed, r)
        done = n
        if precision is None or n == replications:
            break
        tables = layout.tables(waits[:n])  # the precision reads no quantile
        probabilities = (*tables.breach.values(), *tables.service_breach.values())
        if precision.settled(tables.wait_s, tables.wait_ci_s, probabilities, n):
            break  # these tables are the nowcast's
        tables = None
    if tables is None:
        tables = layout.tables(waits[:done])
    layout.add_quantiles(waits[:done], tables)

    queue = dict.fromkeys(services, 0)
    present_queue = dict.fromkeys(services, 0.0)
    by_segment: dict[tuple[str, str], list[float]] = {}
    for t in start.waiting:
        queue[t.service] = queue.get(t.service, 0) + 1
        by_segment.setdefault((t.service, t.segment), []).append(t.in_hall_s)
    for (svc, seg), waited in by_segment.items():
        present = math.fsum(presence_probabilities(scn, seg, waited))
        present_queue[svc] = present_queue.get(svc, 0.0) + present
    return Nowcast(
        now_s=now,
        horizons_s=horizons,
        replications=done,
        wait_s=tables.wait_s,
        wait_ci_s=tables.wait_ci_s,
        wait_by_segment_s=dict(zip(keys, _column_means(waits[:done]), strict=True)),
        breach_probability=tables.breach,
        queue=queue,
        present_queue=present_queue,
        wait_median_s=tables.median_s,
        wait_p90_s=tables.p90_s,
        service_breach_probability=tables.service_breach,
    )


def state_at(records: Records, now_s: float) -> HallStart:
    """What a hall shows at ``now_s`` of a simulated day, to nowcast from it and
    compare with what followed: the counter tickets issued so far, those taken
    and not yet called, balked or turned away (one whose customer gave up still
    counts), and the counters serving a customer or calling one who turns out a
    no-show (a ticket system cannot tell the two apart until the counter gives
    up), with how long that ticket had waited; a ticket taken from afar says
    when its holder checked in, if they have. Staffing is left to the schedule,
    which a simulated day keeps (a counter finishing a customer after its window
    closes at the end of that service, as in the model)."""
    r = records
    called = r.called_s <= now_s  # NaN compares False: never called
    gone = (r.outcome == BALKED) | ((r.outcome == UNSERVED) & (r.left_s <= now_s))
    waiting = np.flatnonzero((r.arrival_s < now_s) & ~r.kiosk & ~called & ~gone)
    at_counter = (r.outcome == SERVED) | (r.outcome == ABANDONED)  # a no-show is called too
    serving = np.flatnonzero(called & ~(r.ended_s <= now_s) & at_counter)
    issued = int(np.sum((r.arrival_s < now_s) & ~r.kiosk & (r.outcome != BALKED)))
    travel = np.full(len(r.arrival_s), np.nan) if r.travel_s is None else r.travel_s
    return HallStart(
        now_s=now_s,
        issued=issued,
        waiting=tuple(
            WaitingTicket(
                r.services[r.service[i]],
                r.segments[r.segment[i]],
                now_s - float(r.arrival_s[i]),
                bool(r.appointment[i]),
                remote=not math.isnan(travel[i]),
                # a remote holder checked in by now (else on the way: travel unknown)
                travel_s=float(travel[i]) if r.arrival_s[i] + travel[i] <= now_s else None,
            )
            for i in waiting
        ),
        busy=tuple(
            BusyCounter(
                r.counters[r.counter[i]],
                r.services[r.service[i]],
                now_s - float(r.called_s[i]),
                r.segments[r.segment[i]],
                waited_s=float(r.called_s[i] - r.arrival_s[i]),
            )
            for i in serving
        ),
    )
