"""``benchmarks/bench_ingest_breakdown.py`` run small: each of its three ways
(answered at once, read and checked, the real server) is a real ``hallmon
serve`` that acknowledges every event posted, and the raw floor runs beside
them, so the benchmark measures what it says (its figures are not checked:
a timed test would measure the machine)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.benchmarks import BENCHMARKS, benchmark

EVENTS = 2_000


@pytest.mark.slow
@pytest.mark.integration
def test_every_way_of_the_breakdown_serves_and_acknowledges_every_event() -> None:
    bench = benchmark("bench_ingest_breakdown")
    result = bench.measure(EVENTS, rounds=1, clients=2)  # raises unless every event is acknowledged
    assert {way: len(runs) for way, runs in result["runs"].items()} == dict.fromkeys(
        ("raw", "answer", "read", "full"), 1
    )


def test_a_variant_the_launcher_does_not_know_is_refused() -> None:
    launcher = BENCHMARKS / "ingest_variant.py"
    done = subprocess.run(
        [sys.executable, str(launcher), "fast", "serve", "--help"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "'fast' is not one of answer, read" in done.stderr
