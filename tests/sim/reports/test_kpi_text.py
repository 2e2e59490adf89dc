"""People's units for KPI values: one formatter for every table."""

from __future__ import annotations

import pytest

from sim.model.summary import Stat
from sim.reports.kpi_text import format_interval, format_stat, format_value, half_width, label


@pytest.mark.parametrize(
    ("key", "value", "precise", "text"),
    [
        ("wait_mean_s", 90.0, False, "1.5"),
        ("wait_p50_s", -2.0, False, "0.0"),  # a t bound just below zero is not "-0.0"
        ("service_level", 0.8345, True, "83.5%"),
        ("service_level", 0.8345, False, "83%"),
        ("abandon_rate", -0.0004, True, "0.0%"),
        ("arrivals", 1234.56, False, "1,234.6"),
        ("queue_mean", -1.5, False, "-1.5"),
        ("queue_mean", -1.55e-13, False, "0.0"),  # float noise of a time average
    ],
)
def test_format_value(key: str, value: float, precise: bool, text: str) -> None:
    assert format_value(value, key, precise=precise) == text


def test_signed_differences_use_points_and_never_minus_zero() -> None:
    assert format_value(0.031, "service_level", signed=True) == "+3pp"
    assert format_value(-90.0, "wait_mean_s", signed=True) == "-1.5"
    assert format_value(-1e-14, "queue_mean", signed=True) == "+0.0"


def test_format_stat_and_interval() -> None:
    stat = Stat(600.0, (540.0, 660.0), 10)
    assert format_stat(stat, "wait_mean_s") == "10.0±1.0"
    assert format_stat(stat, "wait_mean_s", with_ci=False) == "10.0"
    assert format_interval(stat, "wait_mean_s") == "9.0 – 11.0"
    share = Stat(0.9, (None, None), 1)
    assert format_stat(share, "service_level", precise=True) == "90.0%"
    assert half_width(share, "service_level") == "" and format_interval(share, "x") == "–"
    assert format_stat(Stat(None, (None, None), 0), "served") == "–"
    assert half_width(Stat(0.8, (0.75, 0.85), 5), "service_level") == "±5"


def test_labels_carry_units() -> None:
    assert label("wait_mean_s") == "Mean wait (min)"
    assert label("service_level") == "Service level"
