"""Random streams: one numpy Generator per named random source.

Each stream is a child of the run's ``SeedSequence(seed)`` with spawn key
``(replication, crc32(source))``. Naming sources (rather than spawning them in
order) keeps common random numbers when two scenarios differ in what they
contain: adding a kiosk or a counter group never shifts the arrival stream or
the service demands of the customers.

Seeding is what a stream costs most: hashing the spawn key through a
``SeedSequence`` takes ~45 us, and a nowcast opens ~20 streams in each of its
30 replications of every hall. The PCG64 seed words of the last few thousand
``(seed, replication, source)`` are kept in the process (the nowcast's seed is
the same for every hall), and a Generator is made from them directly: the
same stream, for ~3 us.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from sim.model.families import gamma_shape_scale, lognormal_mu_sigma, weibull_shape_scale
from sim.model.scenario import Distribution

_WORDS_KEPT = 4096  # ~1.5 MB: the ~20 sources of 30 replications of six seeds
_words: OrderedDict[tuple[int, int, str], np.ndarray] = OrderedDict()
_lock = threading.Lock()  # the monitor may simulate in threads


class _SeedWords(ISeedSequence):
    """The seed words a ``SeedSequence`` gave for a PCG64, handed back as they were."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        assert n_words == len(self.words) and dtype is np.uint64  # what PCG64 asks for
        return self.words


def stream(seed: int, replication: int, source: str) -> np.random.Generator:
    """The Generator for ``source`` in ``replication`` of a run seeded ``seed``."""
    name = (seed, replication, source)
    with _lock:
        words = _words.get(name)
        if words is not None:
            _words.move_to_end(name)
    if words is None:
        key = (replication, zlib.crc32(source.encode("utf-8")))
        words = np.random.SeedSequence(seed, spawn_key=key).generate_state(4, np.uint64)
        words.flags.writeable = False
        with _lock:
            _words[name] = words
            while len(_words) > _WORDS_KEPT:
                _words.popitem(last=False)
    # numpy takes any ISeedSequence (documented); its stubs name only SeedSequence
    return np.random.Generator(np.random.PCG64(_SeedWords(words)))  # type: ignore[arg-type]


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
