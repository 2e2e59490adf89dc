"""Theory tests for sim.planning.erlang against independent references.

References are computed here by other means: exact fractions, log-gamma sums, pyworkforce,
a linear solve of the truncated generator and matrix exponentials of the tagged customer's
absorbing chain, never by copying the module's own output.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from pyworkforce.queuing import ErlangC
from scipy import integrate, linalg

from sim.planning.erlang import (
    ErlangA,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_service_level,
    erlang_c_wait_mean_s,
    priority_wait_means_s,
    servers_for_service_level,
)

# ---------------------------------------------------------------------------------------------
# Independent references


def exact_erlang_b(servers: int, load: Fraction) -> Fraction:
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(servers: int, load: Fraction) -> Fraction:
    terms = [load**k / math.factorial(k) for k in range(servers)]
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(terms) + top)


def log_space_erlang_c(servers: int, load: float) -> tuple[float, float]:
    """(Erlang B, Erlang C) from log a^k/k! = k·log a − lgamma(k + 1)."""
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(servers + 1)]
    top = max(logs)
    below = sum(math.exp(x - top) for x in logs[:-1])
    last = math.exp(logs[-1] - top)
    blocking = last / (below + last)
    delayed = last * servers / (servers - load)
    return blocking, delayed / (below + delayed)


def pyworkforce_model(rate_per_s: float, service_s: float, target_s: float) -> ErlangC:
    """pyworkforce counts transactions per interval and times in minutes."""
    interval_min = 60
    return ErlangC(
        transactions=rate_per_s * interval_min * 60.0,
        aht=service_s / 60.0,
        asa=target_s / 60.0,
        interval=interval_min,
        shrinkage=0.0,
    )


def generator_stationary(
    servers: int, rate_per_s: float, service_s: float, patience_s: float, states: int
) -> NDArray[np.float64]:
    """Stationary law of the truncated M/M/c+M chain by a dense linear solve of πQ = 0."""
    q = np.zeros((states, states))
    for n in range(states):
        if n + 1 < states:
            q[n, n + 1] = rate_per_s
        if n > 0:
            q[n, n - 1] = min(n, servers) / service_s + max(n - servers, 0) / patience_s
        q[n, n] = -q[n].sum()
    # Balance equations with the last one (redundant) replaced by the normalisation.
    system = q.T.copy()
    system[-1] = 1.0
    rhs = np.zeros(states)
    rhs[-1] = 1.0
    return np.asarray(np.linalg.solve(system, rhs), dtype=np.float64)


def tagged_generator(
    servers: int, service_s: float, patience_s: float, ahead_max: int
) -> NDArray[np.float64]:
    """Generator of a waiting customer: states 0..K customers ahead, then served, abandoned."""
    size = ahead_max + 3
    served, abandoned = ahead_max + 1, ahead_max + 2
    capacity_per_s = servers / service_s
    theta_per_s = 1.0 / patience_s
    q = np.zeros((size, size))
    for k in range(ahead_max + 1):
        q[k, k - 1 if k > 0 else served] = capacity_per_s + k * theta_per_s
        q[k, abandoned] = theta_per_s
        q[k, k] = -q[k].sum()
    return q


class PhaseTypeReference:
    """Erlang A service level and served wait from the chain, by expm and quadrature.

    A waiting arrival's progress is the absorbing chain of ``tagged_generator`` started from
    the PASTA law of the number ahead; its defective distribution of the time to service is
    read off matrix exponentials, and E[W·1{served}] is the integral of its survival function.
    """

    def __init__(
        self, servers: int, rate_per_s: float, service_s: float, patience_s: float, states: int
    ) -> None:
        self.pi = generator_stationary(servers, rate_per_s, service_s, patience_s, states)
        self.servers = servers
        ahead_max = states - servers - 1
        self.q = tagged_generator(servers, service_s, patience_s, ahead_max)
        self.served_col = ahead_max + 1
        transient = self.q[: ahead_max + 1, : ahead_max + 1]
        into_service = self.q[: ahead_max + 1, self.served_col]
        self.p_served_ahead = np.linalg.solve(-transient, into_service)
        self.weights = self.pi[servers:]

    def service_level(self, target_s: float) -> float:
        reach = linalg.expm(self.q * target_s)[: self.weights.size, self.served_col]
        return float(self.pi[: self.servers].sum() + self.weights @ reach)

    def p_served(self) -> float:
        return float(self.pi[: self.servers].sum() + self.weights @ self.p_served_ahead)

    def wait_mean_served_s(self, step_s: float = 0.25) -> float:
        """∫ (P(served) − P(served by t)) dt by Simpson's rule on an exact grid."""
        eventually = float(self.weights @ self.p_served_ahead)
        transition = linalg.expm(self.q * step_s)
        state = np.zeros(self.q.shape[0])
        state[: self.weights.size] = self.weights
        waiting = self.weights.size
        survival = [eventually]
        while state[:waiting].sum() > 1e-14 or len(survival) % 2 == 0:
            state = state @ transition
            survival.append(eventually - float(state[self.served_col]))
        area = integrate.simpson(np.array(survival), dx=step_s)
        return float(area) / self.p_served()


