"""Do ``hallsim fit``'s 95% CIs cover the truth 95% of the time? Forty 15-day
logs of the ``zero_delay`` hall (two counter groups, three service families,
two patience families, zero no-show delay), fitted and compared with the truth.

Each kind of CI is pooled over the seeds (and over the services, segments or
intervals of a fit) into at least 40 intervals, and must cover the truth at
least 80% of the time: with 40 intervals that tells 95% from 60% coverage
(a 60% method reaches 32 of 40 with probability 0.5%, a 95% one misses it
with probability under 0.1%). The rates measured are printed and in the
README's fit section.

Durations and arrivals are the same in both logs of a seed, so the ``no_show``
run checks the CIs that depend on how give-ups were logged only."""

from __future__ import annotations

from collections import defaultdict

import pytest

from sim.eventlog.events import AbandonEvents
from tests.sim.calibration.recovery import fitted, parameter_rows

SEEDS = range(100, 140)
DAYS = 15
MIN_RATE = 0.80
PATIENCE_KINDS = {"restricted_mean", "survival_at_tau", "patience_mean"}


@pytest.mark.slow
@pytest.mark.statistical
@pytest.mark.parametrize("mode", ["exact", "no_show"])
def test_cis_cover_the_truth_at_the_nominal_rate(mode: AbandonEvents) -> None:
    covered: dict[str, list[bool]] = defaultdict(list)
    for seed in SEEDS:
        scn, fit = fitted("zero_delay", mode, seed, DAYS)
        for row in parameter_rows(scn, fit):
            if row.covered is not None and (mode == "exact" or row.kind in PATIENCE_KINDS):
                covered[row.kind].append(row.covered)
    rates = {kind: sum(v) / len(v) for kind, v in covered.items()}
    print(f"\n{mode}: " + ", ".join(f"{k} {sum(covered[k])}/{len(covered[k])}" for k in rates))
    expected = PATIENCE_KINDS | (
        {"rate_interval", "mix", "segment_share", "service_mean", "group_speed"}
        if mode == "exact"
        else set()
    )
    assert set(covered) == expected
    for kind, values in covered.items():
        assert len(values) >= 40, kind
        assert rates[kind] >= MIN_RATE, (kind, rates[kind])
