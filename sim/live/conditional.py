"""Durations past a given point: what the warm start knows of a customer or a
service that is already under way.

A waiting customer who took a ticket ``waited_s`` ago is still there with the
survival of their segment's patience (:func:`presence_probabilities`); a
service that has lasted ``elapsed_s`` lasts on by a draw conditional on that
(:func:`remaining_service_s`); a call under way after a long wait is a no-show
with :func:`called_no_show_probability`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from sim.model.families import gamma_shape_scale, lognormal_mu_sigma, weibull_shape_scale
from sim.model.scenario import Distribution, Scenario


def _gamma_shape_scale(dist: Distribution) -> tuple[float, float]:
    assert dist.cv is not None
    return gamma_shape_scale(dist.mean_s, dist.cv)


def _lognormal_mu_sigma(dist: Distribution) -> tuple[float, float]:
    assert dist.cv is not None
    return lognormal_mu_sigma(dist.mean_s, dist.cv)


def _weibull_shape_scale(dist: Distribution) -> tuple[float, float]:
    assert dist.cv is not None
    return weibull_shape_scale(dist.mean_s, dist.cv)


def survival(dist: Distribution, x_s: ArrayLike) -> np.ndarray:
    """``P(D > x)`` for the duration ``D`` of ``dist``, at every ``x_s`` (seconds)."""
    x = np.maximum(np.asarray(x_s, dtype=float), 0.0)
    if dist.dist == "exponential":
        return np.asarray(np.exp(-x / dist.mean_s), dtype=float)
    if dist.dist == "weibull":
        shape, scale = _weibull_shape_scale(dist)
        return np.asarray(np.exp(-((x / scale) ** shape)), dtype=float)
    if dist.dist == "fixed":
        return np.asarray(dist.mean_s > x, dtype=float)
    if dist.dist == "empirical":
        assert dist.samples is not None
        samples = np.sort(np.asarray(dist.samples, dtype=float))
        longer = len(samples) - np.searchsorted(samples, x, side="right")
        return np.asarray(longer / len(samples), dtype=float)
    from scipy import special  # lazily: scipy stays out of the CLI's start-up

    if dist.dist == "gamma":
        shape, scale = _gamma_shape_scale(dist)
        return np.asarray(special.gammaincc(shape, x / scale), dtype=float)
    mu, sigma = _lognormal_mu_sigma(dist)
    with np.errstate(divide="ignore"):
        return np.asarray(special.ndtr((mu - np.log(x)) / sigma), dtype=float)


def presence_probabilities(scn: Scenario, segment: str, waited_s: ArrayLike) -> np.ndarray:
    """Probability that a customer of ``segment`` who took a ticket ``waited_s``
    seconds ago is still there: the survival of the segment's patience (1 for a
    segment without patience)."""
    dist = scn.segments[segment].patience
    if dist is None:
        return np.ones_like(np.asarray(waited_s, dtype=float))
    return survival(dist, waited_s)


def presence_probability(scn: Scenario, segment: str, waited_s: float) -> float:
    """:func:`presence_probabilities` for one ticket."""
    return float(presence_probabilities(scn, segment, waited_s))


def called_no_show_probability(
    scn: Scenario,
    segment: str,
    service: str,
    waited_s: float,
    elapsed_s: float,
    speed: float = 1.0,
) -> float:
    """Probability that a ticket of ``segment`` and ``service`` called ``elapsed_s``
    seconds ago after waiting ``waited_s``, at a counter of ``speed`` that has not
    finished with it yet, is a no-show. Before the call its customer had gone
    with probability ``p = 1 - S_patience(waited_s)``. What the counter shows
    since is evidence: a no-show keeps it calling for ``no_show_delay`` (so it
    is still at it only if ``elapsed_s < no_show_delay``), a customer who came
    is still being served with probability ``S_service(elapsed_s * speed)``.
    By Bayes: ``p·[elapsed < delay] / (p·[elapsed < delay] + (1 - p)·S_service)``
    (0 when neither explains it: the service has outrun its distribution)."""
    p = 1.0 - presence_probability(scn, segment, waited_s)
    if p <= 0.0 or not elapsed_s < scn.no_show_delay:
        return 0.0
    staying = (1.0 - p) * float(survival(scn.services[service].service_time, elapsed_s * speed))
    return p / (p + staying)


def remaining_service_s(
    dist: Distribution, elapsed_s: ArrayLike, rng: np.random.Generator, speed: ArrayLike = 1.0
) -> np.ndarray:
    """Remaining wall seconds of services that have lasted ``elapsed_s`` at
    counters of ``speed``: the work is drawn from ``dist`` conditional on
    exceeding the work done so far (``elapsed_s * speed``). Exponential is
    memoryless; fixed leaves ``max(mean - done, 0)``; empirical resamples the
    samples above the work done (none left: 0); lognormal, gamma and Weibull
    invert the conditional distribution, and a service so long that its tail
    probability underflows ends now. Many draws for the same services:
    :class:`ServiceLeft`."""
    return ServiceLeft(dist, elapsed_s, speed).draw(rng)


class ServiceLeft:
    """:func:`remaining_service_s` of the services that have lasted
    ``elapsed_s`` at counters of ``speed``, with what does not depend on the
    draw (the work done, its tail probability, the family's parameters) worked
    out once: a warm start draws them in every replication."""

    def __init__(self, dist: Distribution, elapsed_s: ArrayLike, speed: ArrayLike = 1.0) -> None:
        self.dist = dist
        self.speed = np.asarray(speed, dtype=float)
        self.done = done = np.asarray(elapsed_s, dtype=float) * self.speed
        self.n = done.size
        if dist.dist == "empirical":
            assert dist.samples is not None
            self.samples = np.sort(np.asarray(dist.samples, dtype=float))
            self.first = np.searchsorted(self.samples, done, side="right")
            self.longer = len(self.samples) - self.first
        elif dist.dist in ("gamma", "weibull", "lognormal"):
            self.tail = survival(dist, done)
            self.params = {
                "gamma": _gamma_shape_scale,
                "weibull": _weibull_shape_scale,
                "lognormal": _lognormal_mu_sigma,
            }[dist.dist](dist)

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """One draw of what is left of each service, in wall seconds."""
        dist, done, n = self.dist, self.done, self.n
        if dist.dist == "exponential":
            left = rng.exponential(dist.mean_s, n)
        elif dist.dist == "fixed":
            left = np.maximum(dist.mean_s - done, 0.0)
        elif dist.dist == "empirical":
            samples, first, longer = self.samples, self.first, self.longer
            pick = np.minimum(first + (rng.random(n) * longer).astype(int), len(samples) - 1)
            left = np.where(longer > 0, samples[pick] - done, 0.0)
        else:
            from scipy import special  # lazily: scipy stays out of the CLI's start-up

            tail = self.tail
            q = (1.0 - rng.random(n)) * tail  # uniform on (0, tail]
            with np.errstate(divide="ignore", over="ignore"):
                if dist.dist == "gamma":
                    shape, scale = self.params
                    work = scale * special.gammainccinv(shape, q)
                elif dist.dist == "weibull":
                    shape, scale = self.params
                    work = scale * (-np.log(q)) ** (1.0 / shape)
                else:
                    mu, sigma = self.params
                    work = np.exp(mu - sigma * special.ndtri(q))
            ok = (tail > 0) & np.isfinite(work)
            left = np.where(ok, np.maximum(work - done, 0.0), 0.0)
        return np.asarray(left / self.speed, dtype=float).reshape(n)