# ---------------------------------------------------------------------------------------------
# Erlang B and C


def test_erlang_b_table_value() -> None:
    assert erlang_b(10, 5.0) == pytest.approx(0.01838, abs=5e-6)


@pytest.mark.parametrize(
    ("servers", "load"),
    [(1, Fraction(1, 2)), (2, Fraction(1)), (5, Fraction(7, 2)), (10, Fraction(5)), (20, 17)],
)
def test_erlang_b_and_c_match_exact_fractions(servers: int, load: Fraction | int) -> None:
    exact = Fraction(load)
    assert erlang_b(servers, float(exact)) == pytest.approx(float(exact_erlang_b(servers, exact)))
    assert erlang_c(servers, float(exact)) == pytest.approx(float(exact_erlang_c(servers, exact)))


def test_erlang_c_closed_forms() -> None:
    # M/M/1: C = ρ, Wq = ρ/(μ − λ). M/M/2: C = 2ρ²/(1 + ρ) with ρ = a/2.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c_wait_mean_s(1, 0.7 / 60.0, 60.0) == pytest.approx(0.7 / (1 / 60 - 0.7 / 60))
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)
    rho = 0.9
    assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))


@pytest.mark.parametrize(
    ("servers", "rate_per_s", "service_s", "target_s"),
    [
        (3, 2.5 / 180.0, 180.0, 20.0),
        (10, 8.0 / 240.0, 240.0, 30.0),
        (14, 100.0 / 1800.0, 180.0, 20.0),
        (55, 50.0 / 300.0, 300.0, 60.0),
        (200, 190.0 / 120.0, 120.0, 15.0),
        (520, 500.0 / 600.0, 600.0, 45.0),
    ],
)
def test_erlang_c_matches_pyworkforce(
    servers: int, rate_per_s: float, service_s: float, target_s: float
) -> None:
    reference = pyworkforce_model(rate_per_s, service_s, target_s)
    assert reference.intensity == pytest.approx(rate_per_s * service_s)
    load = rate_per_s * service_s
    assert erlang_c(servers, load) == pytest.approx(reference.waiting_probability(servers))
    assert erlang_c_service_level(servers, rate_per_s, service_s, target_s) == pytest.approx(
        reference.service_level(servers)
    )


@pytest.mark.parametrize(
    ("rate_per_s", "service_s", "target_s", "level"),
    [(8.0 / 240.0, 240.0, 30.0, 0.8), (100.0 / 1800.0, 180.0, 20.0, 0.9), (2.0, 150.0, 20.0, 0.8)],
)
def test_staffing_matches_pyworkforce(
    rate_per_s: float, service_s: float, target_s: float, level: float
) -> None:
    # pyworkforce searches upwards from round(load + 1), equal to ours for integer loads.
    assert float(rate_per_s * service_s).is_integer()
    reference = pyworkforce_model(rate_per_s, service_s, target_s)
    expected = reference.required_positions(level, max_occupancy=1.0)["raw_positions"]
    assert servers_for_service_level(rate_per_s, service_s, target_s, level) == expected


def test_large_system_is_stable() -> None:
    blocking, waiting = erlang_b(1000, 950.0), erlang_c(1000, 950.0)
    ref_blocking, ref_waiting = log_space_erlang_c(1000, 950.0)
    assert 0.0 < blocking < waiting < 1.0
    assert blocking == pytest.approx(ref_blocking, rel=1e-10)
    assert waiting == pytest.approx(ref_waiting, rel=1e-10)
    assert math.isfinite(erlang_c_wait_mean_s(1000, 950.0 / 300.0, 300.0))
    assert 0.0 < erlang_c(5000, 4990.0) <= 1.0


