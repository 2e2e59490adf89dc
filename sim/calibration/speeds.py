"""Counter speeds from service durations: a two-way multiplicative model.

A service at a counter of speed ``v`` lasts ``work / v``, the work drawn from
the service's distribution whatever the counter. So

    E[duration] = m[service] / v[unit],   i.e.  log E = a[service] − b[unit],

with each service's own spread (its cv). The effects are estimated jointly, as
a gamma GLM with log link (quasi-likelihood, variance ∝ mean²) weighted by
each service's precision ``1/cv²`` (Pearson estimates, refitted twice), by
Fisher scoring on per-(service, unit) sums: the cost does not grow with the
log beyond one pass. The 95% CIs come from the sandwich covariance, so a
service whose spread is not gamma-like does not make them too narrow. Unlike a
ratio of totals stopped after two rounds, this is consistent when a faster
group serves only some of the services.

Speeds are identified only between units connected through shared services;
each connected set is measured against its busiest unit (speed 1 there), and
the set holding the busiest unit overall is the reference of the scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054
_MIN_VAR = 1e-10  # a fixed service time has (almost) no spread: keep its weight finite
# timestamps are microseconds: no speed is known better than one part in a million
_MIN_SE = 1e-6


@dataclass(frozen=True)
class SpeedFit:
    """Per unit: ``speed`` relative to the reference, its 95% CI (``nan`` where
    not identified: no shared service with the reference's connected set),
    tickets served, and the full covariance of the log speeds."""

    speed: np.ndarray
    ci95: np.ndarray  # shape (units, 2)
    served: np.ndarray
    log_cov: np.ndarray


def _components(n_svc: np.ndarray) -> list[int]:
    """Connected set of each unit in the bipartite service–unit graph."""
    n_u = n_svc.shape[1]
    comp = [-1] * n_u
    label = 0
    for start in range(n_u):
        if comp[start] >= 0 or not n_svc[:, start].any():
            continue
        comp[start], stack = label, [start]
        while stack:
            u = stack.pop()
            for s in np.flatnonzero(n_svc[:, u]):
                for v in np.flatnonzero(n_svc[s]):
                    if comp[v] < 0:
                        comp[v] = label
                        stack.append(int(v))
        label += 1
    return comp


def fit_speeds(
    duration_s: np.ndarray,
    service: np.ndarray,
    unit: np.ndarray,
    n_services: int,
    n_units: int,
    reference: int | None = None,
) -> SpeedFit:
    """Speeds of ``n_units`` units (indices ``unit``) from positive durations of
    tickets of ``service``, relative to ``reference`` (default: the unit that
    served the most tickets), by the weighted fit of the module docstring; 95%
    CIs from the sandwich covariance of the log speeds."""
    ok = np.isfinite(duration_s) & (duration_s > 0)
    d, s, u = duration_s[ok], service[ok], unit[ok]
    cell = s * n_units + u
    shape = (n_services, n_units)
    size = n_services * n_units
    n = np.bincount(cell, minlength=size).reshape(shape).astype(float)
    s1 = np.bincount(cell, weights=d, minlength=size).reshape(shape)
    s2 = np.bincount(cell, weights=d * d, minlength=size).reshape(shape)
    served = n.sum(axis=0)
    if reference is None:
        reference = int(np.argmax(served))
    comp = _components(n)
    pins: dict[int, int] = {}  # the busiest unit of every connected set, the reference in its own
    for u_i in np.argsort(-served, kind="stable").tolist():
        if comp[u_i] >= 0 and comp[u_i] not in pins:
            pins[comp[u_i]] = u_i
    if comp[reference] >= 0:
        pins[comp[reference]] = reference
    used = [s_i for s_i in range(n_services) if n[s_i].sum() > 0]
    free = [u_i for u_i in range(n_units) if comp[u_i] >= 0 and u_i not in pins.values()]
    cells = [(s_i, u_i) for s_i in used for u_i in range(n_units) if n[s_i, u_i] > 0]
    k = len(used) + len(free)
    x = np.zeros((len(cells), k))  # design row of each cell: +a[service] − b[unit]
    for row, (s_i, u_i) in enumerate(cells):
        x[row, used.index(s_i)] = 1.0
        if u_i in free:
            x[row, len(used) + free.index(u_i)] = -1.0
    cs = np.array([c[0] for c in cells], dtype=np.int64)
    cu = np.array([c[1] for c in cells], dtype=np.int64)
    nc, s1c, s2c = n[cs, cu], s1[cs, cu], s2[cs, cu]
    theta = np.zeros(k)
    theta[: len(used)] = np.log(s1[used].sum(axis=1) / n[used].sum(axis=1))
    w = np.ones(n_services)
    for _ in range(3):  # unweighted, then twice with each service's 1/cv²
        for _ in range(100):  # Fisher scoring
            mu = np.exp(x @ theta)
            wc = w[cs]
            score = x.T @ (wc * (s1c / mu - nc))
            info = (x * (wc * nc)[:, None]).T @ x
            step = np.linalg.solve(info, score)
            theta += step
            if np.max(np.abs(step)) < 1e-12:
                break
        mu = np.exp(x @ theta)
        pearson = s2c / mu**2 - 2 * s1c / mu + nc  # Σ (d/μ − 1)² per cell
        cv2 = np.bincount(cs, weights=pearson, minlength=n_services) / np.maximum(n.sum(axis=1), 1)
        w = 1.0 / np.maximum(cv2, _MIN_VAR)
    mu = np.exp(x @ theta)
    wc = w[cs]
    bread = (x * (wc * s1c / mu)[:, None]).T @ x
    meat = (x * (wc**2 * pearson)[:, None]).T @ x
    inv = np.linalg.inv(bread)
    cov_theta = inv @ meat @ inv
    b = np.zeros(n_units)
    log_cov = np.zeros((n_units, n_units))
    for j, u_i in enumerate(free):
        b[u_i] = theta[len(used) + j]
        for j2, v_i in enumerate(free):
            log_cov[u_i, v_i] = cov_theta[len(used) + j, len(used) + j2]
    speed = np.exp(b)
    ci = np.full((n_units, 2), math.nan)
    for u_i in range(n_units):
        if comp[u_i] < 0 or comp[u_i] != comp[reference]:
            continue
        half = Z95 * max(math.sqrt(max(log_cov[u_i, u_i], 0.0)), _MIN_SE)
        ci[u_i] = (math.exp(b[u_i] - half), math.exp(b[u_i] + half))
    return SpeedFit(speed, ci, served, log_cov)


def relative_to(fit: SpeedFit, members: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Speeds and 95% CIs of every unit relative to the served-weighted mean log
    speed of ``members`` (a group of counters), from :func:`fit_speeds`' fit."""
    w = fit.served[members] / max(float(fit.served[members].sum()), 1.0)
    log_speed = np.log(fit.speed)
    base = float(w @ log_speed[members])
    out = np.exp(log_speed - base)
    ci = np.full_like(fit.ci95, math.nan)
    for u_i in range(len(out)):
        if math.isnan(fit.ci95[u_i, 0]):
            continue
        c = np.zeros(len(out))
        c[members] -= w
        c[u_i] += 1.0
        half = Z95 * max(math.sqrt(max(float(c @ fit.log_cov @ c), 0.0)), _MIN_SE)
        ci[u_i] = (out[u_i] * math.exp(-half), out[u_i] * math.exp(half))
    return out, ci
