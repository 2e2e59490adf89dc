"""Analytic queueing formulas: Erlang B, C and A, and priority M/M/c.

All times are in seconds and all rates are per second; a load is in Erlangs (arrival rate
times mean service time). Every function is pure and stays accurate for thousands of
servers: Erlang B and C use the standard recursion, Erlang A works in log space on a
birth–death chain truncated where its tail is negligible.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = [
    "ErlangA",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_service_level",
    "erlang_c_wait_mean_s",
    "priority_wait_means_s",
    "servers_for_service_level",
]

# The Erlang A chain stops once the mass it leaves out is below e^-40 (≈ 4e-18) of its mode.
_TAIL_LOG_TOLERANCE = -40.0
# Guards against chains that would not fit in memory (overload with near-infinite patience).
_MAX_STATES = 20_000_000


@dataclass(frozen=True, slots=True)
class ErlangA:
    """Steady state of M/M/c+M: Poisson arrivals, exponential service and patience, FCFS.

    Attributes:
        p_wait: probability that an arrival finds every server busy (PASTA).
        abandon_rate: fraction of arrivals who give up before service (not a rate per second).
        queue_mean: time-average number of customers waiting (not in service).
        wait_mean_s: mean wait in seconds over all arrivals, abandoners counted until they
            leave; equals ``queue_mean / arrival_rate`` by Little's law.
        wait_mean_served_s: mean wait in seconds of the arrivals who are eventually served.
        service_level: probability that an arrival is served within the target wait,
            abandoners counted as misses; ``None`` when no target was given.
    """

    p_wait: float
    abandon_rate: float
    queue_mean: float
    wait_mean_s: float
    wait_mean_served_s: float
    service_level: float | None


def _check_count(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    try:
        count = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if count < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {count}")
    return count


def _check_nonnegative(name: str, value: float, *, allow_inf: bool = False) -> float:
    number = float(value)
    if not number >= 0.0 or (math.isinf(number) and not allow_inf):
        kind = "a number" if allow_inf else "a finite number"
        raise ValueError(f"{name} must be {kind} >= 0, got {value!r}")
    return number


def _check_positive(name: str, value: float, *, allow_inf: bool = False) -> float:
    number = float(value)
    if not number > 0.0 or (math.isinf(number) and not allow_inf):
        kind = "a number" if allow_inf else "a finite number"
        raise ValueError(f"{name} must be {kind} > 0, got {value!r}")
    return number


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c (Erlang loss) with ``servers`` and ``load`` Erlangs.

    Uses the recursion B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)), which never overflows.
    """
    count = _check_count("servers", servers, 0)
    load_erl = _check_nonnegative("load", load)
    blocking = 1.0
    for k in range(1, count + 1):
        blocking = load_erl * blocking / (k + load_erl * blocking)
    return blocking