def test_unstable_erlang_c() -> None:
    assert erlang_c(5, 5.0) == 1.0
    assert erlang_c(5, 7.5) == 1.0
    assert erlang_c_wait_mean_s(5, 1.0, 5.0) == math.inf
    assert erlang_c_service_level(5, 1.0, 5.0, 10.0) == 0.0
    assert erlang_c(5, 0.0) == 0.0
    assert erlang_c_service_level(5, 0.0, 5.0, 0.0) == 1.0


@settings(max_examples=60, deadline=None)
@given(servers=st.integers(1, 300), utilisation=st.floats(0.0, 0.999))
def test_erlang_b_below_c_and_falling_in_servers(servers: int, utilisation: float) -> None:
    load = servers * utilisation
    assert 0.0 <= erlang_b(servers, load) <= erlang_c(servers, load) <= 1.0
    assert erlang_c(servers + 1, load) <= erlang_c(servers, load) + 1e-15


# ---------------------------------------------------------------------------------------------
# Priority M/M/c


@pytest.mark.parametrize(
    ("servers", "rates_per_s", "service_s"),
    [
        (1, [0.002, 0.003], 200.0),
        (3, [0.005, 0.004, 0.006], 180.0),
        (12, [0.01, 0.015, 0.005, 0.015], 240.0),
        (150, [0.3, 0.5, 0.15], 300.0),
    ],
)
def test_priority_conserves_work(servers: int, rates_per_s: list[float], service_s: float) -> None:
    waits_s = priority_wait_means_s(servers, rates_per_s, service_s)
    total_per_s = sum(rates_per_s)
    average_s = sum(r * w for r, w in zip(rates_per_s, waits_s, strict=True)) / total_per_s
    assert average_s == pytest.approx(erlang_c_wait_mean_s(servers, total_per_s, service_s))
    assert waits_s == sorted(waits_s)


def test_priority_single_class_is_erlang_c() -> None:
    assert priority_wait_means_s(7, [0.03], 200.0) == pytest.approx(
        [erlang_c_wait_mean_s(7, 0.03, 200.0)]
    )


def test_priority_mm1_matches_cobham() -> None:
    # M/M/1 non-preemptive: W_k = R / ((1 − σ_{k−1})(1 − σ_k)), R = Σ λ_i E[S²]/2 = λ s².
    service_s, rates_per_s = 100.0, [0.001, 0.004, 0.002]
    residual_s = sum(rates_per_s) * service_s**2
    sigmas = np.cumsum([0.0, *rates_per_s]) * service_s
    expected = [residual_s / ((1 - sigmas[k]) * (1 - sigmas[k + 1])) for k in range(3)]
    assert priority_wait_means_s(1, rates_per_s, service_s) == pytest.approx(expected)


def test_priority_overload_starves_only_low_classes() -> None:
    waits_s = priority_wait_means_s(2, [0.01, 0.01, 0.01], 60.0)  # σ = 0.3, 0.6, 0.9
    assert all(math.isfinite(w) for w in waits_s)
    waits_s = priority_wait_means_s(2, [0.01, 0.03, 0.01], 60.0)  # σ = 0.3, 1.2, 1.5
    assert math.isfinite(waits_s[0])
    assert waits_s[1:] == [math.inf, math.inf]
    # Servers never idle: C = 1 and the top class waits out one residual service.
    assert waits_s[0] == pytest.approx(1.0 / ((2 / 60.0) * (1 - 0.3)))


# ---------------------------------------------------------------------------------------------
# Erlang A


CHAIN_CASES = [
    # servers, arrival rate, mean service, mean patience, truncated states
    (3, 1.0 / 50.0, 120.0, 90.0, 50),
    (2, 1.0 / 40.0, 100.0, 300.0, 70),  # load 2.5 on 2 servers: overloaded but stable
    (5, 1.0 / 30.0, 120.0, 600.0, 90),
]


