"""The ETA scored on replayed days: at chosen times of simulated days, every
ticket waiting is given its predicted call time (:func:`sim.live.eta.call_times`,
the median over replications) and the baseline's
(:func:`sim.live.eta.position_call_s`), and both are compared with when the
ticket really was called that day (next after that time: a remote ticket's
early call counts, :meth:`~sim.model.records.Records.next_call_s`). Tickets
never called that day (turned away at closing) are left out.

The two errors of one ticket are paired; tickets waiting at the same moment
share the same future, so the paired differences are averaged per moment and
resampled by moment (a cluster bootstrap) for the interval of the mean
difference in absolute error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.live.eta import call_times, position_call_s, ticket_eta
from sim.live.nowcast import state_at
from sim.model.hall import simulate
from sim.model.records import BALKED, UNSERVED, Records
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class EtaErrors:
    """Per scored ticket: the absolute error of the ETA (``eta_s``) and of the
    baseline (``baseline_s``) in seconds, and the moment (an index) it was
    waiting at."""

    eta_s: np.ndarray
    baseline_s: np.ndarray
    moment: np.ndarray

    @property
    def tickets(self) -> int:
        return len(self.eta_s)

    @property
    def moments(self) -> int:
        return len(np.unique(self.moment))

    def mae_s(self) -> tuple[float, float]:
        """Mean absolute error of the ETA and of the baseline."""
        return float(self.eta_s.mean()), float(self.baseline_s.mean())

    def gain_ci_s(self, *, resamples: int = 4000, seed: int = 1) -> tuple[float, float, float]:
        """The mean of baseline error minus ETA error over tickets (positive: the
        ETA is better) and its 95% percentile interval from a bootstrap
        resampling the moments."""
        moments = np.unique(self.moment)
        diff = self.baseline_s - self.eta_s
        sums = np.array([diff[self.moment == m].sum() for m in moments])
        counts = np.array([np.sum(self.moment == m) for m in moments], dtype=float)
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, len(moments), size=(resamples, len(moments)))
        boot = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
        lo, hi = np.quantile(boot, [0.025, 0.975])
        return float(diff.mean()), float(lo), float(hi)


def waiting_records(records: Records, now_s: float) -> np.ndarray:
    """The records of the tickets :func:`sim.live.nowcast.state_at` counts as
    waiting at ``now_s``, in its order."""
    r = records
    called = r.called_s <= now_s
    gone = (r.outcome == BALKED) | ((r.outcome == UNSERVED) & (r.left_s <= now_s))
    return np.flatnonzero((r.arrival_s < now_s) & ~r.kiosk & ~called & ~gone)


def score_days(
    scn: Scenario,
    days: Sequence[int],
    times_s: Sequence[float],
    *,
    replications: int = 30,
    seed: int = 1,
) -> EtaErrors:
    """Replay day ``d`` (replication ``d`` of seed ``seed + 1000``: independent
    of the ETA's own runs) of ``scn`` for each of ``days``; at each of
    ``times_s`` predict every waiting ticket's call time from the day's state
    and score it against the day's records."""
    eta: list[float] = []
    base: list[float] = []
    moment: list[int] = []
    for k, d in enumerate(days):
        records = simulate(scn, seed + 1000, d)
        for j, now_s in enumerate(times_s):
            m = k * len(times_s) + j
            start = state_at(records, now_s)
            truth = records.next_call_s(now_s)[waiting_records(records, now_s)]
            times = call_times(scn, start, replications=replications, seed=seed)
            for i, true_s in enumerate(truth):
                predicted = ticket_eta(times, i).call_median_s
                if not (math.isfinite(true_s) and math.isfinite(predicted)):
                    continue
                eta.append(abs(predicted - true_s))
                base.append(abs(position_call_s(scn, start, i) - true_s))
                moment.append(m)
    return EtaErrors(np.array(eta), np.array(base), np.array(moment, dtype=np.int64))
