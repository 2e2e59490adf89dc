"""Random streams: one numpy Generator per named random source.

Each stream is a child of the run's ``SeedSequence(seed)`` with spawn key
``(replication, crc32(source))``. Naming sources (rather than spawning them in
order) keeps common random numbers when two scenarios differ in what they
contain: adding a kiosk or a counter group never shifts the arrival stream or
the service demands of the customers.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.model.families import gamma_shape_scale, lognormal_mu_sigma, weibull_shape_scale
from sim.model.scenario import Distribution


def stream(seed: int, replication: int, source: str) -> np.random.Generator:
    """The Generator for ``source`` in ``replication`` of a run seeded ``seed``."""
    key = (replication, zlib.crc32(source.encode("utf-8")))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def draw(dist: Distribution, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` independent durations (seconds) from ``dist``, drawn as one block."""
    if dist.dist == "empirical":
        assert dist.samples is not None
        return rng.choice(np.asarray(dist.samples, dtype=float), size=size)
    mean_s = dist.mean_s
    if dist.dist == "exponential":
        return rng.exponential(mean_s, size)
    if dist.dist == "fixed":
        return np.full(size, mean_s)
    assert dist.cv is not None
    if dist.dist == "gamma":
        return rng.gamma(*gamma_shape_scale(mean_s, dist.cv), size)
    if dist.dist == "weibull":
        shape, scale = weibull_shape_scale(mean_s, dist.cv)
        return scale * rng.weibull(shape, size)
    return rng.lognormal(*lognormal_mu_sigma(mean_s, dist.cv), size)
