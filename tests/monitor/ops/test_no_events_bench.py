"""``benchmarks/bench_no_events.py``: on healthy days of a quiet hall the
forecast-aware HallNoEvents pages far less than a fixed 10 minutes, while a
stopped ticket system is still noticed."""

from __future__ import annotations

from tests.benchmarks import benchmark

bench = benchmark("bench_no_events")


def test_a_quiet_hall_is_not_paged_for_its_lulls() -> None:
    r = bench.measure("county", days=10, step=60.0)
    # a fixed 10 minutes pages a healthy county hall several times a day
    assert r["pages_per_day_fixed"] >= 3
    assert r["pages_per_day_forecast"] <= 0.5
    # a stopped ticket system is noticed, later than at 10 minutes but within the hour
    assert 10 <= r["stopped_noticed_after_min_fixed"] < r["stopped_noticed_after_min_forecast"]
    assert r["stopped_noticed_after_min_forecast"] < 60