@pytest.mark.parametrize(
    ("servers", "rate_per_s", "service_s", "patience_s", "states"), CHAIN_CASES
)
def test_erlang_a_matches_generator_and_phase_type(
    servers: int, rate_per_s: float, service_s: float, patience_s: float, states: int
) -> None:
    reference = PhaseTypeReference(servers, rate_per_s, service_s, patience_s, states)
    pi = reference.pi
    queue = np.maximum(np.arange(states) - servers, 0)
    result = erlang_a(servers, rate_per_s, service_s, patience_s)
    assert result.p_wait == pytest.approx(pi[servers:].sum(), abs=1e-10)
    assert result.queue_mean == pytest.approx(float(queue @ pi), rel=1e-8)
    assert result.abandon_rate == pytest.approx(1.0 - reference.p_served(), abs=1e-10)
    assert result.wait_mean_served_s == pytest.approx(reference.wait_mean_served_s(), rel=1e-6)
    for target_s in (0.0, 5.0, 20.0, 60.0, 300.0):
        level = erlang_a(servers, rate_per_s, service_s, patience_s, target_s).service_level
        assert level == pytest.approx(reference.service_level(target_s), abs=1e-9)


@pytest.mark.parametrize(
    ("servers", "rate_per_s", "service_s", "patience_s"),
    [(10, 8.0 / 180.0, 180.0, 300.0), (50, 52.0 / 300.0, 300.0, 120.0), (400, 1.3, 300.0, 900.0)],
)
def test_erlang_a_internal_identities(
    servers: int, rate_per_s: float, service_s: float, patience_s: float
) -> None:
    result = erlang_a(servers, rate_per_s, service_s, patience_s, target_wait_s=math.inf)
    assert result.abandon_rate * rate_per_s == pytest.approx(result.queue_mean / patience_s)
    assert result.wait_mean_s * rate_per_s == pytest.approx(result.queue_mean)
    assert result.service_level is not None
    # Per-arrival P(served) from the tagged-customer recursion vs θ·E[Q]/λ from the chain.
    assert result.service_level == pytest.approx(1.0 - result.abandon_rate, abs=1e-10)
    assert 0.0 <= result.p_wait <= 1.0
    # E[W] = E[W·1{served}] + E[W·1{abandoned}] >= P(served)·E[W | served].
    p_served = 1.0 - result.abandon_rate
    assert result.wait_mean_served_s * p_served <= result.wait_mean_s + 1e-12


def test_erlang_a_service_level_rises_with_target() -> None:
    targets_s = [0.0, 1.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 600.0, math.inf]
    levels = []
    for target_s in targets_s:
        level = erlang_a(20, 21.0 / 240.0, 240.0, 180.0, target_s).service_level
        assert level is not None
        levels.append(level)
    assert all(b >= a for a, b in itertools.pairwise(levels))
    assert all(b > a for a, b in itertools.pairwise(levels[:-2]))
    assert levels[0] == pytest.approx(1.0 - erlang_a(20, 21.0 / 240.0, 240.0, 180.0).p_wait)


@pytest.mark.parametrize(("servers", "load"), [(1, 0.6), (10, 8.0), (120, 112.0)])
def test_erlang_a_tends_to_erlang_c(servers: int, load: float) -> None:
    service_s, target_s = 200.0, 30.0
    rate_per_s = load / service_s
    patient = erlang_a(servers, rate_per_s, service_s, 1e9, target_s)
    assert patient.p_wait == pytest.approx(erlang_c(servers, load), rel=1e-5)
    wait_s = erlang_c_wait_mean_s(servers, rate_per_s, service_s)
    assert patient.wait_mean_s == pytest.approx(wait_s, rel=1e-4)
    assert patient.wait_mean_served_s == pytest.approx(wait_s, rel=1e-4)
    level = erlang_c_service_level(servers, rate_per_s, service_s, target_s)
    assert patient.service_level == pytest.approx(level, abs=1e-6)
    never = erlang_a(servers, rate_per_s, service_s, math.inf, target_s)
    assert never.abandon_rate == 0.0
    assert never.p_wait == pytest.approx(erlang_c(servers, load))
    assert never.queue_mean == pytest.approx(wait_s * rate_per_s)
    assert never.wait_mean_s == pytest.approx(wait_s)
    assert never.wait_mean_served_s == pytest.approx(wait_s)
    assert never.service_level == pytest.approx(level)


