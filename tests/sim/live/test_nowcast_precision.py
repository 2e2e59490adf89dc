"""Sequential stopping of the nowcast: a stopped nowcast is the nowcast of the
replications it ran, it stops only once its stated precision is met, a quiet
hall stops early and a jammed one does not, and what it publishes stays within
that precision of the full 30 replications."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.live.nowcast import Nowcast, Precision, nowcast, state_at, wilson_half_width
from sim.live.warmstart import BusyCounter, HallStart, WaitingTicket
from sim.model.hall import simulate
from sim.model.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
H = 3600.0
PRECISION = Precision()


def scenario(name: str) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.yaml")


def tables(nc: Nowcast) -> dict[str, float]:
    """Every published number of a nowcast, by a readable key."""
    out: dict[str, float] = {}
    for name in ("wait_s", "wait_ci_s", "wait_median_s", "wait_p90_s"):
        out |= {f"{name}{k}": v for k, v in getattr(nc, name).items()}
    out |= {f"breach{h}": p for h, p in nc.breach_probability.items()}
    out |= {f"service_breach{k}": p for k, p in nc.service_breach_probability.items()}
    return out


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a
    )


def test_wilson_half_width() -> None:
    # zeros out of 16: the interval is [0, z^2 / (16 + z^2)] = [0, 0.194]
    assert wilson_half_width(0.0, 16) == pytest.approx(0.0968, abs=1e-4)
    assert wilson_half_width(0.0, 15) > PRECISION.probability >= wilson_half_width(0.0, 16)
    # the normal interval's half-width for a large n, widest at one half
    assert wilson_half_width(0.5, 10_000) == pytest.approx(1.96 * 0.005, rel=1e-3)
    assert wilson_half_width(0.5, 30) > wilson_half_width(0.2, 30) > wilson_half_width(0.0, 30)
    assert wilson_half_width(math.nan, 30) == math.inf


def test_checkpoints_and_bad_precisions() -> None:
    assert PRECISION.checkpoints(30) == [12, 16, 20, 24, 28, 30]
    assert PRECISION.checkpoints(12) == [12]
    assert PRECISION.checkpoints(5) == [5]
    for bad in ({"min_replications": 1}, {"batch": 0}, {"probability": 0.0}, {"wait_s": -1.0}):
        with pytest.raises(ValueError, match="a precision needs"):
            Precision(**bad)


def test_without_a_precision_every_replication_runs() -> None:
    scn = scenario("county")
    start = state_at(simulate(scn, 5, 0), 16 * H)
    assert nowcast(scn, start, replications=30).replications == 30


@pytest.mark.statistical
@pytest.mark.parametrize(("name", "hour"), [("county", 10), ("county", 16), ("flagship", 14)])
def test_a_stopped_nowcast_is_the_nowcast_of_its_replications_and_meets_the_precision(
    name: str, hour: float
) -> None:
    """Quiet moments of a simulated day: the nowcast stops before 30, its
    numbers are those of a plain nowcast of as many replications, and each of
    its intervals is as narrow as the precision asks."""
    scn = scenario(name)
    start = state_at(simulate(scn, 5, 0), hour * H)
    stopped = nowcast(scn, start, replications=30, precision=PRECISION)
    n = stopped.replications
    assert n < 30
    assert same(tables(stopped), tables(nowcast(scn, start, replications=n)))
    assert PRECISION.met(stopped), "stopped although some interval was still too wide"
    if n > PRECISION.min_replications:
        less = nowcast(scn, start, replications=n - PRECISION.batch)
        assert not PRECISION.met(less), "ran on past a checkpoint that met the precision"


def test_a_jammed_hall_runs_every_replication() -> None:
    """Eight tickets waiting 20 minutes at the one open counter, busy: the runs
    disagree about who gives up, and no 30 replications settle it."""
    scn = scenario("county")
    waiting = tuple(WaitingTicket("business", "gotone", 1200.0 - 60 * i) for i in range(8))
    start = HallStart(11 * H, waiting=waiting, busy=(BusyCounter("C1", "business", 300.0),))
    assert nowcast(scn, start, replications=30, precision=PRECISION).replications == 30


@pytest.mark.statistical
def test_stopped_nowcasts_stay_within_their_precision_of_thirty_replications() -> None:
    """Every hour of a simulated day of each bundled hall: each expected wait
    and breach probability of the stopped nowcast is within the stated
    precision of the one from all 30 replications (which share its first
    ones), so stopping changes nothing a reader can tell apart."""
    stopped_early = 0
    for name in ("county", "flagship"):
        scn = scenario(name)
        records = simulate(scn, 5, 0)
        for hour in range(9, 21):
            if not scn.open <= hour * H < scn.close:
                continue
            start = state_at(records, hour * H)
            full = nowcast(scn, start, replications=30)
            stopped = nowcast(scn, start, replications=30, precision=PRECISION)
            stopped_early += stopped.replications < 30
            for key, wait in full.wait_s.items():
                bound = max(PRECISION.wait_s, PRECISION.wait_ratio * abs(stopped.wait_s[key]))
                assert abs(stopped.wait_s[key] - wait) <= bound, (name, hour, key)
            for h, p in full.breach_probability.items():
                assert abs(stopped.breach_probability[h] - p) <= PRECISION.probability
    assert stopped_early >= 8  # of 21 hours: the quiet ones