def _erlang_c_from_b(servers: int, load: float, blocking: float) -> float:
    if load >= servers:
        return 1.0
    return servers * blocking / (servers - load * (1.0 - blocking))


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c with ``load`` Erlangs; 1.0 if unstable."""
    count = _check_count("servers", servers, 0)
    load_erl = _check_nonnegative("load", load)
    if load_erl >= count:
        return 1.0
    return _erlang_c_from_b(count, load_erl, erlang_b(count, load_erl))


def erlang_c_wait_mean_s(servers: int, arrival_rate_per_s: float, service_mean_s: float) -> float:
    """Mean wait in queue in seconds of M/M/c over all arrivals; ``inf`` when unstable."""
    count = _check_count("servers", servers, 1)
    rate_per_s = _check_nonnegative("arrival_rate_per_s", arrival_rate_per_s)
    service_s = _check_positive("service_mean_s", service_mean_s)
    load = rate_per_s * service_s
    if load >= count:
        return math.inf
    return erlang_c(count, load) * service_s / (count - load)


def _erlang_c_service_level(
    servers: int, load: float, blocking: float, target_per_service: float
) -> float:
    if load >= servers:
        return 0.0
    waiting = _erlang_c_from_b(servers, load, blocking)
    return 1.0 - waiting * math.exp(-(servers - load) * target_per_service)


def erlang_c_service_level(
    servers: int, arrival_rate_per_s: float, service_mean_s: float, target_wait_s: float
) -> float:
    """P(wait <= ``target_wait_s``) in M/M/c, i.e. 1 − C·exp(−(cμ − λ)·T); 0.0 when unstable."""
    count = _check_count("servers", servers, 1)
    rate_per_s = _check_nonnegative("arrival_rate_per_s", arrival_rate_per_s)
    service_s = _check_positive("service_mean_s", service_mean_s)
    target_s = _check_nonnegative("target_wait_s", target_wait_s, allow_inf=True)
    load = rate_per_s * service_s
    if load >= count:
        return 0.0
    return _erlang_c_service_level(count, load, erlang_b(count, load), target_s / service_s)


def priority_wait_means_s(
    servers: int, arrival_rates_per_s: Sequence[float], service_mean_s: float
) -> list[float]:
    """Mean wait in seconds per class of non-preemptive priority M/M/c, equal service for all.

    Classes are listed highest priority first. Cobham's formula for c servers:
    W_k = C(c, a) / (c·μ·(1 − σ_{k−1})·(1 − σ_k)) with σ_k = Σ_{i<=k} λ_i / (c·μ) and ``a``
    the total load. A class whose cumulative σ_k >= 1 waits forever (``inf``); classes above
    it keep finite waits, with C = 1 because the servers never idle.
    """
    count = _check_count("servers", servers, 1)
    service_s = _check_positive("service_mean_s", service_mean_s)
    rates_per_s = [
        _check_nonnegative(f"arrival_rates_per_s[{i}]", rate)
        for i, rate in enumerate(arrival_rates_per_s)
    ]
    if not rates_per_s:
        raise ValueError("arrival_rates_per_s must list at least one class, got []")
    capacity_per_s = count / service_s
    waiting = erlang_c(count, sum(rates_per_s) * service_s)
    waits_s: list[float] = []
    cumulative_per_s = 0.0
    sigma_before = 0.0
    for rate_per_s in rates_per_s:
        cumulative_per_s += rate_per_s
        sigma = cumulative_per_s / capacity_per_s
        if sigma >= 1.0:
            waits_s.append(math.inf)
            continue
        waits_s.append(waiting / (capacity_per_s * (1.0 - sigma_before) * (1.0 - sigma)))
        sigma_before = sigma
    return waits_s


def _erlang_a_log_probabilities(
    servers: int, arrival_rate_per_s: float, service_rate_per_s: float, abandon_rate_per_s: float
) -> NDArray[np.float64]:
    """Log stationary probabilities of states 0..N of the M/M/c+M birth–death chain.

    The ratios p_n / p_{n−1} = λ / death_n never increase, so the log weights are concave:
    past the mode the tail beyond n is at most w_n·r/(1 − r), r = p_{n+1} / p_n, and the
    chain stops at the first n where that bound falls below the tolerance.
    """
    log_rate = math.log(arrival_rate_per_s)
    pieces: list[NDArray[np.float64]] = [np.zeros(1)]
    last = 0.0
    top = 0.0
    start = 1
    chunk = max(1024, 2 * servers)
    while start < _MAX_STATES:
        n = np.arange(start, start + chunk + 1, dtype=np.float64)
        death_per_s = (
            np.minimum(n, servers) * service_rate_per_s
            + np.maximum(n - servers, 0.0) * abandon_rate_per_s
        )
        log_ratio = log_rate - np.log(death_per_s)
        log_weight = last + np.cumsum(log_ratio[:-1])
        log_next = log_ratio[1:]
        top = max(top, float(log_weight.max()))
        tail = np.full(chunk, np.inf)
        falling = log_next < 0.0
        tail[falling] = (
            log_weight[falling] + log_next[falling] - np.log(-np.expm1(log_next[falling]))
        )
        ends = np.flatnonzero(tail < top + _TAIL_LOG_TOLERANCE)
        if ends.size:
            pieces.append(log_weight[: ends[0] + 1])
            log_all = np.concatenate(pieces)
            return log_all - float(special.logsumexp(log_all))
        pieces.append(log_weight)
        last = float(log_weight[-1])
        start += chunk
        chunk *= 2
    raise ValueError(
        f"Erlang A chain needs more than {_MAX_STATES} states; patience_mean_s is too long "
        "for this overload"
    )


def _erlang_a_without_abandonment(
    servers: int, arrival_rate_per_s: float, service_mean_s: float, target_wait_s: float | None
) -> ErlangA:
    load = arrival_rate_per_s * service_mean_s
    if load >= servers:
        level = None if target_wait_s is None else 0.0
        return ErlangA(1.0, 0.0, math.inf, math.inf, math.inf, level)
    blocking = erlang_b(servers, load)
    waiting = _erlang_c_from_b(servers, load, blocking)
    wait_mean_s = waiting * service_mean_s / (servers - load)
    level = None
    if target_wait_s is not None:
        level = _erlang_c_service_level(servers, load, blocking, target_wait_s / service_mean_s)
    return ErlangA(
        p_wait=waiting,
        abandon_rate=0.0,
        queue_mean=arrival_rate_per_s * wait_mean_s,
        wait_mean_s=wait_mean_s,
        wait_mean_served_s=wait_mean_s,
        service_level=level,
    )


def erlang_a(
    servers: int,
    arrival_rate_per_s: float,
    service_mean_s: float,
    patience_mean_s: float,
    target_wait_s: float | None = None,
) -> ErlangA:
    """Steady state of M/M/c+M (Erlang A) with exponential patience of mean ``patience_mean_s``.

    Exact up to a truncated tail below 1e-17 of the stationary mass. ``patience_mean_s`` may be
    ``inf`` (nobody abandons: Erlang C, with infinite waits when unstable). ``service_level`` is
    P(served and wait <= ``target_wait_s``) over all arrivals when a target is given.
    """
    count = _check_count("servers", servers, 1)
    rate_per_s = _check_nonnegative("arrival_rate_per_s", arrival_rate_per_s)
    service_s = _check_positive("service_mean_s", service_mean_s)
    patience_s = _check_positive("patience_mean_s", patience_mean_s, allow_inf=True)
    target_s = None
    if target_wait_s is not None:
        target_s = _check_nonnegative("target_wait_s", target_wait_s, allow_inf=True)
    if rate_per_s == 0.0:
        return ErlangA(0.0, 0.0, 0.0, 0.0, 0.0, None if target_s is None else 1.0)
    if math.isinf(patience_s):
        return _erlang_a_without_abandonment(count, rate_per_s, service_s, target_s)

    theta_per_s = 1.0 / patience_s
    capacity_per_s = count / service_s
    log_p = _erlang_a_log_probabilities(count, rate_per_s, 1.0 / service_s, theta_per_s)
    p = np.exp(log_p)
    p_free = float(p[:count].sum())
    # An arrival finding n = c + k in the system has k customers ahead of it.
    p_ahead = p[count:]
    ahead = np.arange(p_ahead.size, dtype=np.float64)
    queue_mean = float(ahead @ p_ahead)

    # With k ahead the arrival moves to k − 1 ahead at rate cμ + kθ and abandons at rate θ,
    # so P_k = q_k·P_{k−1} and E[W·1{served}]_k = q_k·(P_{k−1} / r_k + E_{k−1}), with
    # r_k = cμ + (k + 1)θ and q_k = (cμ + kθ) / r_k. The products telescope to the forms below.
    stage_rate_per_s = capacity_per_s + (ahead + 1.0) * theta_per_s
    p_served_given = capacity_per_s / stage_rate_per_s
    wait_served_given_s = p_served_given * np.cumsum(1.0 / stage_rate_per_s)
    p_served = p_free + float(p_ahead @ p_served_given)

    level = None
    if target_s is not None:
        # The time S to reach service from k ahead is a sum of Exp(cμ + jθ), j = 0..k, and
        # exp(−θS) ~ Beta(cμ/θ, k + 1). The arrival is served by T iff S <= T and its own
        # patience outlasts S: E[exp(−θS)·1{S <= T}] = P_k·I_{1−exp(−θT)}(k + 1, cμ/θ + 1).
        alpha = capacity_per_s / theta_per_s
        reach = special.betainc(ahead + 1.0, alpha + 1.0, -math.expm1(-theta_per_s * target_s))
        level = p_free + float(p_ahead @ (p_served_given * reach))

    return ErlangA(
        p_wait=min(1.0, float(p_ahead.sum())),
        abandon_rate=min(1.0, theta_per_s * queue_mean / rate_per_s),
        queue_mean=queue_mean,
        wait_mean_s=queue_mean / rate_per_s,
        wait_mean_served_s=float(p_ahead @ wait_served_given_s) / p_served,
        service_level=level,
    )


def servers_for_service_level(
    arrival_rate_per_s: float,
    service_mean_s: float,
    target_wait_s: float,
    service_level: float,
    patience_mean_s: float | None = None,
    max_servers: int = 10_000,
) -> int:
    """Smallest number of servers whose service level reaches ``service_level``.

    The service level is P(wait <= ``target_wait_s``) by Erlang C when ``patience_mean_s`` is
    None (or ``inf``), else P(served and wait <= target) by Erlang A. Erlang A staffing is found
    by bisection, relying on its service level rising with the number of servers.

    Raises:
        ValueError: on invalid arguments, or when ``max_servers`` servers are not enough.
    """
    rate_per_s = _check_nonnegative("arrival_rate_per_s", arrival_rate_per_s)
    service_s = _check_positive("service_mean_s", service_mean_s)
    target_s = _check_nonnegative("target_wait_s", target_wait_s, allow_inf=True)
    level = float(service_level)
    if not 0.0 < level <= 1.0:
        raise ValueError(f"service_level must be in (0, 1], got {service_level!r}")
    limit = _check_count("max_servers", max_servers, 1)
    patience_s = math.inf
    if patience_mean_s is not None:
        patience_s = _check_positive("patience_mean_s", patience_mean_s, allow_inf=True)
    load = rate_per_s * service_s
    missing = ValueError(
        f"service_level {level} is out of reach with max_servers={limit} "
        f"(load {load:.6g} Erlangs, target_wait_s={target_s})"
    )

    if math.isinf(patience_s):
        blocking = 1.0
        for count in range(1, limit + 1):
            blocking = load * blocking / (count + load * blocking)
            achieved = _erlang_c_service_level(count, load, blocking, target_s / service_s)
            if count > load and achieved >= level:
                return count
        raise missing

    def meets(count: int) -> bool:
        result = erlang_a(count, rate_per_s, service_s, patience_s, target_s)
        return result.service_level is not None and result.service_level >= level

    # P(served) <= c / load, so every c below level·load misses.
    low = max(1, math.floor(level * load))
    if low > limit:
        raise missing
    high, step = low, 1
    while not meets(high):
        if high >= limit:
            raise missing
        low = high + 1
        high = min(limit, high + step)
        step *= 2
    while low < high:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle + 1
    return high
