"""The model against queueing theory and against Ciw, with tolerances from the
confidence interval over independent replications (fixed seeds)."""

from __future__ import annotations

from typing import Any

import ciw
import numpy as np
import pytest

from sim.model.hall import simulate
from sim.model.records import ABANDONED, SERVED, Records
from sim.model.scenario import Scenario, load_scenario, scenario_from_dict
from sim.planning import erlang
from tests.sim.stats import assert_mean_matches, ci_half_width

pytestmark = [pytest.mark.slow, pytest.mark.statistical]


def mmc(
    servers: int,
    rate_per_hour: float,
    service_mean_min: float,
    hours: float,
    *,
    segments: dict[str, Any] | None = None,
    patience_min: float | None = None,
    target: str = "15m",
) -> Scenario:
    seg: dict[str, Any] = segments or {"all": {"share": 1.0}}
    if patience_min is not None:
        for spec in seg.values():
            spec["patience"] = {"dist": "exponential", "mean": f"{patience_min}m"}
    return scenario_from_dict(
        {
            "hall": "theory",
            "target": {"wait": target, "service_level": 0.8},
            "horizon": {"warmup": "10h", "duration": f"{hours}h"},
            "services": {
                "s": {"service_time": {"dist": "exponential", "mean": f"{service_mean_min}m"}}
            },
            "segments": seg,
            "arrivals": {"mix": {"s": 1.0}, "rate_per_hour": rate_per_hour},
            "counters": [{"id": "C", "count": servers, "services": ["s"]}],
        }
    )


def after_warmup(r: Records, scn: Scenario) -> np.ndarray:
    assert scn.horizon is not None
    return r.arrival_s >= scn.horizon.warmup


def replicate(scn: Scenario, reps: int, seed: int = 7) -> list[Records]:
    return [simulate(scn, seed, rep) for rep in range(reps)]


@pytest.mark.parametrize(
    ("servers", "rate_per_hour", "mean_min", "target_min", "hours"),
    [(10, 540.0, 1.0, 1.0, 150.0), (3, 30.0, 5.0, 5.0, 1500.0)],
)
def test_mmc_matches_erlang_c(
    servers: int, rate_per_hour: float, mean_min: float, target_min: float, hours: float
) -> None:
    scn = mmc(servers, rate_per_hour, mean_min, hours, target=f"{target_min}m")
    lam, mean_s, target_s = rate_per_hour / 3600, mean_min * 60, target_min * 60
    p_wait, wait_mean, service_level = [], [], []
    for r in replicate(scn, 10):
        mask = after_warmup(r, scn) & (r.outcome == SERVED)
        waits = (r.called_s - r.arrival_s)[mask]
        p_wait.append(float(np.mean(waits > 0)))
        wait_mean.append(float(waits.mean()))
        service_level.append(float(np.mean(waits <= target_s)))
    load = lam * mean_s
    assert_mean_matches(p_wait, erlang.erlang_c(servers, load), "P(wait)")
    assert_mean_matches(wait_mean, erlang.erlang_c_wait_mean_s(servers, lam, mean_s), "mean wait")
    assert_mean_matches(
        service_level,
        erlang.erlang_c_service_level(servers, lam, mean_s, target_s),
        "service level",
    )


def test_mmc_with_patience_matches_erlang_a() -> None:
    servers, rate_per_hour, mean_min, patience_min = 10, 600.0, 1.0, 10.0
    scn = mmc(servers, rate_per_hour, mean_min, 150.0, patience_min=patience_min)
    lam = rate_per_hour / 3600
    theory = erlang.erlang_a(servers, lam, mean_min * 60, patience_min * 60)
    abandon, wait_served = [], []
    for r in replicate(scn, 10):
        mask = after_warmup(r, scn)
        abandon.append(float(np.mean(r.outcome[mask] == ABANDONED)))
        served = mask & (r.outcome == SERVED)
        wait_served.append(float((r.called_s - r.arrival_s)[served].mean()))
    assert theory.abandon_rate > 0.02  # the case really exercises reneging
    assert_mean_matches(abandon, theory.abandon_rate, "abandon rate")
    assert_mean_matches(wait_served, theory.wait_mean_served_s, "mean wait of served")


def test_two_class_priority_matches_formula() -> None:
    segments = {"regular": {"share": 0.9, "priority": 1}, "vip": {"share": 0.1, "priority": 0}}
    scn = mmc(10, 540.0, 1.0, 150.0, segments=segments)
    lam = 540.0 / 3600
    vip_theory, regular_theory = erlang.priority_wait_means_s(10, [0.1 * lam, 0.9 * lam], 60.0)
    vip, regular = [], []
    for r in replicate(scn, 10):
        mask = after_warmup(r, scn) & (r.outcome == SERVED)
        waits = r.called_s - r.arrival_s
        vip.append(float(waits[mask & (r.segment == 1)].mean()))
        regular.append(float(waits[mask & (r.segment == 0)].mean()))
    assert_mean_matches(vip, vip_theory, "VIP mean wait")
    assert_mean_matches(regular, regular_theory, "regular mean wait")
    assert vip_theory < regular_theory / 5


def _ciw_class_waits(hours: float, seed: int) -> tuple[float, float]:
    """Mean waits (s) of vip and regular in Ciw's M/M/10 of the validation scenario."""
    rate_min = 540.0 / 60
    network = ciw.create_network(
        arrival_distributions={
            "vip": [ciw.dists.Exponential(rate=rate_min * 0.1)],
            "regular": [ciw.dists.Exponential(rate=rate_min * 0.9)],
        },
        service_distributions={
            "vip": [ciw.dists.Exponential(rate=1.0)],
            "regular": [ciw.dists.Exponential(rate=1.0)],
        },
        priority_classes={"vip": 0, "regular": 1},
        number_of_servers=[10],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time((hours + 10) * 60.0)
    waits: dict[str, list[float]] = {"vip": [], "regular": []}
    for rec in sim.get_all_records():
        if rec.record_type == "service" and rec.arrival_date >= 600.0:
            waits[rec.customer_class].append(rec.waiting_time * 60.0)
    return float(np.mean(waits["vip"])), float(np.mean(waits["regular"]))


def test_validation_scenario_agrees_with_ciw() -> None:
    """The bundled validation scenario against Ciw: the 99% CI of the difference
    of per-class mean waits (Welch, independent replications) covers zero."""
    base = load_scenario("scenarios/mmc-validation.yaml")
    assert base.horizon is not None
    hours = 60.0
    scn = base.model_copy(
        update={"horizon": base.horizon.model_copy(update={"duration": hours * 3600})}
    )
    ours: dict[str, list[float]] = {"vip": [], "regular": []}
    for r in replicate(scn, 8):
        mask = after_warmup(r, scn) & (r.outcome == SERVED)
        waits = r.called_s - r.arrival_s
        for i, name in enumerate(r.segments):
            ours[name].append(float(waits[mask & (r.segment == i)].mean()))
    theirs: dict[str, list[float]] = {"vip": [], "regular": []}
    for seed in range(8):
        vip, regular = _ciw_class_waits(hours, seed)
        theirs["vip"].append(vip)
        theirs["regular"].append(regular)
    for name in ("vip", "regular"):
        a, b = np.asarray(ours[name]), np.asarray(theirs[name])
        diff = a.mean() - b.mean()
        half = np.hypot(ci_half_width(a), ci_half_width(b))
        assert abs(diff) <= half, (
            f"{name}: hallq {a.mean():.2f}s vs Ciw {b.mean():.2f}s (±{half:.2f})"
        )