def test_erlang_a_overload_and_large_systems() -> None:
    overloaded = erlang_a(10, 15.0 / 180.0, 180.0, 120.0, 20.0)
    assert 0.8 < overloaded.p_wait < 1.0
    # At most c·μ customers per second are served, so at least 1 − c/a of arrivals abandon.
    assert 1.0 - 10.0 / 15.0 < overloaded.abandon_rate < 0.4
    big = erlang_a(1000, 950.0 / 300.0, 300.0, 600.0, 20.0)
    assert 0.0 < big.p_wait < 1.0
    assert big.service_level is not None and 0.0 < big.service_level < 1.0
    idle = erlang_a(3, 0.0, 180.0, 60.0, 10.0)
    assert idle == ErlangA(0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# Staffing


@pytest.mark.parametrize(
    ("rate_per_s", "service_s", "target_s", "level"),
    [
        (0.01, 300.0, 20.0, 0.8),
        (100.0 / 1800.0, 180.0, 20.0, 0.8),
        (1.5, 240.0, 30.0, 0.9),
        (3.0, 300.0, 15.0, 0.95),
    ],
)
def test_erlang_c_staffing_is_minimal(
    rate_per_s: float, service_s: float, target_s: float, level: float
) -> None:
    servers = servers_for_service_level(rate_per_s, service_s, target_s, level)
    assert erlang_c_service_level(servers, rate_per_s, service_s, target_s) >= level
    assert erlang_c_service_level(servers - 1, rate_per_s, service_s, target_s) < level


@pytest.mark.parametrize(
    ("rate_per_s", "service_s", "target_s", "level", "patience_s"),
    [
        (0.01, 300.0, 20.0, 0.8, 120.0),
        (100.0 / 1800.0, 180.0, 20.0, 0.8, 60.0),
        (1.5, 240.0, 30.0, 0.9, 300.0),
        (0.05, 200.0, 60.0, 0.5, 30.0),
    ],
)
def test_erlang_a_staffing_is_minimal(
    rate_per_s: float, service_s: float, target_s: float, level: float, patience_s: float
) -> None:
    servers = servers_for_service_level(rate_per_s, service_s, target_s, level, patience_s)

    def achieved(count: int) -> float:
        value = erlang_a(count, rate_per_s, service_s, patience_s, target_s).service_level
        assert value is not None
        return value

    assert achieved(servers) >= level
    assert servers == 1 or achieved(servers - 1) < level
    # Abandonment relieves the queue, so Erlang A never needs more than Erlang C.
    assert servers <= servers_for_service_level(rate_per_s, service_s, target_s, level)


def test_erlang_a_service_level_rises_with_servers() -> None:
    levels = [erlang_a(c, 0.1, 200.0, 90.0, 20.0).service_level or 0.0 for c in range(1, 40)]
    assert all(b > a for a, b in itertools.pairwise(levels))


def test_staffing_out_of_reach() -> None:
    with pytest.raises(ValueError, match="max_servers=5"):
        servers_for_service_level(1.0, 100.0, 20.0, 0.8, max_servers=5)
    with pytest.raises(ValueError, match="max_servers=5"):
        servers_for_service_level(1.0, 100.0, 20.0, 0.8, patience_mean_s=60.0, max_servers=5)
    assert servers_for_service_level(0.0, 100.0, 20.0, 0.99) == 1


# ---------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_b(-1, 1.0), "servers must be >= 0, got -1"),
        (lambda: erlang_b(3, -0.5), "load must be a finite number >= 0, got -0.5"),
        (lambda: erlang_c(2.5, 1.0), "servers must be an integer, got 2.5"),  # type: ignore[arg-type]
        (lambda: erlang_c(3, math.nan), "load"),
        (lambda: erlang_c_wait_mean_s(0, 1.0, 1.0), "servers must be >= 1, got 0"),
        (lambda: erlang_c_wait_mean_s(2, -1.0, 1.0), "arrival_rate_per_s .* got -1.0"),
        (lambda: erlang_c_wait_mean_s(2, 1.0, 0.0), "service_mean_s must be .* > 0, got 0.0"),
        (lambda: erlang_c_service_level(2, 0.1, 1.0, -3.0), "target_wait_s .* got -3.0"),
        (lambda: priority_wait_means_s(2, [0.1, -0.2], 1.0), r"arrival_rates_per_s\[1\]"),
        (lambda: priority_wait_means_s(2, [], 1.0), "at least one class"),
        (lambda: erlang_a(2, 0.1, 1.0, 0.0), "patience_mean_s must be a number > 0, got 0.0"),
        (lambda: erlang_a(2, 0.1, 1.0, 5.0, -1.0), "target_wait_s"),
        (lambda: servers_for_service_level(0.1, 1.0, 5.0, 1.5), "service_level .* got 1.5"),
        (lambda: servers_for_service_level(0.1, 1.0, 5.0, 0.8, max_servers=0), "max_servers"),
    ],
)
def test_invalid_arguments_are_named(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message):
        call()
