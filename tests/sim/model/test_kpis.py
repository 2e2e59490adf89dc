"""KPIs are pure functions of records: checked on a day small enough to do by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.model.kpis import aggregate, replication_kpis
from sim.model.records import ABANDONED, BALKED, SERVED, Records
from sim.model.scenario import scenario_from_dict
from sim.model.summary import summarise

NAN = math.nan
T0 = 9 * 3600.0

SCN = scenario_from_dict(
    {
        "hall": "tiny",
        "open": "09:00",
        "close": "10:00",
        "interval": "30m",
        "target": {"wait": "5m", "service_level": 0.8},
        "services": {"a": {"service_time": {"dist": "fixed", "mean": "5m"}}},
        "segments": {"s": {"share": 0.5}, "t": {"share": 0.5}},
        "arrivals": {"mix": {"a": 1.0}, "rate_per_hour": 5},
        "counters": [{"id": "C", "count": 1, "services": ["a"]}],
    }
)


def records() -> Records:
    # c0 served at once (10 min); c1 waits 9 min; c2 gives up after 5 min;
    # c3 balks; c4 served at once in the second half hour (5 min).
    arrival = T0 + np.array([0.0, 60.0, 100.0, 1900.0, 2000.0])
    return Records(
        services=("a",),
        segments=("s", "t"),
        counters=("C1",),
        counter_group=np.array([0]),
        counter_is_kiosk=np.array([False]),
        arrival_s=arrival,
        service=np.zeros(5, dtype=int),
        segment=np.array([0, 1, 1, 0, 0]),
        kiosk=np.zeros(5, dtype=bool),
        appointment=np.zeros(5, dtype=bool),
        outcome=np.array([SERVED, SERVED, ABANDONED, BALKED, SERVED], dtype=np.int8),
        called_s=np.array([T0, T0 + 600.0, NAN, NAN, T0 + 2000.0]),
        ended_s=np.array([T0 + 600.0, T0 + 900.0, NAN, NAN, T0 + 2300.0]),
        left_s=np.array([NAN, NAN, T0 + 400.0, T0 + 1900.0, NAN]),
        counter=np.array([0, 0, -1, -1, 0]),
        span_counter=np.array([0]),
        span_opened_s=np.array([T0]),
        span_closed_s=np.array([T0 + 3600.0]),
    )


def test_overall_by_hand() -> None:
    k = replication_kpis(records(), SCN).overall
    assert k["arrivals"] == 5 and k["served"] == 3 and k["abandoned"] == 1 and k["balked"] == 1
    assert k["unserved"] == 0
    assert k["wait_mean_s"] == pytest.approx(180.0)  # (0 + 540 + 0) / 3
    assert k["service_level"] == pytest.approx(2 / 5)  # abandoned and balked are misses
    assert k["abandon_rate"] == pytest.approx(1 / 5)
    assert k["queue_mean"] == pytest.approx((540 + 300) / 3600)
    assert k["queue_max"] == 2
    assert k["utilisation"] == pytest.approx((600 + 300 + 300) / 3600)
    assert k["wait_p90_s"] == pytest.approx(np.percentile([0, 540, 0], 90))


def test_intervals_by_hand() -> None:
    first, second = replication_kpis(records(), SCN).by_interval
    assert first["start_s"] == T0 and second["start_s"] == T0 + 1800
    assert first["arrivals"] == 3 and first["wait_mean_s"] == pytest.approx(270.0)
    assert first["service_level"] == pytest.approx(1 / 3)
    assert first["queue_mean"] == pytest.approx(840 / 1800)
    assert first["utilisation"] == pytest.approx(900 / 1800)
    assert second["arrivals"] == 2 and second["service_level"] == pytest.approx(1 / 2)
    assert second["queue_mean"] == 0 and second["utilisation"] == pytest.approx(300 / 1800)


def test_segments_add_up() -> None:
    rep = replication_kpis(records(), SCN)
    s, t = rep.by_segment["s"], rep.by_segment["t"]
    assert s["arrivals"] == 3 and t["arrivals"] == 2
    assert t["wait_mean_s"] == pytest.approx(540.0)
    assert s["queue_mean"] + t["queue_mean"] == pytest.approx(rep.overall["queue_mean"])
    assert s["utilisation"] + t["utilisation"] == pytest.approx(rep.overall["utilisation"])


def test_summary_is_a_student_t_interval() -> None:
    values = [3.0, 5.0, 4.0, 8.0]
    got = summarise(values)
    lo, hi = stats.t.interval(0.95, 3, loc=np.mean(values), scale=stats.sem(values))
    assert got.mean == pytest.approx(5.0)
    assert got.ci95 == pytest.approx((lo, hi))
    assert summarise([1.0, NAN]).ci95 == (None, None)  # one value: no interval
    assert summarise([NAN]).mean is None


def test_aggregate_keeps_interval_starts_as_clock_times() -> None:
    rep = replication_kpis(records(), SCN)
    agg = aggregate([rep, rep])
    assert [row.start for row in agg.by_interval] == ["09:00", "09:30"]


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000])
def test_percentiles_match_numpy(n: int) -> None:
    from sim.model.kpis import _percentiles

    values = np.random.default_rng(n).exponential(60.0, n)
    qs = (0.5, 0.9, 0.95)
    assert _percentiles(values, qs) == pytest.approx(np.percentile(values, [50, 90, 95]))
    assert all(math.isnan(v) for v in _percentiles(np.empty(0), qs))


def test_queue_of_a_window_nobody_waited_in_is_exactly_zero() -> None:
    """Large start and end times cancel only up to float noise (-1.5e-13 was
    printed as "-0.0"); a window that no span overlaps integrates to exactly 0."""
    from sim.model.kpis import _StepIntegral

    starts = np.array([30_000.123, 31_000.7, 40_100.3])
    ends = np.array([30_500.9, 31_200.1, 40_800.6])
    steps = _StepIntegral(starts, ends)
    assert steps.integral(32_000.0, 40_000.0) == 0.0
    assert steps.integral(0.0, 30_000.0) == 0.0 and steps.integral(41_000.0, 50_000.0) == 0.0
    assert steps.integral(30_000.0, 31_100.0) == pytest.approx((30_500.9 - 30_000.123) + 99.3)


@pytest.mark.parametrize("seed", range(6))
def test_queue_max_is_the_count_after_every_start(seed: int) -> None:
    """``_StepIntegral.max`` searches only the blocks of starts that could hold the
    peak: it must find what a search after every start finds, over any window, for
    short and long, sparse and crowded, tied and untied spans."""
    from sim.model.kpis import _StepIntegral

    rng = np.random.default_rng(seed)
    n = [5, 40, 3_000, 20_000, 20_000, 50_000][seed]
    starts = np.cumsum(rng.exponential(1.0, n))
    if seed % 2:  # ties: times on a coarse grid
        starts = np.floor(starts / 4) * 4
    # waits from very short to long enough that thousands overlap
    ends = starts + rng.exponential([0.5, 3.0, 50.0, 300.0, 2.0, 3_000.0][seed], n)
    steps = _StepIntegral(starts, ends)

    def by_every_start(lo_s: float, hi_s: float) -> float:
        times = np.concatenate([[lo_s], steps.start[(steps.start >= lo_s) & (steps.start < hi_s)]])
        started = np.searchsorted(steps.start, times, "right")
        return float((started - np.searchsorted(steps.end, times, "right")).max())

    span_s = float(ends.max())
    windows = [(0, span_s + 1), (-5, span_s / 3), (span_s / 3, span_s / 2), (span_s, span_s + 9)]
    for lo_s, hi_s in windows:
        assert steps.max(lo_s, hi_s) == by_every_start(lo_s, hi_s), (lo_s, hi_s)


def test_wait_histogram_is_numpys() -> None:
    """The bins by division count as ``np.histogram`` does, edges included: a wait
    on an edge goes up, one just below stays down, 2 h and longer (infinite too)
    go in the last bin, negative and NaN waits nowhere."""
    from sim.model.kpis import WAIT_BINS_S, _wait_histogram

    edges = WAIT_BINS_S[:-1]
    waits = np.concatenate(
        [
            edges,
            np.nextafter(edges, -np.inf),
            np.nextafter(edges, np.inf),
            [-1.0, -0.0, np.nan, 7_199.999, 7_200.0, 1e9, np.inf],
            np.random.default_rng(3).exponential(900.0, 20_000),
        ]
    )
    expected = np.histogram(waits[~np.isnan(waits)], WAIT_BINS_S)[0]  # it refuses NaN
    got = _wait_histogram(waits)
    assert got.dtype == expected.dtype and got.tolist() == expected.tolist()
