"""``benchmarks/bench_windows.py`` run small: the series it backfills are the
ones the shipped rules over a range read, so what it times is their real
work (a rule renamed, or a series it reads, would leave the benchmark timing
empty evaluations). Three halls (one flagship, two county halls: 4 + 3 + 3
series a family), half an hour and one hour backfilled a sample a second, and
the rules evaluated each second, against the real Prometheus and promtool."""

from __future__ import annotations

import argparse
from types import ModuleType

import pytest
import yaml

from tests.benchmarks import benchmark
from tests.dashboards.promserver import binary
from tests.dashboards.stack import RULES

HALLS = 3
SERIES = 4 + 3 + 3  # a flagship and two county halls, by service


def _benchmark() -> ModuleType:
    return benchmark("bench_windows")


def _windowed_recordings() -> set[str]:
    """The shipped recording rules whose expression reads a range."""
    bench = _benchmark()
    names = set()
    for path in RULES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            names |= {
                r["record"]
                for r in group["rules"]
                if "record" in r and bench.range_hours(r["expr"]) is not None
            }
    return names


def test_a_range_is_read_in_hours() -> None:
    range_hours = _benchmark().range_hours
    assert range_hours("increase(x[30m])") == 0.5
    assert range_hours("a[5m] / b[6h]") == 6.0
    assert range_hours("sum by (hall) (x)") is None


@pytest.mark.integration
def test_every_recording_rule_over_a_range_reads_the_backfilled_series() -> None:
    binary("prometheus")
    binary("promtool")
    bench = _benchmark()
    args = argparse.Namespace(halls=HALLS, flagship_share=1 / 3, evaluations=1, step=1)
    runs = [bench.measure(args, hours) for hours in (0.5, 1.0)]
    wanted = _windowed_recordings()
    assert wanted, "no recording rule reads a range: the benchmark has nothing to time"
    for run in runs:
        assert run["series_per_day_family"] == SERIES
        assert run["series_out"] == dict.fromkeys(wanted, SERIES), run["series_out"]
        assert run["compactions"] == 0
        assert run["alerts"] == 0  # the stand-in exporter is up: no alert weighs on the rules
        assert set(run["by_range_s"]) == {"5m", "30m", "1h", "2h", "6h"}
    # the longer backfill held more samples a series: as written, each a second
    assert runs[1]["samples_written"] > runs[0]["samples_written"]
