"""The recovery matrix of ``hallsim fit`` (issue 13): each known hall of
:mod:`tests.sim.calibration.truths`, logged both ways a ticket system logs
give-ups, two seeds, 30 days. Every fitted parameter is held to the tolerance
:data:`tests.sim.calibration.recovery.TOLERANCE` writes down for it, the
structure (families, shifts and breaks, priorities, how give-ups were logged)
must come back exactly, and the fitted hall must predict the truth's day.

Whether the 95% CIs cover the truth 95% of the time is ``test_coverage``'s."""

from __future__ import annotations

import math

import pytest

from sim.calibration.fitted import fitted_scenario
from sim.eventlog.events import AbandonEvents
from tests.sim.calibration.recovery import (
    TOLERANCE,
    Row,
    assert_near_the_middle,
    fitted,
    parameter_rows,
    predictions,
    truth_steps,
)
from tests.sim.calibration.truths import TRUTHS

CASES = [(name, mode, seed) for name in TRUTHS for mode in ("exact", "no_show") for seed in (1, 2)]


def _table(rows: list[Row]) -> str:
    lines = []
    for r in rows:
        if r.kind == "rate_interval":
            continue
        ci = f"[{r.ci[0]:.4g}, {r.ci[1]:.4g}]" if r.ci else ""
        flag = "" if r.within else "  <-- beyond tolerance"
        lines.append(
            f"{r.kind:24} {r.name:14} {r.estimate:12.4g} {r.truth:12.4g} "
            f"{r.error:+8.3f} / {TOLERANCE[r.kind][1]:.2f} {ci} {flag}"
        )
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.statistical
@pytest.mark.parametrize(
    ("name", "mode", "seed"), CASES, ids=["-".join(map(str, c)) for c in CASES]
)
def test_a_known_hall_comes_back(name: str, mode: AbandonEvents, seed: int) -> None:
    scn, fit = fitted(name, mode, seed)
    rows = parameter_rows(scn, fit) + predictions(scn, fit)
    print(f"\n{name} {mode} seed {seed}\n{_table(rows)}")
    assert [r for r in rows if not r.within] == []

    # structure: how give-ups were logged, read from the log; dispatch order; families
    assert fit.abandon_events_from == "log"
    assert fit.exact_abandons == (mode == "exact")
    assert fit.priorities == {k: s.priority for k, s in scn.segments.items()}
    assert fit.no_show_delay_s == pytest.approx(scn.no_show_delay, abs=1e-3)
    for service_name, service in scn.services.items():
        assert fit.services[service_name].chosen == service.service_time.dist, service_name

    # staffing: shifts, breaks and count changes at the scenario's times
    for group in fit.groups:
        assert dict(group.count) == truth_steps(scn, group.id), group.id

    # patience: identified -> the mean (rows above) and a family of the right shape;
    # a few give-ups -> a range holding the truth; none -> a lower bound, no patience
    out = fitted_scenario(fit, hall=scn.hall)
    for seg_name, segment in scn.segments.items():
        assert segment.patience is not None
        p = fit.patience[seg_name]
        mean = segment.patience.mean_s
        written = out.segments[seg_name]
        assert written.patience_known_until == pytest.approx(p.survival.known_until_s, abs=0.1)
        if p.gave_up == 0:
            assert p.chosen is None and written.patience is None
            assert p.survival.mean_lower_bound_s <= mean
            continue
        lo, hi = p.mean_range_s
        assert lo <= mean <= hi, seg_name
        if p.identified:
            true_cv = segment.patience.cv or 1.0
            assert abs(p.best.cv - true_cv) <= 0.25, (seg_name, p.chosen, p.best.cv)
        else:
            assert_near_the_middle(p)
        assert written.patience is not None and written.patience.dist == p.chosen
        assert math.isfinite(p.survival.restricted_mean_s)
