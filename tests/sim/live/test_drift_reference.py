"""The drift reference's calibration (:func:`sim.live.drift.drift_reference`)
takes each simulated day's largest arrivals statistic from
:func:`sim.live.changes.largest_arrivals_statistic`, a cheaper order of the
same work as the statistic's whole path (:func:`arrivals_statistic`, which
the live test and the score paths still use). The two must agree bit for bit,
and so must the reference built either way, for the bundled scenarios and for
made-up ones of other lengths, noise and false-alarm rates."""

from __future__ import annotations

import itertools
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sim.live.changes import arrivals_statistic, largest_arrivals_statistic
from sim.live.demandlevel import expected_between
from sim.live.drift import (
    BIN_S,
    CALIBRATION_DAYS,
    CHANGE_S,
    QUANTITIES,
    drift_reference,
)
from sim.model.days import day_scenario
from sim.model.scenario import Scenario, load_scenario
from tests.sim.live.test_drift import hall

ROOT = Path(__file__).resolve().parents[3]
TUESDAY = date(2026, 3, 3)


def old_threshold(scn: Scenario, alpha: float, seed: int = 1) -> float:
    """The arrivals' threshold as :func:`drift_reference` calibrated it before
    the calibration had its own statistic: the same draws, the whole statistic
    path of every simulated day, its largest value, the quantile."""
    edges = np.append(np.arange(scn.open, scn.close, BIN_S), scn.close)
    expected = np.array([expected_between(scn, a, b) for a, b in itertools.pairwise(edges)])
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xD21F7,)))
    cv = scn.arrivals.day_noise_cv
    k = math.inf if cv <= 0 else 1.0 / cv**2
    factor = (
        np.ones((CALIBRATION_DAYS, 1))
        if math.isinf(k)
        else rng.gamma(k, 1.0 / k, (CALIBRATION_DAYS, 1))
    )
    counts = rng.poisson(factor * expected[None, :]).astype(float)
    stat, _ = arrivals_statistic(counts, expected, k, int(CHANGE_S // BIN_S))
    share = alpha / len(QUANTITIES)
    return max(float(np.quantile(stat.max(axis=1), 1.0 - share)), 1e-9)


@pytest.mark.parametrize("k", [math.inf, 1 / 0.08**2, 1 / 0.4**2, 1.0])
@pytest.mark.parametrize(("bins", "change_every"), [(1, 3), (2, 1), (7, 3), (50, 4), (144, 3)])
def test_each_day_s_largest_statistic_is_the_whole_path_s_largest_bit_for_bit(
    k: float, bins: int, change_every: int
) -> None:
    """Random expected counts (some bins empty) and days drawn around them, in
    chunks of days that do not divide the days."""
    rng = np.random.default_rng([bins, change_every, int(min(k, 1e6))])
    expected = rng.uniform(0.0, 12.0, bins) * (rng.uniform(size=bins) > 0.1)
    factor = np.ones((203, 1)) if math.isinf(k) else rng.gamma(k, 1.0 / k, (203, 1))
    counts = rng.poisson(factor * expected).astype(float)
    whole, _ = arrivals_statistic(counts, expected, k, change_every)
    for chunk in (1, 64, 512):
        largest = largest_arrivals_statistic(counts, expected, k, change_every, chunk_days=chunk)
        assert largest.tobytes() == whole.max(axis=1).tobytes()


def made_up_halls() -> list[tuple[Scenario, float]]:
    """Halls of other hours (a last bin cut short, fewer bins than change
    times' step), day noise from none to heavy, and false-alarm rates."""
    rng = np.random.default_rng(2207)
    out = []
    for open_, close, cv, alpha in [
        ("09:00", "16:52", 0.0, 0.01),
        ("08:30", "20:00", 0.3, 0.05),
        ("10:00", "10:10", 0.08, 0.01),
        ("09:00", "12:00", 0.0, 0.2),
        ("07:00", "22:00", 0.15, 0.003),
    ]:
        rates = {f"{h:02d}:00": float(rng.uniform(20, 300)) for h in range(7, 22, 2)}
        scn = hall(
            **{"open": open_, "close": close, "arrivals.day_noise_cv": cv,
               "arrivals.rate_per_hour": rates}
        )  # fmt: skip
        out.append((scn, alpha))
    return out


def bundled_weekdays() -> list[tuple[Scenario, float]]:
    out = []
    for name in ("flagship", "county"):
        scn = day_scenario(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), TUESDAY)
        assert scn is not None
        out += [(scn, 0.01), (scn, 0.2)]
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scn", "alpha"), bundled_weekdays() + made_up_halls(), ids=lambda v: getattr(v, "hall", v)
)
def test_the_threshold_is_the_one_the_whole_path_gives_bit_for_bit(
    scn: Scenario, alpha: float
) -> None:
    """The rest of the reference (bins, expected counts, the bound threshold,
    speeds) is built by code the change did not touch; the pins below hold
    the bound threshold and the expected counts of the bundled halls."""
    assert drift_reference(scn, alpha).arrivals_threshold.hex() == old_threshold(scn, alpha).hex()


# The flagship and county weekday thresholds (arrivals, service and no-show)
# as computed before the calibration had its own statistic, by α; within a
# few ulps because numpy's vectorised log may round a last bit differently on
# another CPU (on one machine the test above holds bit for bit).
PINNED = {
    ("flagship", 0.01): ("0x1.ca671004b087fp+2", "0x1.489486c341d68p+3"),
    ("flagship", 0.05): ("0x1.8c7144a1f2304p+2", "0x1.151402d366bc2p+3"),
    ("flagship", 0.2): ("0x1.451882cc9d51fp+2", "0x1.d16ef9aae4908p+2"),
    ("county", 0.01): ("0x1.f739b729d30b6p+1", "0x1.3f5fd5baa768cp+3"),
    ("county", 0.05): ("0x1.a897d12c1ad94p+1", "0x1.0bdf51cacc4e5p+3"),
    ("county", 0.2): ("0x1.63bff4956dd02p+1", "0x1.bf059799afb4fp+2"),
}
BINS_AND_TICKETS = {"flagship": (144, 752.25), "county": (108, 95.0)}  # counter tickets a day


@pytest.mark.parametrize(("name", "alpha"), list(PINNED), ids=lambda v: str(v))
def test_the_bundled_thresholds_are_those_pinned_before_the_change(name: str, alpha: float) -> None:
    scn = day_scenario(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), TUESDAY)
    assert scn is not None
    ref = drift_reference(scn, alpha)
    arrivals, bound = (float.fromhex(x) for x in PINNED[(name, alpha)])
    assert ref.arrivals_threshold == pytest.approx(arrivals, rel=1e-13, abs=0)
    assert ref.bound_threshold == pytest.approx(bound, rel=1e-13, abs=0)
    bins, tickets = BINS_AND_TICKETS[name]
    assert len(ref.expected) == bins
    assert math.fsum(ref.expected) == pytest.approx(tickets, rel=1e-12)
